//! Which file formats may be attached, decided by **content**, never by name (I385 §10):
//! PDF, TIFF, JPEG, RTF, DOC, DOCX, XLS, XLSX, PPT, PPTX, RAR, ZIP and plain text.
//!
//! [`inspect`] sniffs a file's real format from its bytes, checks its structure (a PDF has
//! its end marker, an OLE file its streams, a ZIP its directory, a text file no binary
//! bytes), runs the archive checks (path traversal, bombs, entry count, nesting) and returns
//! the archive listing. [`judge`] then compares the real format with the one the name
//! claims. Everything works on `Read + Seek`, so an encrypted blob is inspected in place.

pub mod rar;
pub mod zip;

use std::io::{Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

/// Formats the portal knows how to recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Tiff,
    Jpeg,
    Rtf,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Ppt,
    Pptx,
    Rar,
    Zip,
    Txt,
    // Recognised only to explain a refusal:
    Html,
    Executable,
    Unknown,
}

impl Format {
    /// The formats I385 §10 allows (PPTX beside PPT, plain text beside them).
    pub const ALLOWED: &'static [Format] = &[
        Format::Pdf,
        Format::Tiff,
        Format::Jpeg,
        Format::Rtf,
        Format::Doc,
        Format::Docx,
        Format::Xls,
        Format::Xlsx,
        Format::Ppt,
        Format::Pptx,
        Format::Rar,
        Format::Zip,
        Format::Txt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Tiff => "tiff",
            Format::Jpeg => "jpeg",
            Format::Rtf => "rtf",
            Format::Doc => "doc",
            Format::Docx => "docx",
            Format::Xls => "xls",
            Format::Xlsx => "xlsx",
            Format::Ppt => "ppt",
            Format::Pptx => "pptx",
            Format::Rar => "rar",
            Format::Zip => "zip",
            Format::Txt => "txt",
            Format::Html => "html",
            Format::Executable => "executable",
            Format::Unknown => "unknown",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALLOWED.iter().copied().find(|f| f.name() == name)
    }

    /// The media type sent with downloads.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Tiff => "image/tiff",
            Format::Jpeg => "image/jpeg",
            Format::Rtf => "application/rtf",
            Format::Doc => "application/msword",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Xls => "application/vnd.ms-excel",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Ppt => "application/vnd.ms-powerpoint",
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Rar => "application/vnd.rar",
            Format::Zip => "application/zip",
            Format::Txt => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        }
    }

    /// The format a file name claims by its extension.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Format::Pdf,
            "tif" | "tiff" => Format::Tiff,
            "jpg" | "jpeg" | "jpe" => Format::Jpeg,
            "rtf" => Format::Rtf,
            "doc" => Format::Doc,
            "docx" => Format::Docx,
            "xls" => Format::Xls,
            "xlsx" => Format::Xlsx,
            "ppt" => Format::Ppt,
            "pptx" => Format::Pptx,
            "rar" => Format::Rar,
            "zip" => Format::Zip,
            "txt" | "text" => Format::Txt,
            "htm" | "html" | "xhtml" => Format::Html,
            "exe" | "dll" | "msi" | "com" | "scr" | "bat" | "cmd" | "sh" | "js" | "vbs" | "ps1"
            | "elf" | "bin" => Format::Executable,
            _ => Format::Unknown,
        })
    }
}

/// Limits on archives (and office files, which are ZIP archives too).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_total_uncompressed: u64,
    pub max_ratio: u64,
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 10_000,
            max_total_uncompressed: 1024 * 1024 * 1024,
            max_ratio: 200,
            max_depth: 3,
        }
    }
}

/// One member of an archive, as listed on the document page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveEntry {
    pub name: String,
    pub size: u64,
    pub compressed: u64,
    #[serde(default)]
    pub encrypted: bool,
    #[serde(default)]
    pub dir: bool,
}

/// What inspection found.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub format: Format,
    /// Members of a ZIP or RAR attachment (not of office files).
    pub entries: Vec<ArchiveEntry>,
}

/// Why a file is refused. Each maps to an error code and a translated explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// The file is not of any allowed format (what it really is).
    NotAllowed(Format),
    /// The name claims one format, the bytes are another.
    Mismatch {
        claimed: Format,
        actual: Format,
    },
    /// The bytes start like the format but its structure is broken or cut short.
    Damaged(Format, String),
    /// An archive (or office file) failed a safety check.
    Archive(String),
}

