//! ZIP containers — plain archives and the OOXML office formats built on them (DOCX, XLSX,
//! PPTX). Every member is decompressed through a counting sink (never to disk), so declared
//! sizes cannot lie; names that could escape a folder are refused; nested archives are
//! followed, streaming, up to the depth limit; XML parts with a DTD (entity bombs) are
//! refused in office files.

use std::io::{Read, Seek};

use super::{ArchiveEntry, Format, Inspection, Limits, Refusal};

/// Running totals across all nesting levels of one file.
struct Budget<'a> {
    limits: &'a Limits,
    entries: usize,
    uncompressed: u64,
}

impl Budget<'_> {
    fn count_entry(&mut self) -> Result<(), Refusal> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(Refusal::Archive(format!("more than {} entries", self.limits.max_entries)));
        }
        Ok(())
    }

    fn add_bytes(&mut self, n: u64) -> Result<(), Refusal> {
        self.uncompressed += n;
        if self.uncompressed > self.limits.max_total_uncompressed {
            return Err(Refusal::Archive(format!(
                "unpacks to more than {} MB (a decompression bomb)",
                self.limits.max_total_uncompressed / (1024 * 1024)
            )));
        }
        Ok(())
    }
}

/// Whether a member name stays inside the folder it would be unpacked into.
pub fn safe_name(name: &str) -> bool {
    let drive_letter = name.len() >= 2 && name.as_bytes()[1] == b':';
    let escapes = name.contains('\0')
        || name.contains('\\')
        || name.starts_with('/')
        || name.split('/').any(|part| part == "..")
        || drive_letter;
    !name.is_empty() && !escapes
}

fn office_format(names: &[String]) -> Option<Format> {
    if !names.iter().any(|n| n == "[Content_Types].xml") {
        return None;
    }
    let has = |p: &str| names.iter().any(|n| n == p);
    if has("word/document.xml") {
        Some(Format::Docx)
    } else if has("xl/workbook.xml") {
        Some(Format::Xlsx)
    } else if has("ppt/presentation.xml") {
        Some(Format::Pptx)
    } else {
        None
    }
}

fn is_xml_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".vml")
}

pub fn inspect<R: Read + Seek>(
    reader: &mut R,
    limits: &Limits,
) -> std::io::Result<Result<Inspection, Refusal>> {
    let mut archive = match ::zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(::zip::result::ZipError::Io(e)) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            return Err(e);
        }
        Err(e) => {
            return Ok(Err(Refusal::Damaged(
                Format::Zip,
                format!("not a readable ZIP archive: {e}"),
            )));
        }
    };
    let mut budget = Budget { limits, entries: 0, uncompressed: 0 };
    if archive.len() > limits.max_entries {
        return Ok(Err(Refusal::Archive(format!(
            "{} entries, more than {}",
            archive.len(),
            limits.max_entries
        ))));
    }
    let mut entries = Vec::with_capacity(archive.len());
    let mut declared_total = 0u64;
    for i in 0..archive.len() {
        let file = match archive.by_index_raw(i) {
            Ok(f) => f,
            Err(e) => return Ok(Err(Refusal::Damaged(Format::Zip, format!("entry {i}: {e}")))),
        };
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        if !safe_name(&name) {
            return Ok(Err(Refusal::Archive(format!(
                "member name {name:?} points outside the archive"
            ))));
        }
        declared_total = declared_total.saturating_add(file.size());
        if file.size() > 1024 * 1024
            && file.size() / file.compressed_size().max(1) > limits.max_ratio
        {
            return Ok(Err(Refusal::Archive(format!(
                "member {name:?} is compressed more than {}:1 (a decompression bomb)",
                limits.max_ratio
            ))));
        }
        entries.push(ArchiveEntry {
            name,
            size: file.size(),
            compressed: file.compressed_size(),
            encrypted: file.encrypted(),
            dir: file.is_dir(),
        });
    }
    if declared_total > limits.max_total_uncompressed {
        return Ok(Err(Refusal::Archive(format!(
            "declares {} MB uncompressed (a decompression bomb)",
            declared_total / (1024 * 1024)
        ))));
    }
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let format = office_format(&names).unwrap_or(Format::Zip);
    for (i, entry) in entries.iter().enumerate() {
        if let Err(r) = budget.count_entry() {
            return Ok(Err(r));
        }
        if entry.dir || entry.encrypted {
            continue;
        }
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                return Ok(Err(Refusal::Archive(format!(
                    "member {:?} cannot be read: {e}",
                    entry.name
                ))));
            }
        };
        let check_dtd = format != Format::Zip && is_xml_part(&entry.name);
        if let Err(r) = drain(&mut member, entry.size, check_dtd, 1, &mut budget, &entry.name) {
            return Ok(Err(r));
        }
    }
    let listing = if format == Format::Zip { entries } else { Vec::new() };
    Ok(Ok(Inspection { format, entries: listing }))
}

