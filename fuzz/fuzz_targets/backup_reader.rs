//! The backup reader (src/ops/backup/): the strict tar subset read entry by entry as
//! `ipgo restore` reads it, each entry's name checked, and the small entries parsed as the
//! header and the manifest.
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::ops::backup::manifest::{self, Header, Manifest};
use ipgo::ops::backup::tarfile::TarReader;

fuzz_target!(|data: &[u8]| {
    let mut reader = TarReader::new(data);
    while let Ok(Some(head)) = reader.next_entry() {
        let _ = manifest::safe_path(&head.name);
        let mut bytes = Vec::new();
        if reader.copy_data(&head, &mut bytes).is_err() {
            break;
        }
        let _ = serde_json::from_slice::<Header>(&bytes);
        let _ = serde_json::from_slice::<Manifest>(&bytes);
    }
});
