//! Format recognition from content (I385 §10: "check by content, not by file name"): magic bytes,
//! the streams inside an OLE compound file, the members of a ZIP container, and for text a
//! decoding check. A file that is none of the allowed formats is refused, whatever its name.

use std::io::Cursor;

use super::{ErrorKind, ExtractError, Format, malformed, text};

const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

pub fn sniff(bytes: &[u8]) -> Result<Format, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::new(ErrorKind::Empty, "the file is empty"));
    }
    let head = &bytes[..bytes.len().min(1024)];
    if head.starts_with(b"%PDF-") || find(head, b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return ole_format(bytes);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_format(bytes);
    }
    if bytes.starts_with(b"Rar!\x1A\x07") {
        return Ok(Format::Rar);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Ok(Format::Rtf);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Ok(Format::Tiff);
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Ok(Format::Jpeg);
    }
    if let Some(kind) = known_binary(bytes) {
        return Err(ExtractError::new(ErrorKind::Unsupported, format!("{kind} content")));
    }
    if text::looks_like_text(bytes) {
        if looks_like_markup(bytes) {
            return Err(ExtractError::new(ErrorKind::Unsupported, "HTML/XML markup"));
        }
        return Ok(Format::Text);
    }
    Err(ExtractError::new(ErrorKind::Unsupported, "unrecognised binary content"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Executables and other common binaries, named in the error for the operator.
fn known_binary(bytes: &[u8]) -> Option<&'static str> {
    let table: &[(&[u8], &str)] = &[
        (b"\x7FELF", "ELF executable"),
        (b"MZ", "Windows executable"),
        (b"\xCA\xFE\xBA\xBE", "Mach-O/Java class"),
        (b"\xCF\xFA\xED\xFE", "Mach-O executable"),
        (b"#!", "script"),
        (b"\x89PNG", "PNG image"),
        (b"GIF8", "GIF image"),
        (b"\x1F\x8B", "gzip archive"),
        (b"7z\xBC\xAF\x27\x1C", "7z archive"),
        (b"BZh", "bzip2 archive"),
        (b"\xFD7zXZ", "xz archive"),
    ];
    table.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|(_, name)| *name)
}

/// HTML or XML documents: text the portal does not accept as an attachment (they are not in
/// the allowed list, and HTML renamed to .pdf is a classic smuggling trick).
fn looks_like_markup(bytes: &[u8]) -> bool {
    let head: Vec<u8> = bytes
        .iter()
        .take(512)
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    [&b"<!doctype"[..], b"<html", b"<?xml", b"<head", b"<body", b"<script", b"<svg"]
        .iter()
        .any(|p| head.starts_with(p))
}

/// Word, Excel or PowerPoint binary by the streams the compound file holds.
fn ole_format(bytes: &[u8]) -> Result<Format, ExtractError> {
    let cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| malformed(format!("OLE compound file: {e}")))?;
    if cf.is_stream("/EncryptedPackage") {
        return Err(ExtractError::new(ErrorKind::Encrypted, "password-protected Office file"));
    }
    if cf.is_stream("/WordDocument") {
        Ok(Format::Doc)
    } else if cf.is_stream("/Workbook") || cf.is_stream("/Book") {
        Ok(Format::Xls)
    } else if cf.is_stream("/PowerPoint Document") {
        Ok(Format::Ppt)
    } else {
        Err(ExtractError::new(ErrorKind::Unsupported, "OLE file of an unknown application"))
    }
}

/// DOCX, XLSX, PPTX by their main part; any other ZIP is an archive.
fn zip_format(bytes: &[u8]) -> Result<Format, ExtractError> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| malformed(format!("ZIP container: {e}")))?;
    let has = |name: &str| zip.index_for_name(name).is_some();
    Ok(if has("word/document.xml") {
        Format::Docx
    } else if has("xl/workbook.xml") {
        Format::Xlsx
    } else if has("ppt/presentation.xml") {
        Format::Pptx
    } else {
        Format::Zip
    })
}
