//! Reminders of control instructions (I385 §48–§51), without I/O: the sources, the
//! statuses, one instruction as the e-document system sends it (the fields of §49), the
//! parsing of a batch (JSON or CSV, UTF-8 or Windows-1251) with every refused record named
//! by its line and reason, and the days left on the working-day calendar.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

/// Where instructions come from (§48, §51).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The Chancellery of the Prime Minister.
    Chancellery,
    /// The Presidential Administration.
    PresidentialAdministration,
}

impl Source {
    pub const ALL: &'static [Source] = &[Source::Chancellery, Source::PresidentialAdministration];

    pub fn name(self) -> &'static str {
        match self {
            Source::Chancellery => "chancellery",
            Source::PresidentialAdministration => "presidential_administration",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.iter().copied().find(|x| x.name() == s.trim())
    }

    /// Fluent key of the source's name.
    pub fn message_key(self) -> &'static str {
        match self {
            Source::Chancellery => "reminders-source-chancellery",
            Source::PresidentialAdministration => "reminders-source-presidential-administration",
        }
    }
}

/// An instruction's standing in the e-document system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnControl,
    /// Prolonged: the deadline is the new one.
    Prolonged,
    /// Executed: drops out of the list at the next refresh (§51).
    Executed,
    /// Taken off control: drops out as well.
    Withdrawn,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::OnControl => "on_control",
            Status::Prolonged => "prolonged",
            Status::Executed => "executed",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// The names the e-document system's exports use (English codes, Russian and Kazakh
    /// words), case-insensitive.
    pub fn parse(s: &str) -> Option<Status> {
        let s = s.trim().to_lowercase();
        Some(match s.as_str() {
            "on_control" | "на контроле" | "бақылауда" => Status::OnControl,
            "prolonged" | "продлен" | "продлён" | "ұзартылды" => {
                Status::Prolonged
            }
            "executed" | "исполнен" | "орындалды" => Status::Executed,
            "withdrawn" | "taken_off_control" | "снят с контроля" | "бақылаудан алынды" => {
                Status::Withdrawn
            }
            _ => return None,
        })
    }

    /// Whether the instruction is still followed (shown to controllers).
    pub fn is_active(self) -> bool {
        matches!(self, Status::OnControl | Status::Prolonged)
    }

    pub fn message_key(self) -> &'static str {
        match self {
            Status::OnControl => "reminders-status-on-control",
            Status::Prolonged => "reminders-status-prolonged",
            Status::Executed => "reminders-status-executed",
            Status::Withdrawn => "reminders-status-withdrawn",
        }
    }
}

/// One instruction as the source sent it (§49).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The source's own id: the same id again is the same instruction.
    pub record_id: String,
    pub outgoing_number: String,
    pub outgoing_date: Date,
    pub summary: String,
    /// The executor agency as the source names it (a portal agency code, or an alias
    /// mapped in `[reminders] agency_aliases`).
    pub executor_agency: String,
    #[serde(default)]
    pub executor_person: String,
    #[serde(default)]
    pub executor_email: String,
    pub document_type: String,
    pub department: String,
    /// The deadline in force (the new one when prolonged).
    pub deadline: Date,
    /// The deadline before prolongation, when the source gave it.
    #[serde(default)]
    pub original_deadline: Option<Date>,
    pub status: Status,
}

/// Why a record was refused: its position in the file (the CSV line, or the JSON record's
/// number from 1), the field and a message key that says what to correct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    pub line: usize,
    pub field: String,
    pub key: String,
    /// The offending value, shortened.
    pub value: String,
}

/// A parsed batch: the good records (in file order) and the refused ones.
#[derive(Debug, Default)]
pub struct Parsed {
    pub source: Option<Source>,
    pub encoding: &'static str,
    pub records: Vec<(usize, Record)>,
    pub errors: Vec<RecordError>,
}

/// Why a whole file was refused before any record was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub key: &'static str,
    pub detail: String,
}

fn file_error(key: &'static str, detail: impl Into<String>) -> FileError {
    FileError { key, detail: detail.into() }
}

const MAX_TEXT: usize = 500;
const MAX_SUMMARY: usize = 4000;

