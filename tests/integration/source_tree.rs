//! Rules of the source tree that a reviewer would otherwise have to remember: no Rust file
//! over 800 lines (a module a reader can hold in their head), and no feature's service,
//! store or model reaching into the web layer (HTML and JSON share one service; the service
//! knows neither). Reads the checked-out tree, nothing else.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn tree() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    assert!(files.len() > 100, "the walk found only {} Rust files", files.len());
    files
}

#[test]
fn no_rust_file_is_over_800_lines() {
    let long: Vec<String> = tree()
        .iter()
        .filter_map(|p| {
            let lines = std::fs::read_to_string(p).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files (at most {MAX_LINES} lines):\n{}", long.join("\n"));
}

#[test]
fn no_service_store_or_model_uses_the_web_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layered: Vec<PathBuf> = tree()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            p.starts_with(&src)
                && (name.starts_with("service") || name == "store.rs" || name == "model.rs")
        })
        .collect();
    assert!(layered.len() >= 20, "found only {} service/store/model files", layered.len());
    let offending: Vec<String> = layered
        .iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("crate::web"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        offending.is_empty(),
        "a feature's service, store or model names crate::web:\n{}",
        offending.join("\n")
    );
}
