//! Format detection by content and the archive checks behind it (src/formats/: the sniffer,
//! ZIP inspection, OLE/CFB and OOXML containers, RAR headers), as an upload meets them.
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::formats::{Limits, inspect};

fuzz_target!(|data: &[u8]| {
    let _ = inspect(&mut std::io::Cursor::new(data), &Limits::default());
});