/// Sniffs and checks a file. `Err` only for I/O errors of the underlying reader.
pub fn inspect<R: Read + Seek>(
    reader: &mut R,
    limits: &Limits,
) -> std::io::Result<Result<Inspection, Refusal>> {
    let len = reader.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(Err(Refusal::Empty));
    }
    reader.seek(SeekFrom::Start(0))?;
    let mut head = vec![0u8; 4096.min(len as usize)];
    reader.read_exact(&mut head)?;
    let tail_len = 2048.min(len);
    reader.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    reader.read_exact(&mut tail)?;
    reader.seek(SeekFrom::Start(0))?;
    let plain = |format| Ok(Ok(Inspection { format, entries: Vec::new() }));
    let damaged = |format, why: &str| Ok(Err(Refusal::Damaged(format, why.to_owned())));

    if head.starts_with(b"%PDF-") || find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return if find(&tail, b"%%EOF").is_some() {
            plain(Format::Pdf)
        } else {
            damaged(Format::Pdf, "no end-of-file marker: the PDF is truncated")
        };
    }
    if head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || head.starts_with(b"II+\0")
        || head.starts_with(b"MM\0+")
    {
        return if tiff_ifd_ok(&head, len) {
            plain(Format::Tiff)
        } else {
            damaged(Format::Tiff, "the first image directory lies outside the file")
        };
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return if find(&tail, &[0xFF, 0xD9]).is_some() {
            plain(Format::Jpeg)
        } else {
            damaged(Format::Jpeg, "no end-of-image marker: the JPEG is truncated")
        };
    }
    if head.starts_with(b"{\\rtf") {
        let ends = tail.iter().rev().find(|b| !b.is_ascii_whitespace() && **b != 0) == Some(&b'}');
        return if ends {
            plain(Format::Rtf)
        } else {
            damaged(Format::Rtf, "the RTF is not closed: truncated")
        };
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(ole_format(reader));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return zip::inspect(reader, limits);
    }
    if head.starts_with(b"Rar!\x1A\x07") {
        return Ok(rar::inspect(reader, len, limits));
    }
    if head.starts_with(b"\x7FELF")
        || head.starts_with(b"MZ")
        || head.starts_with(&[0xCF, 0xFA, 0xED, 0xFE])
        || head.starts_with(b"#!")
    {
        return Ok(Err(Refusal::NotAllowed(Format::Executable)));
    }
    if looks_like_html(&head) {
        return Ok(Err(Refusal::NotAllowed(Format::Html)));
    }
    if is_text(reader, len)? {
        return plain(Format::Txt);
    }
    Ok(Err(Refusal::NotAllowed(Format::Unknown)))
}

