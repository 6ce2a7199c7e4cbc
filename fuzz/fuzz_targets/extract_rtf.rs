//! RTF text extraction reached directly.
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::search::extract::{ContentLimits, Format, extract_as};

fuzz_target!(|data: &[u8]| {
    let _ = extract_as(Format::Rtf, data, &ContentLimits::default());
});
