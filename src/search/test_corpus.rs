//! Test access to the real regulations in `shared/corpus` (kk/ru, some raw PDF extractions).

use std::path::PathBuf;

/// The corpus directory: `$IPGO_CORPUS`, else `shared/corpus` beside the repository. Panics when
/// it is missing: tests over the real corpus must not pass by skipping.
pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("IPGO_CORPUS") {
        return PathBuf::from(d);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(beside.is_dir(), "corpus not found at {}; set IPGO_CORPUS", beside.display());
    beside
}

/// Every `.txt` file of the corpus as (file name, text), sorted by name.
pub fn files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir()).expect("read corpus dir") {
        let path = entry.expect("corpus entry").path();
        if path.extension().is_some_and(|e| e == "txt") {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            out.push((name, std::fs::read_to_string(&path).expect("corpus file is UTF-8")));
        }
    }
    out.sort();
    assert!(out.len() >= 5, "expected the five regulations in {}", dir().display());
    out
}

/// The text of the file whose name starts with `prefix`.
pub fn read(files: &[(String, String)], prefix: &str) -> String {
    files
        .iter()
        .find(|(n, _)| n.starts_with(prefix))
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| panic!("no corpus file {prefix}*"))
}
