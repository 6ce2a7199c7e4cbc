//! Text extraction from attachments (I385 §6.6 search over attached files; §10 allowed formats:
//! PDF, TIFF, JPEG, RTF, DOC, DOCX, XLS, XLSX, PPT, RAR, ZIP; plus PPTX and plain text). The
//! format is sniffed from the content, never the file name.
//!
//! Parsers of hostile files can panic, loop, or allocate what a header claims. So the server
//! never parses in its own process: [`run_sandboxed`] feeds the bytes to a child of its own
//! (forked by the `ipgo extract-server` fork server, or `ipgo extract` started anew) under
//! memory, CPU-time and wall-clock limits, and a child that dies only costs that file its text. [`extract`] is the in-process parser the child runs.

mod archive;
mod forkserver;
mod ocr;
mod ole;
mod ooxml;
mod pdf;
mod rtf;
mod sandbox;
mod sniff;
mod spawn;
mod text;
mod xls_grid;
mod xml;

use serde::{Deserialize, Serialize};

use crate::search::lang::{self, Lang};

pub use forkserver::serve as fork_server_main;
pub use sandbox::{Limits, child_main, run_sandboxed, run_sandboxed_from};
pub use sniff::sniff;

/// A file format recognised by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Doc,
    Xls,
    Ppt,
    Rtf,
    Text,
    Zip,
    Rar,
    Tiff,
    Jpeg,
}

/// Limits on what one extraction may unpack and produce; sent to the child, which enforces them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentLimits {
    /// Most entries in one ZIP container (archive, DOCX, ...) and in all of them together.
    pub max_entries: usize,
    /// Most bytes unpacked from all containers together.
    pub max_unpacked_bytes: u64,
    /// Most bytes one member may unpack to.
    pub max_member_bytes: u64,
    /// Highest unpacked / packed ratio of one member (zip bombs reach thousands).
    pub max_ratio: u64,
    /// Archives inside archives: the file itself is depth 1.
    pub max_depth: u32,
    /// Most bytes of text kept, over all parts; the rest is cut and the part marked truncated.
    pub max_text_bytes: usize,
    /// Tesseract languages for OCR of TIFF/JPEG scans (`"kaz+rus"`); `None`: no OCR, images
    /// give no text. Off by default (I385 §10 allows scans; OCR is slow and optional).
    #[serde(default)]
    pub ocr: Option<String>,
}

impl Default for ContentLimits {
    fn default() -> Self {
        ContentLimits {
            max_entries: 10_000,
            max_unpacked_bytes: 512 << 20,
            max_member_bytes: 128 << 20,
            max_ratio: 200,
            max_depth: 3,
            max_text_bytes: 32 << 20,
            ocr: None,
        }
    }
}

/// The text of one file: the file itself, or one member of an archive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Empty for the file itself; the member path inside archives, nested archives joined with
    /// `/` (`reports.zip/2024/q1.docx`).
    pub path: String,
    /// `None` when a member's format was not recognised.
    pub format: Option<Format>,
    pub text: String,
    /// The language of most of the text, when it can be told.
    pub lang: Option<Lang>,
    /// The text was cut at [`ContentLimits::max_text_bytes`].
    pub truncated: bool,
    /// Why an archive member gave no text (the archive itself still succeeded).
    pub error: Option<ExtractError>,
}

/// Everything extracted from one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub format: Format,
    pub parts: Vec<Part>,
}

impl Extracted {
    /// All text, parts separated by blank lines.
    pub fn full_text(&self) -> String {
        let texts: Vec<&str> =
            self.parts.iter().map(|p| p.text.as_str()).filter(|t| !t.is_empty()).collect();
        texts.join("\n\n")
    }
}

