//! RTF text extraction reached directly.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "caught_panics.rs"]
mod caught_panics;

use ipgo::search::extract::{ContentLimits, Format, extract_as};

fuzz_target!(init: caught_panics::install(), |data: &[u8]| {
    caught_panics::run(|| extract_as(Format::Rtf, data, &ContentLimits::default()));
});
