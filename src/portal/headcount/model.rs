//! Headcount monitoring, the types and rules without I/O (I385 §26–§28): the form
//! definition (typed fields and the totals that must add up), reporting periods, campaigns,
//! returns and the states a return goes through.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::notify::Names;

/// The largest count a field accepts (well above any agency's staff).
pub const MAX_COUNT: u64 = 10_000_000;

/// One figure of the return: a non-negative whole number.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldDef {
    /// Stable key (`filled`): the JSON name, the CSV/XLSX column key.
    pub key: String,
    pub label: Names,
}

/// A check between figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// `total` = the sum of `parts` (filled + vacant = approved; the parts = the whole).
    Sum { total: String, parts: Vec<String> },
    /// `field` ≤ `limit` (women among those in post).
    AtMost { field: String, limit: String },
}

/// The set of figures agencies return, kept by the civil-service agency. Versions are
/// never changed once published; a campaign fixes the version its returns use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FormDefinition {
    pub version: u32,
    pub fields: Vec<FieldDef>,
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub created_by: Option<u64>,
}

fn field(key: &str, kk: &str, ru: &str, en: &str) -> FieldDef {
    FieldDef { key: key.into(), label: Names::new(kk, ru, en) }
}

fn sum(total: &str, parts: &[&str]) -> Rule {
    Rule::Sum { total: total.into(), parts: parts.iter().map(|p| p.to_string()).collect() }
}

impl FormDefinition {
    /// Version 1, built in: the figures the civil-service agency asks of every agency.
    pub fn builtin() -> FormDefinition {
        FormDefinition {
            version: 1,
            fields: vec![
                field(
                    "approved",
                    "Штат бойынша лауазымдар саны",
                    "Штатная численность (должностей)",
                    "Approved staff positions",
                ),
                field(
                    "filled",
                    "Толықтырылған лауазымдар",
                    "Заполненные должности",
                    "Filled positions",
                ),
                field("vacant", "Бос лауазымдар", "Вакантные должности", "Vacant positions"),
                field(
                    "political",
                    "Саяси мемлекеттік қызметшілер",
                    "Политические государственные служащие",
                    "Political civil servants",
                ),
                field(
                    "corps_a",
                    "«А» корпусының әкімшілік мемлекеттік қызметшілері",
                    "Административные государственные служащие корпуса «А»",
                    "Administrative civil servants, corps A",
                ),
                field(
                    "corps_b",
                    "«Б» корпусының әкімшілік мемлекеттік қызметшілері",
                    "Административные государственные служащие корпуса «Б»",
                    "Administrative civil servants, corps B",
                ),
                field(
                    "corps_b_a",
                    "«Б» корпусы, A санаты",
                    "Корпус «Б», категория A",
                    "Corps B, category A",
                ),
                field(
                    "corps_b_b",
                    "«Б» корпусы, B санаты",
                    "Корпус «Б», категория B",
                    "Corps B, category B",
                ),
                field(
                    "corps_b_c",
                    "«Б» корпусы, C санаты",
                    "Корпус «Б», категория C",
                    "Corps B, category C",
                ),
                field(
                    "corps_b_d",
                    "«Б» корпусы, D және E санаттары",
                    "Корпус «Б», категории D и E",
                    "Corps B, categories D and E",
                ),
                field(
                    "non_civil",
                    "Мемлекеттік қызметші емес қызметкерлер",
                    "Работники, не являющиеся государственными служащими",
                    "Employees who are not civil servants",
                ),
                field("women", "Оның ішінде әйелдер", "Из них женщины", "Of whom women"),
                field(
                    "under_35",
                    "Оның ішінде 35 жасқа дейінгілер",
                    "Из них в возрасте до 35 лет",
                    "Of whom under 35",
                ),
                field(
                    "hired",
                    "Кезеңде қабылданғандар",
                    "Принято за период",
                    "Hired in the period",
                ),
                field("left", "Кезеңде босатылғандар", "Уволено за период", "Left in the period"),
            ],
            rules: vec![
                sum("approved", &["filled", "vacant"]),
                sum("filled", &["political", "corps_a", "corps_b", "non_civil"]),
                sum("corps_b", &["corps_b_a", "corps_b_b", "corps_b_c", "corps_b_d"]),
                Rule::AtMost { field: "women".into(), limit: "filled".into() },
                Rule::AtMost { field: "under_35".into(), limit: "filled".into() },
            ],
            created_at: String::new(),
            created_by: None,
        }
    }

    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The label of a field in `lang` (the key itself for an unknown one).
    pub fn label(&self, key: &str, lang: &str) -> String {
        self.field(key).map(|f| f.label.get(lang).to_owned()).unwrap_or_else(|| key.to_owned())
    }