/// Why a file gave no text. Kinds are stable identifiers (`kind.code()`) for logs and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Zero bytes.
    Empty,
    /// Content of a kind the portal does not read (HTML, executables, unknown binary, RAR).
    Unsupported,
    /// Looks like a known format but does not parse (truncated, corrupt, hostile structure).
    Malformed,
    /// Password-protected.
    Encrypted,
    /// Bigger than the input limit.
    TooLarge,
    /// An archive beyond the limits on entries, sizes, ratio or depth (zip bombs).
    ArchiveLimits,
    /// An archive member whose name escapes the archive (`../`, absolute paths).
    UnsafePath,
    /// The child ran past the wall-clock limit and was killed.
    Timeout,
    /// The child used up its CPU-time limit.
    CpuLimit,
    /// The child ran out of its memory limit.
    MemoryLimit,
    /// The child died another way (a signal, a parser abort).
    Crashed,
    /// The child could not be started or answered nonsense.
    Sandbox,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Encrypted => "encrypted",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::ArchiveLimits => "archive_limits",
            ErrorKind::UnsafePath => "unsafe_path",
            ErrorKind::Timeout => "timeout",
            ErrorKind::CpuLimit => "cpu_limit",
            ErrorKind::MemoryLimit => "memory_limit",
            ErrorKind::Crashed => "crashed",
            ErrorKind::Sandbox => "sandbox",
        }
    }
}

/// An extraction failure: its kind and an English detail for the operator's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("text extraction failed ({}): {detail}", kind.code())]
pub struct ExtractError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl ExtractError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ExtractError { kind, detail: detail.into() }
    }
}

pub(crate) fn malformed(detail: impl Into<String>) -> ExtractError {
    ExtractError::new(ErrorKind::Malformed, detail)
}

/// Runs a third-party parser known to panic on hostile input (calamine, pdf-extract: see
/// STACK-NOTES) and turns a panic into `Malformed` naming the format and the panic, so a bad
/// file is a clean error at the parser already — not only in the sandboxed child's last-resort
/// `catch_unwind` — and a fuzzer goes on past it (docs/fuzzing.md).
pub(crate) fn catch_parser_panic<T>(
    format: &str,
    parse: impl FnOnce() -> Result<T, ExtractError>,
) -> Result<T, ExtractError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        Err(malformed(format!("{format} parser failed: {what}")))
    })
}

/// Extracts text in this process. **Run it only inside the sandboxed child** (see
/// [`run_sandboxed`]): parsers may panic, loop or allocate without bound on hostile input.
pub fn extract(bytes: &[u8], limits: &ContentLimits) -> Result<Extracted, ExtractError> {
    let mut budget = archive::Budget::new(limits);
    let format = sniff(bytes)?;
    let mut parts = Vec::new();
    if format == Format::Zip {
        archive::extract_zip(bytes, "", 1, &mut budget, &mut parts)?;
    } else {
        let text = extract_document(format, bytes, &mut budget)?;
        parts.push(budget.part(String::new(), Some(format), text));
    }
    Ok(Extracted { format, parts })
}

/// The parser of `format` run on `bytes` whatever the sniffer would say, so a fuzz target
/// reaches one parser directly (`fuzz/`, issue 20 point 2). Only in builds with
/// `--cfg fuzzing` (what `cargo fuzz` passes): the product's API stays as it is.
#[cfg(fuzzing)]
pub fn extract_as(
    format: Format,
    bytes: &[u8],
    limits: &ContentLimits,
) -> Result<String, ExtractError> {
    extract_document(format, bytes, &mut archive::Budget::new(limits))
}

/// Text of one non-archive file of a known format.
fn extract_document(
    format: Format,
    bytes: &[u8],
    budget: &mut archive::Budget,
) -> Result<String, ExtractError> {
    match format {
        Format::Pdf => pdf::extract(bytes),
        Format::Docx => ooxml::docx(bytes, budget),
        Format::Xlsx => ooxml::xlsx(bytes, budget),
        Format::Pptx => ooxml::pptx(bytes, budget),
        Format::Doc => ole::doc(bytes),
        Format::Xls => ole::xls(bytes),
        Format::Ppt => ole::ppt(bytes),
        Format::Rtf => rtf::extract(bytes),
        Format::Text => text::decode(bytes),
        Format::Tiff | Format::Jpeg => match budget.ocr_languages() {
            Some(languages) => ocr::run(bytes, languages),
            None => Ok(String::new()),
        },
        Format::Rar => Err(ExtractError::new(
            ErrorKind::Unsupported,
            "RAR archives are stored but not unpacked (no permissively licensed reader)",
        )),
        Format::Zip => Err(malformed("nested archive handled by the archive walker")),
    }
}

/// Language of a part's text, when it can be told.
fn guess_lang(text: &str) -> Option<Lang> {
    lang::guess(text)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
