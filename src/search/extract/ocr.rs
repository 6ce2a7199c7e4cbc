//! Optional OCR of TIFF and JPEG scans through Debian's `tesseract-ocr` (with the `kaz` and
//! `rus` language data), off unless [`super::ContentLimits::ocr`] names languages. It runs as a
//! grandchild inside the extraction sandbox: the same memory limit, the same process group (the
//! wall-clock kill reaches it), its own CPU-time limit, and one OpenMP thread.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use super::{ErrorKind, ExtractError, malformed};

/// Most text read back from tesseract.
const MAX_TEXT: u64 = 16 << 20;

pub fn run(image: &[u8], languages: &str) -> Result<String, ExtractError> {
    if languages.is_empty()
        || !languages.chars().all(|c| c.is_ascii_lowercase() || c == '+' || c == '_')
    {
        return Err(ExtractError::new(
            ErrorKind::Sandbox,
            format!("bad OCR languages {languages:?}"),
        ));
    }
    let mut child = Command::new("tesseract")
        .args(["stdin", "stdout", "-l", languages])
        .env_clear()
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            ExtractError::new(ErrorKind::Unsupported, format!("OCR unavailable (tesseract): {e}"))
        })?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ExtractError::new(ErrorKind::Sandbox, "tesseract pipes missing"));
    };
    let text = std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(image);
        });
        let mut text = Vec::new();
        let _ = stdout.take(MAX_TEXT).read_to_end(&mut text);
        text
    });
    let status = child.wait().map_err(|e| malformed(format!("OCR: {e}")))?;
    if !status.success() {
        return Err(malformed(format!("OCR failed: {status}")));
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}
