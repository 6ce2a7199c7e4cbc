//! PDF text layer through `pdf-extract` (on `lopdf`). The parser is known to panic on some
//! fonts (STACK-NOTES); a panic becomes `Malformed`, and anything worse (a loop, an abort, a
//! stack overflow) is stopped by the sandbox around the child process.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{ErrorKind, ExtractError, malformed};

pub fn extract(bytes: &[u8]) -> Result<String, ExtractError> {
    match catch_unwind(AssertUnwindSafe(|| pdf_extract::extract_text_from_mem(bytes))) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => {
            let msg = e.to_string();
            let lower = msg.to_ascii_lowercase();
            if lower.contains("decrypt") || lower.contains("encrypt") || lower.contains("password")
            {
                Err(ExtractError::new(ErrorKind::Encrypted, format!("PDF: {msg}")))
            } else {
                Err(malformed(format!("PDF: {msg}")))
            }
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            Err(malformed(format!("PDF parser failed: {what}")))
        }
    }
}
