//! DOCX, XLSX and PPTX: ZIP containers of XML parts, opened through the checked archive reader
//! and parsed with the DTD-refusing XML walk. Text comes from `w:t` (Word), shared strings,
//! inline strings and values (Excel), and `a:t` (PowerPoint slides and notes).

use std::io::Cursor;

use zip::ZipArchive;

use super::archive::{Budget, open_checked, read_member, read_named};
use super::xml::{Ev, attr, walk};
use super::{ExtractError, malformed};

type Zip<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Names of the members that start with `prefix` and end with `.xml`, in numeric order
/// (`slide2.xml` before `slide10.xml`).
fn numbered_members(zip: &Zip, prefix: &str) -> Vec<(usize, String)> {
    let mut names: Vec<(u64, String)> = zip
        .file_names_raw()
        .filter_map(|n| std::str::from_utf8(n).ok())
        .filter(|n| {
            n.starts_with(prefix) && n.ends_with(".xml") && !n[prefix.len()..].contains('/')
        })
        .map(|n| {
            let digits: String = n[prefix.len()..].chars().filter(char::is_ascii_digit).collect();
            (digits.parse().unwrap_or(0), n.to_string())
        })
        .collect();
    names.sort();
    names.into_iter().filter_map(|(_, n)| zip.index_for_name(&n).map(|i| (i, n))).collect()
}

/// Word paragraphs: text of `w:t`, tabs and breaks, a newline per paragraph; deleted text and
/// field instructions are not text.
fn word_text(xml: &[u8], out: &mut String) -> Result<(), ExtractError> {
    let mut in_t = false;
    walk(xml, |ev| match ev {
        Ev::Start("t", _) => in_t = true,
        Ev::End("t") => in_t = false,
        Ev::Start("tab", _) => out.push('\t'),
        Ev::Start("br" | "cr", _) => out.push('\n'),
        Ev::End("p") => out.push('\n'),
        Ev::Text(t) if in_t => out.push_str(t),
        _ => {}
    })
}

pub fn docx(bytes: &[u8], budget: &mut Budget) -> Result<String, ExtractError> {
    let mut zip = open_checked(bytes, budget)?;
    let mut out = String::new();
    let main = read_named(&mut zip, "word/document.xml", budget)?
        .ok_or_else(|| malformed("DOCX without word/document.xml"))?;
    word_text(&main, &mut out)?;
    for prefix in ["word/header", "word/footer", "word/footnotes", "word/endnotes"] {
        for (i, _) in numbered_members(&zip, prefix) {
            let xml = read_member(&mut zip, i, budget)?;
            out.push('\n');
            word_text(&xml, &mut out)?;
        }
    }
    Ok(out)
}

pub fn pptx(bytes: &[u8], budget: &mut Budget) -> Result<String, ExtractError> {
    let mut zip = open_checked(bytes, budget)?;
    let mut out = String::new();
    for prefix in ["ppt/slides/slide", "ppt/notesSlides/notesSlide"] {
        for (i, _) in numbered_members(&zip, prefix) {
            let xml = read_member(&mut zip, i, budget)?;
            let mut in_t = false;
            walk(&xml, |ev| match ev {
                Ev::Start("t", _) => in_t = true,
                Ev::End("t") => in_t = false,
                Ev::Start("br", _) => out.push('\n'),
                Ev::End("p") => out.push('\n'),
                Ev::Text(t) if in_t => out.push_str(t),
                _ => {}
            })?;
            out.push('\n');
        }
    }
    Ok(out)
}

pub fn xlsx(bytes: &[u8], budget: &mut Budget) -> Result<String, ExtractError> {
    let mut zip = open_checked(bytes, budget)?;
    let shared = match read_named(&mut zip, "xl/sharedStrings.xml", budget)? {
        Some(xml) => shared_strings(&xml)?,
        None => Vec::new(),
    };
    let mut out = String::new();
    for (i, _) in numbered_members(&zip, "xl/worksheets/sheet") {
        let xml = read_member(&mut zip, i, budget)?;
        sheet_text(&xml, &shared, &mut out)?;
        out.push('\n');
    }
    Ok(out)
}

/// The shared string table: one string per `si`, phonetic hints (`rPh`) left out.
fn shared_strings(xml: &[u8]) -> Result<Vec<String>, ExtractError> {
    let mut strings = Vec::new();
    let (mut cur, mut in_t, mut in_rph) = (String::new(), false, false);
    walk(xml, |ev| match ev {
        Ev::Start("si", _) => cur.clear(),
        Ev::End("si") => strings.push(std::mem::take(&mut cur)),
        Ev::Start("rPh", _) => in_rph = true,
        Ev::End("rPh") => in_rph = false,
        Ev::Start("t", _) => in_t = true,
        Ev::End("t") => in_t = false,
        Ev::Text(t) if in_t && !in_rph => cur.push_str(t),
        _ => {}
    })?;
    Ok(strings)
}

/// Cells row by row, tab-separated: shared strings by index, inline strings, and values.
fn sheet_text(xml: &[u8], shared: &[String], out: &mut String) -> Result<(), ExtractError> {
    let (mut cell_type, mut in_v, mut in_t, mut first) = (None::<String>, false, false, true);
    let mut value = String::new();
    walk(xml, |ev| match ev {
        Ev::Start("c", e) => {
            cell_type = attr(e, "t");
            value.clear();
        }
        Ev::Start("v", _) => in_v = true,
        Ev::End("v") => in_v = false,
        Ev::Start("t", _) => in_t = true,
        Ev::End("t") => in_t = false,
        Ev::Text(t) if in_v || in_t => value.push_str(t),
        Ev::End("c") => {
            let text = match cell_type.as_deref() {
                Some("s") => value.trim().parse::<usize>().ok().and_then(|k| shared.get(k)),
                _ => Some(&value),
            };
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                if !first {
                    out.push('\t');
                }
                out.push_str(text);
                first = false;
            }
        }
        Ev::End("row") => {
            if !first {
                out.push('\n');
            }
            first = true;
        }
        _ => {}
    })
}
