//! The reminders' import parser (src/portal/reminders/model.rs): encoding detection
//! (UTF-8, Windows-1251), JSON and CSV batches.
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::portal::reminders::model;

fuzz_target!(|data: &[u8]| {
    let _ = model::parse(data);
});