/// Decodes UTF-8 (with or without BOM) or Windows-1251. Anything else — UTF-16, binary,
/// a single-byte encoding whose letters are not Cyrillic — is refused rather than guessed,
/// so a summary is never stored garbled.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), FileError> {
    let unknown = || file_error("reminders-error-encoding", "");
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) || bytes.contains(&0) {
        return Err(unknown());
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(body) {
        return Ok((s.to_owned(), "utf-8"));
    }
    let (text, _, had_errors) = encoding_rs::WINDOWS_1251.decode(bytes);
    if had_errors {
        return Err(unknown());
    }
    // In Windows-1251 text of state bodies the bytes above 0x7F are the letters А–я, Ё, І
    // and a few signs (№, «», dashes); text in another single-byte encoding read as 1251
    // (DOS 866, KOI8) gives Serbian letters and symbols instead. (Latin-1 letters land on
    // А–я as well and cannot be told apart; no source of instructions writes Latin-1.)
    let high: Vec<char> = text.chars().filter(|c| !c.is_ascii()).collect();
    let letters = high
        .iter()
        .filter(|c| ('\u{0410}'..='\u{044F}').contains(*c) || "ЁёІі".contains(**c))
        .count();
    let signs = high.iter().filter(|c| "№«»–—“”„’‘•…\u{a0}".contains(**c)).count();
    if (letters + signs) * 10 < high.len() * 9 {
        return Err(unknown());
    }
    Ok((text.into_owned(), "windows-1251"))
}

/// Dates as the e-document system writes them: `YYYY-MM-DD` or `DD.MM.YYYY`.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if let Ok(d) = s.parse::<Date>()
        && s.len() == 10
    {
        return Some(d);
    }
    let mut parts = s.split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// The fields of a record by name, as text (JSON numbers are accepted as text).
trait Fields {
    fn get(&self, name: &str) -> Option<String>;
}

impl Fields for serde_json::Map<String, serde_json::Value> {
    fn get(&self, name: &str) -> Option<String> {
        match serde_json::Map::get(self, name)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

struct CsvRow<'a> {
    header: &'a [String],
    row: &'a csv::StringRecord,
}

impl Fields for CsvRow<'_> {
    fn get(&self, name: &str) -> Option<String> {
        let i = self.header.iter().position(|h| h == name)?;
        self.row.get(i).map(str::to_owned)
    }
}

/// Every column a file may have; the first eight (§49) must be present.
pub const COLUMNS: &[&str] = &[
    "record_id",
    "outgoing_number",
    "outgoing_date",
    "summary",
    "executor_agency",
    "document_type",
    "department",
    "deadline",
    "status",
    "executor_person",
    "executor_email",
    "new_deadline",
];
const REQUIRED: usize = 9;

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Reads one record; every problem of the record is reported (not only the first).
fn record(line: usize, f: &dyn Fields, errors: &mut Vec<RecordError>) -> Option<Record> {
    let before = errors.len();
    let mut err = |field: &str, key: &str, value: &str| {
        errors.push(RecordError {
            line,
            field: field.into(),
            key: key.into(),
            value: short(value),
        });
    };
    let mut text = |field: &str, required: bool, max: usize| -> String {
        let v = f.get(field).unwrap_or_default().trim().to_owned();
        if required && v.is_empty() {
            err(field, "reminders-error-missing", "");
        } else if v.chars().count() > max {
            err(field, "reminders-error-too-long", &v);
        } else if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            err(field, "reminders-error-control", &v);
        }
        v
    };
    let record_id = text("record_id", true, 200);
    let outgoing_number = text("outgoing_number", true, MAX_TEXT);
    let summary = text("summary", true, MAX_SUMMARY);
    let executor_agency = text("executor_agency", true, MAX_TEXT);
    let executor_person = text("executor_person", false, MAX_TEXT);
    let executor_email = text("executor_email", false, MAX_TEXT);
    let document_type = text("document_type", true, MAX_TEXT);
    let department = text("department", true, MAX_TEXT);
    let raw_outgoing = text("outgoing_date", true, 40);
    let raw_deadline = text("deadline", true, 40);
    let raw_new = text("new_deadline", false, 40);
    let raw_status = text("status", true, 60);
    let mut date = |field: &str, raw: &str| -> Option<Date> {
        if raw.is_empty() {
            return None;
        }
        let d = parse_date(raw);
        if d.is_none() {
            err(field, "reminders-error-date", raw);
        }
        d
    };
    let outgoing_date = date("outgoing_date", &raw_outgoing);
    let first_deadline = date("deadline", &raw_deadline);
    let new_deadline = date("new_deadline", &raw_new);
    let status = Status::parse(&raw_status);
    if status.is_none() && !raw_status.is_empty() {
        err("status", "reminders-error-status", &raw_status);
    }
    if status == Some(Status::Prolonged) && raw_new.is_empty() {
        err("new_deadline", "reminders-error-prolonged-without-deadline", "");
    }
    let deadline = new_deadline.or(first_deadline);
    if let (Some(out), Some(dl)) = (outgoing_date, deadline)
        && dl < out
    {
        err("deadline", "reminders-error-deadline-before-outgoing", &dl.to_string());
    }
    if let (Some(first), Some(new)) = (first_deadline, new_deadline)
        && new < first
    {
        err("new_deadline", "reminders-error-new-deadline-earlier", &new.to_string());
    }
    if errors.len() > before {
        return None;
    }
    Some(Record {
        record_id,
        outgoing_number,
        outgoing_date: outgoing_date?,
        summary,
        executor_agency,
        executor_person,
        executor_email: executor_email.to_lowercase(),
        document_type,
        department,
        deadline: deadline?,
        original_deadline: new_deadline.and(first_deadline),
        status: status?,
    })
}