    /// A definition a verifier publishes must be usable: keys well-formed and unique,
    /// labels present, rules naming existing fields.
    pub fn check(&self) -> Result<(), DefinitionProblem> {
        if self.fields.is_empty() || self.fields.len() > 200 {
            return Err(DefinitionProblem::FieldCount);
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &self.fields {
            let well_formed = !f.key.is_empty()
                && f.key.len() <= 40
                && f.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_formed || !seen.insert(f.key.as_str()) {
                return Err(DefinitionProblem::Key(f.key.clone()));
            }
            if f.label.ru.is_empty() || f.label.kk.is_empty() {
                return Err(DefinitionProblem::Label(f.key.clone()));
            }
        }
        for r in &self.rules {
            let (keys, total): (Vec<&String>, &String) = match r {
                Rule::Sum { total, parts } => {
                    if parts.is_empty() || parts.contains(total) {
                        return Err(DefinitionProblem::Rule(total.clone()));
                    }
                    (parts.iter().collect(), total)
                }
                Rule::AtMost { field, limit } => (vec![field], limit),
            };
            for k in keys.into_iter().chain([total]) {
                if !seen.contains(k.as_str()) {
                    return Err(DefinitionProblem::Rule(k.clone()));
                }
            }
        }
        Ok(())
    }

    /// Reads typed figures from input (JSON numbers, or texts from a form): every value
    /// must be a whole number from 0 to [`MAX_COUNT`]; unknown keys are refused; missing
    /// ones stay missing (a draft may be partial).
    pub fn parse(&self, input: &BTreeMap<String, Value>) -> Result<Values, Vec<Problem>> {
        let mut values = Values::new();
        let mut problems = Vec::new();
        for (key, raw) in input {
            if self.field(key).is_none() {
                problems.push(Problem::new(key, ProblemKind::Unknown));
                continue;
            }
            match parse_count(raw) {
                Ok(Some(v)) => {
                    values.insert(key.clone(), v);
                }
                Ok(None) => {}
                Err(kind) => problems.push(Problem::new(key, kind)),
            }
        }
        // Report in the order of the form, as a reader meets them.
        problems.sort_by_key(|p| self.fields.iter().position(|f| f.key == p.field));
        if problems.is_empty() { Ok(values) } else { Err(problems) }
    }

    /// What is wrong with a complete return, in the order of the form: missing figures,
    /// then the totals that do not add up.
    pub fn problems(&self, values: &Values) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .fields
            .iter()
            .filter(|f| !values.contains_key(&f.key))
            .map(|f| Problem::new(&f.key, ProblemKind::Required))
            .collect();
        for r in &self.rules {
            match r {
                Rule::Sum { total, parts } => {
                    let (Some(t), Some(ps)) = (
                        values.get(total),
                        parts.iter().map(|p| values.get(p)).collect::<Option<Vec<_>>>(),
                    ) else {
                        continue;
                    };
                    let s: u64 = ps.into_iter().sum();
                    if s != *t {
                        out.push(Problem::new(
                            total,
                            ProblemKind::SumMismatch { parts: parts.clone(), sum: s, total: *t },
                        ));
                    }
                }
                Rule::AtMost { field, limit } => {
                    if let (Some(v), Some(l)) = (values.get(field), values.get(limit))
                        && v > l
                    {
                        out.push(Problem::new(
                            field,
                            ProblemKind::Exceeds { limit: limit.clone(), value: *v, max: *l },
                        ));
                    }
                }
            }
        }
        out
    }
}

