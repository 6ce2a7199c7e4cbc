//! RAR 4/5 header walking (src/formats/rar.rs) reached directly, without the sniffer's
//! signature check in front.
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::formats::{Limits, rar};

fuzz_target!(|data: &[u8]| {
    let _ = rar::inspect(&mut std::io::Cursor::new(data), data.len() as u64, &Limits::default());
});
