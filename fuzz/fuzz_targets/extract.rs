//! The text extraction of the search index as the sandboxed child runs it
//! (src/search/extract/: sniffing, ZIP walking with its budget, every document parser).
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::search::extract::{ContentLimits, extract};

fuzz_target!(|data: &[u8]| {
    let _ = extract(data, &ContentLimits::default());
});