fn parse_count(raw: &Value) -> Result<Option<u64>, ProblemKind> {
    let text = match raw {
        Value::Null => return Ok(None),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().replace([' ', '\u{a0}'], ""),
        _ => return Err(ProblemKind::NotInteger),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.starts_with('-') {
        return Err(ProblemKind::Negative);
    }
    let v: u64 = text.parse().map_err(|_| ProblemKind::NotInteger)?;
    if v > MAX_COUNT {
        return Err(ProblemKind::TooLarge);
    }
    Ok(Some(v))
}

/// Why a published definition was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionProblem {
    FieldCount,
    Key(String),
    Label(String),
    Rule(String),
}

/// The figures of a return by field key.
pub type Values = BTreeMap<String, u64>;

/// One thing wrong with one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub field: String,
    pub kind: ProblemKind,
}

impl Problem {
    fn new(field: &str, kind: ProblemKind) -> Problem {
        Problem { field: field.to_owned(), kind }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    Required,
    NotInteger,
    Negative,
    TooLarge,
    Unknown,
    SumMismatch { parts: Vec<String>, sum: u64, total: u64 },
    Exceeds { limit: String, value: u64, max: u64 },
}

impl ProblemKind {
    /// The Fluent message that explains it (arguments: `field`, `parts`, `sum`, `total`,
    /// `limit`, `value`, `max` — labels already in the reader's language).
    pub fn key(&self) -> &'static str {
        match self {
            ProblemKind::Required => "headcount-problem-required",
            ProblemKind::NotInteger => "headcount-problem-not-integer",
            ProblemKind::Negative => "headcount-problem-negative",
            ProblemKind::TooLarge => "headcount-problem-too-large",
            ProblemKind::Unknown => "headcount-problem-unknown",
            ProblemKind::SumMismatch { .. } => "headcount-problem-sum",
            ProblemKind::Exceeds { .. } => "headcount-problem-exceeds",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Periods and campaigns

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    /// The state on one date.
    Date,
}

/// A reporting period: `2026-11` (a month), `2026-Q4` (a quarter) or `2026-12-01` (a
/// date); its key is that text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub key: String,
    pub kind: PeriodKind,
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn parse(text: &str) -> Option<Period> {
        let t = text.trim();
        let make = |kind, start: Date, end: Date| Some(Period { key: t.into(), kind, start, end });
        if let Ok(d) = t.parse::<Date>()
            && t.len() == 10
        {
            return make(PeriodKind::Date, d, d);
        }
        let (year, rest) = t.split_once('-')?;
        let year: i16 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        if let Some(q) = rest.strip_prefix('Q') {
            let q: i8 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            let start = jiff::civil::date(year, (q - 1) * 3 + 1, 1);
            let end = jiff::civil::date(year, q * 3, 1).last_of_month();
            return make(PeriodKind::Quarter, start, end);
        }
        if rest.len() != 2 {
            return None;
        }
        let m: i8 = rest.parse().ok().filter(|m| (1..=12).contains(m))?;
        let start = jiff::civil::date(year, m, 1);
        make(PeriodKind::Month, start, start.last_of_month())
    }
}

/// A call for returns for one period, opened by the civil-service agency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Campaign {
    pub id: u64,
    pub period: Period,
    /// The form definition every return of the campaign uses.
    pub form_version: u32,
    /// The last day a return is on time (Astana date).
    pub due: Date,
    /// The agencies that must return figures.
    pub agencies: Vec<u64>,
    pub opened_at: String,
    pub opened_by: u64,
}

// ---------------------------------------------------------------------------------------
// Returns

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being filled by the agency's HR officer.
    Draft,
    /// Waiting for the verifier.
    Submitted,
    /// Sent back with comments; the HR officer corrects and submits again.
    Returned,
    /// Accepted by the civil-service agency: it never changes again (§27).
    Accepted,
}

impl State {
    pub const ALL: &'static [State] =
        &[State::Draft, State::Submitted, State::Returned, State::Accepted];

    pub fn name(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Returned => "returned",
            State::Accepted => "accepted",
        }
    }

    /// Whether the HR officer may change the figures and submit.
    pub fn editable(self) -> bool {
        matches!(self, State::Draft | State::Returned)
    }
}

