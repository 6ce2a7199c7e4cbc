//! The calendar's CSV form: one entry a line, `date,kind,note` — `2027-01-09,working,
//! Decree No. 123 of 01.12.2026`. A header line starting with `date` is skipped; `;` may
//! separate instead of `,` (as spreadsheets in Russian locales save); UTF-8, with or
//! without a byte-order mark. A file is accepted whole or refused whole: the first bad
//! line is named with its number and the reason.

use jiff::civil::Date;

use super::{Entry, EntryKind};

/// At most this many entries in one file (a century of decrees).
pub const MAX_LINES: usize = 10_000;

/// Why a line was refused; `reason` is a message id of `calendar.ftl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: u64,
    /// The line as read (cut to 200 characters).
    pub text: String,
    pub reason: &'static str,
}

pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, LineError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        LineError { line, text: String::new(), reason: "calendar-csv-encoding" }
    })?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first.contains(';') && !first.contains(',') { b';' } else { b',' };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out: Vec<Entry> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for record in reader.records() {
        let (record, line) = match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                (r, line)
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(error(&lines, line, "calendar-csv-columns"));
            }
        };
        let fields: Vec<&str> = record.iter().map(str::trim).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if out.is_empty() && fields[0].eq_ignore_ascii_case("date") {
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(error(&lines, line, "calendar-csv-columns"));
        }
        let date: Date = fields[0].parse().map_err(|_| error(&lines, line, "calendar-csv-date"))?;
        if !(1991..=2200).contains(&date.year()) {
            return Err(error(&lines, line, "calendar-csv-date"));
        }
        let kind =
            EntryKind::parse(fields[1]).ok_or_else(|| error(&lines, line, "calendar-csv-kind"))?;
        let note = fields.get(2).copied().unwrap_or("");
        if note.chars().count() > 300 || note.chars().any(char::is_control) {
            return Err(error(&lines, line, "calendar-csv-note"));
        }
        if out.iter().any(|e| e.date == date) {
            return Err(error(&lines, line, "calendar-csv-duplicate"));
        }
        if out.len() >= MAX_LINES {
            return Err(error(&lines, line, "calendar-csv-too-many"));
        }
        out.push(Entry { date, kind, note: note.to_owned() });
    }
    Ok(out)
}

fn error(lines: &[&str], line: u64, reason: &'static str) -> LineError {
    let text = lines
        .get(line.saturating_sub(1) as usize)
        .map(|l| l.chars().take(200).collect())
        .unwrap_or_default();
    LineError { line, text, reason }
}

/// Entries as CSV, with the header line (what `parse` reads back).
pub fn write(entries: &[Entry]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["date", "kind", "note"]);
    for e in entries {
        let _ = w.write_record([e.date.to_string().as_str(), e.kind.name(), e.note.as_str()]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