/// Reads a member to the end through the budget; follows a nested archive.
fn drain(
    member: &mut dyn Read,
    declared: u64,
    check_dtd: bool,
    depth: u32,
    budget: &mut Budget,
    name: &str,
) -> Result<(), Refusal> {
    let io = |e: std::io::Error| Refusal::Archive(format!("member {name:?} is damaged: {e}"));
    let mut head = [0u8; 4096];
    let mut got = 0;
    while got < head.len() {
        match member.read(&mut head[got..]).map_err(io)? {
            0 => break,
            n => got += n,
        }
    }
    if check_dtd && (contains(&head[..got], b"<!DOCTYPE") || contains(&head[..got], b"<!ENTITY")) {
        return Err(Refusal::Archive(format!(
            "XML part {name:?} declares a DTD (refused: entity expansion bombs)"
        )));
    }
    budget.add_bytes(got as u64)?;
    let mut actual = got as u64;
    let nested = got >= 4 && head.starts_with(b"PK\x03\x04");
    if nested {
        if depth >= budget.limits.max_depth {
            return Err(Refusal::Archive(format!(
                "archives nested deeper than {} levels",
                budget.limits.max_depth
            )));
        }
        let mut chained = std::io::Read::chain(&head[..got], member);
        let mut counting = Counting { inner: &mut chained, count: got as u64 };
        loop {
            let next = ::zip::read::read_zipfile_from_stream(&mut counting);
            match next {
                Ok(Some(mut inner)) => {
                    let inner_name = String::from_utf8_lossy(inner.name_raw()).into_owned();
                    if !safe_name(&inner_name) {
                        return Err(Refusal::Archive(format!(
                            "member name {inner_name:?} inside {name:?} points outside the archive"
                        )));
                    }
                    budget.count_entry()?;
                    if inner.is_dir() || inner.encrypted() {
                        continue;
                    }
                    let size = inner.size();
                    let label = format!("{name}/{inner_name}");
                    drain(&mut inner, size, false, depth + 1, budget, &label)?;
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(Refusal::Archive(format!(
                        "nested archive {name:?} is damaged: {e}"
                    )));
                }
            }
        }
        // Whatever trails the nested archive's entries (its directory) still counts.
        let mut sink = [0u8; 64 * 1024];
        loop {
            match counting.read(&mut sink).map_err(io)? {
                0 => break,
                n => budget.add_bytes(n as u64)?,
            }
        }
        return Ok(());
    }
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = member.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        actual += n as u64;
        budget.add_bytes(n as u64)?;
        if actual > declared.saturating_add(1024) && declared > 0 {
            return Err(Refusal::Archive(format!(
                "member {name:?} unpacks to more than it declares (a decompression bomb)"
            )));
        }
    }
    Ok(())
}

struct Counting<'a> {
    inner: &'a mut dyn Read,
    count: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn make(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn check(bytes: Vec<u8>, limits: Limits) -> Result<Inspection, Refusal> {
        inspect(&mut Cursor::new(bytes), &limits).unwrap()
    }

    #[test]
    fn a_plain_zip_is_listed_and_office_files_are_recognised() {
        let zip = make(&[("a.txt", b"hello"), ("docs/b.txt", "сәлем".as_bytes())]);
        let found = check(zip, Limits::default()).unwrap();
        assert_eq!(found.format, Format::Zip);
        assert_eq!(
            found.entries.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["a.txt", "docs/b.txt"]
        );
        let docx = make(&[
            ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(check(docx, Limits::default()).unwrap().format, Format::Docx);
    }

    #[test]
    fn hostile_archives_are_refused() {
        let slip = make(&[("../../etc/passwd", b"x")]);
        assert!(
            matches!(check(slip, Limits::default()), Err(Refusal::Archive(m)) if m.contains("outside"))
        );
        let many: Vec<(String, Vec<u8>)> = (0..50).map(|i| (format!("f{i}"), vec![b'x'])).collect();
        let refs: Vec<(&str, &[u8])> =
            many.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let limits = Limits { max_entries: 20, ..Limits::default() };
        assert!(
            matches!(check(make(&refs), limits), Err(Refusal::Archive(m)) if m.contains("entries"))
        );
        let zeros = vec![0u8; 50 * 1024 * 1024];
        let bomb = make(&[("zeros.bin", &zeros)]);
        assert!(
            matches!(check(bomb, Limits::default()), Err(Refusal::Archive(m)) if m.contains("bomb"))
        );
        let dtd = make(&[
            ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
            ("word/document.xml", b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><w:document>&lol;</w:document>"),
        ]);
        assert!(
            matches!(check(dtd, Limits::default()), Err(Refusal::Archive(m)) if m.contains("DTD"))
        );
    }

    #[test]
    fn nesting_is_followed_up_to_the_limit() {
        let level3 = make(&[("deep.txt", b"deep")]);
        let level2 = make(&[("l3.zip", &level3)]);
        let level1 = make(&[("l2.zip", &level2)]);
        assert!(check(level1.clone(), Limits::default()).is_ok(), "three levels are allowed");
        let level0 = make(&[("l1.zip", &level1)]);
        assert!(
            matches!(check(level0, Limits::default()), Err(Refusal::Archive(m)) if m.contains("nested"))
        );
    }

    #[test]
    fn names() {
        for bad in ["/etc/x", "a/../../b", "..", "C:/x", "a\\b", ""] {
            assert!(!safe_name(bad), "{bad}");
        }
        assert!(safe_name("папка/файл.txt"));
    }
}