/// A verifier's remark on one field (or on the return as a whole when `field` is empty).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldComment {
    #[serde(default)]
    pub field: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submission {
    pub at: String,
    pub by: u64,
    /// After the campaign's due date (allowed, marked).
    pub late: bool,
    /// Working days after the due date (0 when on time; may be 0 when late on a day off).
    pub late_working_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Acceptance {
    pub at: String,
    pub by: u64,
    /// SHA-256 of the return's canonical text when accepted ([`Return::canonical`]).
    pub digest: String,
}

/// The agency head's signature over the return before it is submitted (optional, §26): a
/// CMS over [`Return::canonical`], verified by the portal's signatures service like every
/// other signature (chain, CRLs, the certificate registered to the signer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadSignature {
    pub by: u64,
    pub at: String,
    /// SHA-256 of the canonical text signed (the figures as they were then).
    pub digest: String,
    /// The DER CMS, base64.
    pub cms: String,
    pub verdict: crate::sign::verdict::Verdict,
}

/// One step in a return's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub at: String,
    pub by: u64,
    /// `created`, `saved`, `signed`, `submitted`, `returned`, `accepted`.
    pub what: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<FieldComment>,
}

/// An agency's return for a campaign, or a correction of an accepted one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Return {
    pub id: u64,
    pub campaign: u64,
    pub agency: u64,
    pub form_version: u32,
    pub values: Values,
    pub state: State,
    /// Grows with every change; a save that names an older one is refused (concurrent edits).
    pub revision: u64,
    /// The accepted return this one corrects, and why.
    #[serde(default)]
    pub corrects: Option<u64>,
    #[serde(default)]
    pub reason: String,
    /// The verifier's comments of the last return to the agency.
    #[serde(default)]
    pub comments: Vec<FieldComment>,
    pub created_at: String,
    pub created_by: u64,
    #[serde(default)]
    pub submitted: Option<Submission>,
    #[serde(default)]
    pub accepted: Option<Acceptance>,
    /// The head's signature over the figures as they are (a save that changes them drops
    /// it: it no longer covers them).
    #[serde(default)]
    pub signature: Option<HeadSignature>,
    #[serde(default)]
    pub history: Vec<Event>,
}

impl Return {
    /// The text an acceptance digest (and a signature) covers: what was accepted, for
    /// which agency and period, under which form — one `key=value` line each, in key order.
    pub fn canonical(&self, period: &str) -> String {
        let mut s = format!(
            "headcount-return\nid={}\ncampaign={}\nperiod={}\nagency={}\nform_version={}\ncorrects={}\nreason={}\n",
            self.id,
            self.campaign,
            period,
            self.agency,
            self.form_version,
            self.corrects.map(|c| c.to_string()).unwrap_or_default(),
            self.reason.replace('\n', " "),
        );
        for (k, v) in &self.values {
            s.push_str(&format!("{k}={v}\n"));
        }
        s
    }
}