/// Compares what the bytes are with what the name claims, within the allowed list.
pub fn judge(actual: Format, file_name: &str, allowed: &[Format]) -> Result<Format, Refusal> {
    let claimed = Format::from_file_name(file_name);
    match claimed {
        Some(c) if Format::ALLOWED.contains(&c) => {
            if !allowed.contains(&c) {
                Err(Refusal::NotAllowed(c))
            } else if c == actual {
                Ok(actual)
            } else {
                Err(Refusal::Mismatch { claimed: c, actual })
            }
        }
        // No extension: the content decides.
        None if allowed.contains(&actual) => Ok(actual),
        None => Err(Refusal::NotAllowed(actual)),
        // A disallowed extension (.exe, .html, .odt...): refused whatever the bytes are.
        Some(c) => Err(Refusal::NotAllowed(if c == Format::Unknown { actual } else { c })),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn tiff_ifd_ok(head: &[u8], len: u64) -> bool {
    if head.len() < 8 {
        return false;
    }
    let little = head[0] == b'I';
    if head[2] == 43 || head[3] == 43 {
        return len > 16; // BigTIFF: 8-byte offsets; accept a plausible file.
    }
    let raw: [u8; 4] = head[4..8].try_into().expect("4 bytes");
    let offset = if little { u32::from_le_bytes(raw) } else { u32::from_be_bytes(raw) } as u64;
    offset >= 8 && offset + 2 <= len
}

fn ole_format<R: Read + Seek>(reader: &mut R) -> Result<Inspection, Refusal> {
    let file = match cfb::CompoundFile::open(reader) {
        Ok(f) => f,
        Err(e) => return Err(Refusal::Damaged(Format::Doc, format!("damaged OLE container: {e}"))),
    };
    let has = |name: &str| file.is_stream(format!("/{name}"));
    let format = if has("WordDocument") {
        Format::Doc
    } else if has("Workbook") || has("Book") {
        Format::Xls
    } else if has("PowerPoint Document") {
        Format::Ppt
    } else if has("EncryptedPackage") {
        return Err(Refusal::Archive("a password-protected office file cannot be checked".into()));
    } else {
        return Err(Refusal::NotAllowed(Format::Unknown));
    };
    Ok(Inspection { format, entries: Vec::new() })
}

fn looks_like_html(head: &[u8]) -> bool {
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(64)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    start.starts_with(b"<!doctype html")
        || start.starts_with(b"<html")
        || start.starts_with(b"<head")
        || start.starts_with(b"<script")
        || start.starts_with(b"<?xml") && find(head, b"<html").is_some()
}

/// Plain text: UTF-8, UTF-16 with a byte-order mark, or a single-byte Cyrillic encoding,
/// without binary control bytes. Reads the whole file in pieces.
fn is_text<R: Read + Seek>(reader: &mut R, len: u64) -> std::io::Result<bool> {
    reader.seek(SeekFrom::Start(0))?;
    let mut first = [0u8; 2];
    let n = reader.read(&mut first)?;
    if n == 2 && (first == [0xFF, 0xFE] || first == [0xFE, 0xFF]) {
        // UTF-16: even length; NUL bytes are expected.
        return Ok(len.is_multiple_of(2));
    }
    reader.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(true);
        }
        if buf[..n]
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C) || b == 0x7F)
        {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn sniff(bytes: &[u8]) -> Result<Format, Refusal> {
        inspect(&mut Cursor::new(bytes.to_vec()), &Limits::default()).unwrap().map(|i| i.format)
    }

    #[test]
    fn content_decides_the_format() {
        assert_eq!(
            sniff(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer<<>>\n%%EOF\n"),
            Ok(Format::Pdf)
        );
        assert!(matches!(sniff(b"%PDF-1.7\n1 0 obj\n<<>>"), Err(Refusal::Damaged(Format::Pdf, _))));
        assert_eq!(sniff(b"{\\rtf1\\ansi Hello}\r\n"), Ok(Format::Rtf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9]), Ok(Format::Jpeg));
        assert_eq!(sniff("Қазақ мәтіні\nРусский текст\n".as_bytes()), Ok(Format::Txt));
        assert_eq!(
            sniff(b"<!DOCTYPE html><html><body>x</body></html>"),
            Err(Refusal::NotAllowed(Format::Html))
        );
        assert_eq!(
            sniff(b"\x7FELF\x02\x01\x01\0\0\0"),
            Err(Refusal::NotAllowed(Format::Executable))
        );
        assert_eq!(sniff(b"MZ\x90\0\x03"), Err(Refusal::NotAllowed(Format::Executable)));
        assert_eq!(sniff(b""), Err(Refusal::Empty));
        assert_eq!(sniff(&[0u8, 1, 2, 3, 200, 201]), Err(Refusal::NotAllowed(Format::Unknown)));
    }

    #[test]
    fn the_name_must_agree_with_the_bytes() {
        let all = Format::ALLOWED;
        assert_eq!(judge(Format::Pdf, "Приказ №385.PDF", all), Ok(Format::Pdf));
        assert_eq!(
            judge(Format::Html, "report.pdf", all),
            Err(Refusal::Mismatch { claimed: Format::Pdf, actual: Format::Html })
        );
        assert_eq!(
            judge(Format::Executable, "plan.docx", all),
            Err(Refusal::Mismatch { claimed: Format::Docx, actual: Format::Executable })
        );
        assert_eq!(
            judge(Format::Zip, "plan.docx", all),
            Err(Refusal::Mismatch { claimed: Format::Docx, actual: Format::Zip })
        );
        assert_eq!(judge(Format::Pdf, "noextension", all), Ok(Format::Pdf));
        assert_eq!(
            judge(Format::Txt, "setup.exe", all),
            Err(Refusal::NotAllowed(Format::Executable))
        );
        assert_eq!(judge(Format::Zip, "doc.odt", all), Err(Refusal::NotAllowed(Format::Zip)));
        assert_eq!(
            judge(Format::Pdf, "a.pdf", &[Format::Txt]),
            Err(Refusal::NotAllowed(Format::Pdf)),
            "the administrator narrowed the list"
        );
    }
}
