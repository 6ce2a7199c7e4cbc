//! OLE/CFB text extraction (DOC, XLS, PPT) reached directly; the first byte picks the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "caught_panics.rs"]
mod caught_panics;

use ipgo::search::extract::{ContentLimits, Format, extract_as};

fuzz_target!(init: caught_panics::install(), |data: &[u8]| {
    let Some((pick, bytes)) = data.split_first() else { return };
    let format = [Format::Doc, Format::Xls, Format::Ppt][*pick as usize % 3];
    caught_panics::run(|| extract_as(format, bytes, &ContentLimits::default()));
});