/// Of an agency's returns in a campaign, the one whose figures count: the last accepted
/// (a later accepted correction replaces what it corrects). Ids grow with time.
pub fn current_accepted<'a>(returns: impl Iterator<Item = &'a Return>) -> Option<&'a Return> {
    returns.filter(|r| r.state == State::Accepted).max_by(|a, b| {
        let at = |r: &Return| r.accepted.as_ref().map(|x| x.at.clone()).unwrap_or_default();
        at(a).cmp(&at(b)).then(a.id.cmp(&b.id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    fn complete() -> BTreeMap<String, Value> {
        input(json!({
            "approved": 120, "filled": 110, "vacant": 10, "political": 2, "corps_a": 3,
            "corps_b": 95, "corps_b_a": 5, "corps_b_b": 20, "corps_b_c": 40, "corps_b_d": 30,
            "non_civil": 10, "women": 60, "under_35": 30, "hired": 4, "left": 3
        }))
    }

    #[test]
    fn the_builtin_definition_is_consistent() {
        assert_eq!(FormDefinition::builtin().check(), Ok(()));
    }

    #[test]
    fn counts_are_whole_non_negative_numbers() {
        let d = FormDefinition::builtin();
        let cases = [
            (json!({"filled": -1}), ProblemKind::Negative),
            (json!({"filled": 1.5}), ProblemKind::NotInteger),
            (json!({"filled": "1,5"}), ProblemKind::NotInteger),
            (json!({"filled": "12a"}), ProblemKind::NotInteger),
            (json!({"filled": true}), ProblemKind::NotInteger),
            (json!({"filled": 20_000_000}), ProblemKind::TooLarge),
            (json!({"salary": 1}), ProblemKind::Unknown),
        ];
        for (v, kind) in cases {
            let e = d.parse(&input(v.clone())).unwrap_err();
            assert_eq!(e[0].kind, kind, "{v}");
        }
        let ok = d.parse(&input(json!({"filled": " 1 200 ", "vacant": 3, "left": ""}))).unwrap();
        assert_eq!(ok.get("filled"), Some(&1200));
        assert_eq!(ok.get("left"), None, "an empty field stays empty in a draft");
    }

    #[test]
    fn totals_must_add_up_and_name_the_total() {
        let d = FormDefinition::builtin();
        let values = d.parse(&complete()).unwrap();
        assert_eq!(d.problems(&values), vec![]);
        let mut wrong = complete();
        wrong.insert("vacant".into(), json!(11));
        wrong.insert("corps_b_d".into(), json!(29));
        wrong.insert("women".into(), json!(111));
        let p = d.problems(&d.parse(&wrong).unwrap());
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["approved", "corps_b", "women"]);
        assert_eq!(
            p[0].kind,
            ProblemKind::SumMismatch {
                parts: vec!["filled".into(), "vacant".into()],
                sum: 121,
                total: 120
            }
        );
        let mut partial = complete();
        partial.remove("hired");
        let p = d.problems(&d.parse(&partial).unwrap());
        assert_eq!(p, vec![Problem::new("hired", ProblemKind::Required)]);
    }

    #[test]
    fn definitions_with_broken_rules_are_refused() {
        let mut d = FormDefinition::builtin();
        d.rules.push(sum("approved", &["nobody"]));
        assert_eq!(d.check(), Err(DefinitionProblem::Rule("nobody".into())));
        let mut d = FormDefinition::builtin();
        d.fields.push(d.fields[0].clone());
        assert_eq!(d.check(), Err(DefinitionProblem::Key("approved".into())));
        let mut d = FormDefinition::builtin();
        d.fields[0].key = "Approved!".into();
        assert!(d.check().is_err());
    }

    #[test]
    fn periods_are_months_quarters_or_dates() {
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(
            (q.kind, q.start.to_string(), q.end.to_string()),
            (PeriodKind::Quarter, "2026-10-01".into(), "2026-12-31".into())
        );
        let m = Period::parse("2024-02").unwrap();
        assert_eq!(m.end.to_string(), "2024-02-29");
        let d = Period::parse("2026-12-01").unwrap();
        assert_eq!((d.kind, d.start, d.end), (PeriodKind::Date, d.start, d.start));
        for bad in ["2026-13", "2026-Q5", "26-01", "2026", "", "2026-1", "1999-01"] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_later_accepted_correction_is_what_counts() {
        let mut a = Return {
            id: 1,
            campaign: 1,
            agency: 1,
            form_version: 1,
            values: Values::new(),
            state: State::Accepted,
            revision: 3,
            corrects: None,
            reason: String::new(),
            comments: vec![],
            created_at: String::new(),
            created_by: 1,
            submitted: None,
            accepted: Some(Acceptance {
                at: "2026-01-05T10:00:00Z".into(),
                by: 2,
                digest: String::new(),
            }),
            signature: None,
            history: vec![],
        };
        let mut b = a.clone();
        b.id = 2;
        b.corrects = Some(1);
        b.state = State::Submitted;
        b.accepted = None;
        assert_eq!(current_accepted([&a, &b].into_iter()).map(|r| r.id), Some(1));
        b.state = State::Accepted;
        b.accepted =
            Some(Acceptance { at: "2026-01-09T10:00:00Z".into(), by: 2, digest: String::new() });
        assert_eq!(current_accepted([&a, &b].into_iter()).map(|r| r.id), Some(2));
        a.state = State::Draft;
        assert_eq!(current_accepted([&a].into_iter()).map(|r| r.id), None);
    }
}
