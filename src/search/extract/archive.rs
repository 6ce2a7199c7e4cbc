//! ZIP containers — archives and the OOXML files built on ZIP — opened under limits: entry count,
//! unpacked bytes per member and in total, unpacked/packed ratio, nesting depth; member names
//! that would escape the archive (`../`, absolute, drive letters) refuse the whole archive; a
//! member is never read past its declared size, so a lying header cannot inflate memory.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{
    ContentLimits, ErrorKind, ExtractError, Format, Part, extract_document, guess_lang, malformed,
    sniff,
};

/// What one extraction may still unpack and keep, shared by every container it opens.
pub struct Budget<'l> {
    limits: &'l ContentLimits,
    entries: usize,
    unpacked: u64,
    text_bytes: usize,
}

impl<'l> Budget<'l> {
    pub fn new(limits: &'l ContentLimits) -> Self {
        Budget { limits, entries: 0, unpacked: 0, text_bytes: 0 }
    }

    pub fn ocr_languages(&self) -> Option<&str> {
        self.limits.ocr.as_deref()
    }

    /// A part with `text` cut to the text budget that is left.
    pub fn part(&mut self, path: String, format: Option<Format>, mut text: String) -> Part {
        let left = self.limits.max_text_bytes.saturating_sub(self.text_bytes);
        let truncated = text.len() > left;
        if truncated {
            let mut cut = left;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        self.text_bytes += text.len();
        let lang = guess_lang(&text);
        Part { path, format, text, lang, truncated, error: None }
    }
}

fn limit(detail: String) -> ExtractError {
    ExtractError::new(ErrorKind::ArchiveLimits, detail)
}

/// Member names must stay inside the archive whatever system unpacks it.
fn safe_name(name: &str) -> bool {
    let unified = name.replace('\\', "/");
    let drive_letter = unified.len() >= 2 && unified.as_bytes()[1] == b':';
    let escapes = unified.starts_with('/')
        || unified.contains('\0')
        || drive_letter
        || unified.split('/').any(|c| c == "..");
    !escapes
}

/// Opens a ZIP container and checks every entry's name and declared sizes before anything is
/// unpacked.
pub fn open_checked<'a>(
    bytes: &'a [u8],
    budget: &mut Budget,
) -> Result<ZipArchive<Cursor<&'a [u8]>>, ExtractError> {
    let limits = budget.limits;
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(format!("ZIP: {e}")))?;
    budget.entries += zip.len();
    if budget.entries > limits.max_entries {
        return Err(limit(format!("{} entries (limit {})", budget.entries, limits.max_entries)));
    }
    let mut declared_total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| malformed(format!("ZIP entry {i}: {e}")))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if !safe_name(&name) || entry.enclosed_name().is_none() {
            return Err(ExtractError::new(
                ErrorKind::UnsafePath,
                format!("member name escapes the archive: {name:?}"),
            ));
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > limits.max_member_bytes {
            return Err(limit(format!("member {name:?} unpacks to {size} bytes")));
        }
        if size > (1 << 20) && size / packed.max(1) > limits.max_ratio {
            return Err(limit(format!(
                "member {name:?} compression ratio {}",
                size / packed.max(1)
            )));
        }
        declared_total = declared_total.saturating_add(size);
    }
    if budget.unpacked.saturating_add(declared_total) > limits.max_unpacked_bytes {
        return Err(limit(format!("archive unpacks to {declared_total} bytes")));
    }
    Ok(zip)
}

/// Reads member `i` whole; never more than its declared size.
pub fn read_member(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    i: usize,
    budget: &mut Budget,
) -> Result<Vec<u8>, ExtractError> {
    let mut file = zip.by_index(i).map_err(|e| member_error(&e.to_string()))?;
    let declared = file.size();
    let mut out = Vec::with_capacity(declared.min(1 << 20) as usize);
    (&mut file)
        .take(declared + 1)
        .read_to_end(&mut out)
        .map_err(|e| malformed(format!("ZIP member {i}: {e}")))?;
    if out.len() as u64 != declared {
        return Err(malformed(format!(
            "ZIP member {i} unpacks to more or less than its declared {declared} bytes"
        )));
    }
    budget.unpacked += declared;
    if budget.unpacked > budget.limits.max_unpacked_bytes {
        return Err(limit("unpacked bytes over the limit".into()));
    }
    Ok(out)
}

fn member_error(msg: &str) -> ExtractError {
    let lower = msg.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        ExtractError::new(ErrorKind::Encrypted, msg.to_string())
    } else if lower.contains("unsupported") || lower.contains("compression method") {
        ExtractError::new(ErrorKind::Unsupported, msg.to_string())
    } else {
        malformed(msg.to_string())
    }
}

/// Reads the member called `name`, if present.
pub fn read_named(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>, ExtractError> {
    match zip.index_for_name(name) {
        Some(i) => read_member(zip, i, budget).map(Some),
        None => Ok(None),
    }
}

/// Errors of a member that condemn the whole archive (it is hostile, not just damaged).
fn fatal(e: &ExtractError) -> bool {
    matches!(e.kind, ErrorKind::ArchiveLimits | ErrorKind::UnsafePath)
}

/// Extracts every member of the archive `bytes` into `parts`, paths prefixed with `prefix`;
/// nested archives down to [`ContentLimits::max_depth`].
pub fn extract_zip(
    bytes: &[u8],
    prefix: &str,
    depth: u32,
    budget: &mut Budget,
    parts: &mut Vec<Part>,
) -> Result<(), ExtractError> {
    let mut zip = open_checked(bytes, budget)?;
    for i in 0..zip.len() {
        let (name, is_dir, encrypted) = {
            let e = zip.by_index_raw(i).map_err(|e| malformed(e.to_string()))?;
            (String::from_utf8_lossy(e.name_raw()).replace('\\', "/"), e.is_dir(), e.encrypted())
        };
        if is_dir {
            continue;
        }
        let path = format!("{prefix}{name}");
        let error_part = |format, err: ExtractError| Part {
            path: path.clone(),
            format,
            text: String::new(),
            lang: None,
            truncated: false,
            error: Some(err),
        };
        if encrypted {
            parts.push(error_part(None, ExtractError::new(ErrorKind::Encrypted, "encrypted")));
            continue;
        }
        let data = match read_member(&mut zip, i, budget) {
            Ok(d) => d,
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => {
                parts.push(error_part(None, e));
                continue;
            }
        };
        let format = match sniff(&data) {
            Ok(f) => f,
            Err(e) => {
                parts.push(error_part(None, e));
                continue;
            }
        };
        if format == Format::Zip {
            if depth >= budget.limits.max_depth {
                parts.push(error_part(
                    Some(format),
                    limit(format!("archive nested deeper than {}", budget.limits.max_depth)),
                ));
                continue;
            }
            extract_zip(&data, &format!("{path}/"), depth + 1, budget, parts)?;
            continue;
        }
        match extract_document(format, &data, budget) {
            Ok(text) => parts.push(budget.part(path, Some(format), text)),
            Err(e) if fatal(&e) => return Err(e),
            Err(e) => parts.push(error_part(Some(format), e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn names_that_escape_are_unsafe() {
        for bad in ["../etc/passwd", "a/../../b", "/etc/passwd", "..\\..\\win.ini", "C:\\x", "a\0b"]
        {
            assert!(!safe_name(bad), "{bad:?}");
        }
        for good in ["a.txt", "dir/б.docx", "a..b.txt", "dir/..hidden"] {
            assert!(safe_name(good), "{good:?}");
        }
    }
}