/// At most this many records in one batch (the national scale of one source is ~100,000).
pub const MAX_RECORDS: usize = 500_000;

/// Parses a batch: JSON (`{"source": …, "instructions": [ … ]}` or a bare array) or CSV
/// (a header row naming the columns of [`COLUMNS`], separated by `;` or `,`).
pub fn parse(bytes: &[u8]) -> Result<Parsed, FileError> {
    let (text, encoding) = decode(bytes)?;
    let trimmed = text.trim_start();
    let mut parsed = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_json(trimmed)?
    } else {
        parse_csv(&text)?
    };
    parsed.encoding = encoding;
    Ok(parsed)
}

fn parse_json(text: &str) -> Result<Parsed, FileError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| file_error("reminders-error-json", format!("line {}", e.line())))?;
    let mut parsed = Parsed::default();
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut obj) => {
            if let Some(s) = obj.get("source") {
                let name = s.as_str().unwrap_or_default();
                parsed.source = Some(
                    Source::parse(name)
                        .ok_or_else(|| file_error("reminders-error-source", short(name)))?,
                );
            }
            match obj.remove("instructions") {
                Some(serde_json::Value::Array(items)) => items,
                _ => return Err(file_error("reminders-error-json", "instructions")),
            }
        }
        _ => return Err(file_error("reminders-error-json", "")),
    };
    if items.len() > MAX_RECORDS {
        return Err(file_error("reminders-error-too-many", items.len().to_string()));
    }
    for (i, item) in items.into_iter().enumerate() {
        let line = i + 1;
        match item {
            serde_json::Value::Object(obj) => {
                if let Some(r) = record(line, &obj, &mut parsed.errors) {
                    parsed.records.push((line, r));
                }
            }
            _ => parsed.errors.push(RecordError {
                line,
                field: String::new(),
                key: "reminders-error-json".into(),
                value: String::new(),
            }),
        }
    }
    Ok(parsed)
}

fn parse_csv(text: &str) -> Result<Parsed, FileError> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter =
        if first.matches(';').count() >= first.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| file_error("reminders-error-csv", "line 1"))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(file_error("reminders-error-column", short(unknown)));
    }
    if let Some(missing) = COLUMNS[..REQUIRED].iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(file_error("reminders-error-column-missing", *missing));
    }
    let mut parsed = Parsed::default();
    let mut row = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                return Err(file_error("reminders-error-csv", format!("line {line}")));
            }
        }
        let line = row.position().map(|p| p.line() as usize).unwrap_or(0);
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if parsed.records.len() + parsed.errors.len() >= MAX_RECORDS {
            return Err(file_error("reminders-error-too-many", MAX_RECORDS.to_string()));
        }
        if row.len() != header.len() {
            parsed.errors.push(RecordError {
                line,
                field: String::new(),
                key: "reminders-error-csv-columns".into(),
                value: row.len().to_string(),
            });
            continue;
        }
        if let Some(r) = record(line, &CsvRow { header: &header, row: &row }, &mut parsed.errors) {
            parsed.records.push((line, r));
        }
    }
    Ok(parsed)
}

/// Days left until a deadline (§49): calendar days, and working days on the calendar
/// (working days in `(today, deadline]`; negative when overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DaysLeft {
    pub days_left: i64,
    pub working_days_left: i64,
}

pub fn days_left(calendar: &Calendar, today: Date, deadline: Date) -> DaysLeft {
    let days_left = deadline.since(today).map(|s| s.get_days() as i64).unwrap_or(0);
    DaysLeft { days_left, working_days_left: calendar.working_days_between(today, deadline) }
}

/// How an instruction stands today, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    DueSoon,
    OnTime,
}

pub fn urgency(left: DaysLeft, due_soon_days: i64) -> Urgency {
    if left.days_left < 0 {
        Urgency::Overdue
    } else if left.days_left <= due_soon_days {
        Urgency::DueSoon
    } else {
        Urgency::OnTime
    }
}

#[cfg(test)]
mod tests;
