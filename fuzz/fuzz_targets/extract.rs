//! The text extraction of the search index as the sandboxed child runs it
//! (src/search/extract/: sniffing, ZIP walking with its budget, every document parser).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "caught_panics.rs"]
mod caught_panics;

use ipgo::search::extract::{ContentLimits, extract};

fuzz_target!(init: caught_panics::install(), |data: &[u8]| {
    caught_panics::run(|| extract(data, &ContentLimits::default()));
});
