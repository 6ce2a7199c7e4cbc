//! Surveys as values and rules, without I/O (I385 §7.8): what a survey asks, who it asks,
//! when it accepts answers, and whether a set of answers is acceptable — the design checks
//! (a condition may only look back) and the answer checks (options, required, hidden,
//! ranges, lengths), each refusal with its own stable message key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::auth::policy::SurveyAudience;
use crate::auth::roles::Role;

/// The longest short text answer, and the longest long one (characters).
pub const MAX_SHORT_TEXT: usize = 300;
pub const MAX_LONG_TEXT: usize = 4_000;
/// Options of a choice question, rows of a matrix, questions of a survey.
pub const MAX_OPTIONS: usize = 30;
pub const MAX_QUESTIONS: usize = 200;
/// The smallest group shown apart in a breakdown by default.
pub const DEFAULT_K: u32 = 5;

/// Whether a response is kept with its respondent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Anonymity {
    /// Who answered and what was answered are never joined (see `store.rs`).
    #[default]
    Anonymous,
    /// Each response names its respondent.
    Named,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being designed; nothing answered yet.
    Draft,
    /// Published, waiting for its opening time.
    Scheduled,
    /// Accepting answers until its closing time.
    Open,
    /// Final: results only.
    Closed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Scheduled => "scheduled",
            State::Open => "open",
            State::Closed => "closed",
        }
    }
}

/// A text in both working languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Text {
    pub kk: String,
    pub ru: String,
}

impl Text {
    /// The text in a language, the other one when it is missing (English readers get Russian).
    pub fn get(&self, lang: &str) -> &str {
        let (first, second) =
            if lang == "kk" { (&self.kk, &self.ru) } else { (&self.ru, &self.kk) };
        if first.is_empty() { second } else { first }
    }

    fn is_empty(&self) -> bool {
        self.kk.trim().is_empty() && self.ru.trim().is_empty()
    }
}

/// What a question asks for. Choices are answered by option number (`"1"`, `"2"`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    Single {
        options: Vec<Text>,
    },
    Multiple {
        options: Vec<Text>,
        #[serde(default)]
        min: u32,
        /// 0: no upper limit.
        #[serde(default)]
        max: u32,
    },
    /// 1..=`max` (5 or 10), with the words of its ends.
    Scale {
        max: u32,
        #[serde(default)]
        low: Text,
        #[serde(default)]
        high: Text,
    },
    /// Rows answered on one scale 1..=`max`.
    Matrix {
        rows: Vec<Text>,
        max: u32,
        #[serde(default)]
        low: Text,
        #[serde(default)]
        high: Text,
    },
    Number {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    ShortText,
    LongText,
    Date,
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Single { .. } => "single",
            Kind::Multiple { .. } => "multiple",
            Kind::Scale { .. } => "scale",
            Kind::Matrix { .. } => "matrix",
            Kind::Number { .. } => "number",
            Kind::ShortText => "short_text",
            Kind::LongText => "long_text",
            Kind::Date => "date",
        }
    }

    /// The values a condition may name: option numbers or scale points.
    fn condition_values(&self) -> Option<u32> {
        match self {
            Kind::Single { options } | Kind::Multiple { options, .. } => Some(options.len() as u32),
            Kind::Scale { max, .. } => Some(*max),
            _ => None,
        }
    }

    pub fn is_free_text(&self) -> bool {
        matches!(self, Kind::ShortText | Kind::LongText)
    }
}

/// Show a question only when an earlier question's answer is one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Stable within the survey (`q1`, `q2`, …): answers and conditions name it.
    pub key: String,
    pub text: Text,
    #[serde(flatten)]
    pub kind: Kind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub show_if: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    #[serde(default)]
    pub title: Text,
    pub questions: Vec<Question>,
}

/// Who is asked. Empty lists with `everyone` false ask nobody (refused at design).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Audience {
    /// Every participant of the portal.
    pub everyone: bool,
    pub agencies: Vec<u64>,
    pub departments: Vec<u64>,
    /// Working groups.
    pub groups: Vec<u64>,
    pub roles: Vec<Role>,
}

impl Audience {
    /// The audience as the policy reads it (one rule of membership, in the policy).
    pub fn policy(&self) -> SurveyAudience<'_> {
        SurveyAudience {
            everyone: self.everyone,
            agencies: &self.agencies,
            departments: &self.departments,
            groups: &self.groups,
            roles: &self.roles,
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.everyone
            && self.agencies.is_empty()
            && self.departments.is_empty()
            && self.groups.is_empty()
            && self.roles.is_empty()
    }
}

/// A correction of a text after the first answer (a typo), recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFix {
    pub at: String,
    pub by: u64,
    /// Which text: `title`, `description`, `section.2`, `q3`, `q3.option.1`, `q3.low`, …
    pub path: String,
    pub before: Text,
    pub after: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub id: u64,
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    pub author_id: u64,
    pub agency_id: u64,
    pub anonymity: Anonymity,
    /// The smallest group shown apart in a breakdown.
    pub k: u32,
    pub audience: Audience,
    /// UTC stored times.
    pub opens_at: String,
    pub closes_at: String,
    pub state: State,
    pub sections: Vec<Section>,
    /// Texts corrected after the first answer. Whether a survey is frozen is not stored:
    /// it is whether anyone has answered (`store::any_respondent`), so the first response
    /// changes no row but its own two.
    #[serde(default)]
    pub fixes: Vec<TextFix>,
    #[serde(default)]
    pub copied_from: Option<u64>,
    pub created: String,
}

/// Answers as received: question key → values (one for most questions, several for a
/// multiple choice, one per row for a matrix, where `""` leaves a row unanswered).
pub type Answers = BTreeMap<String, Vec<String>>;

/// Why a design or a response is refused: a stable message key and the question it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub question: Option<String>,
}

fn refuse(key: &'static str, q: &str) -> Refusal {
    Refusal { key, question: Some(q.to_owned()) }
}

impl Survey {
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions().find(|q| q.key == key)
    }

    /// The state at `now` (UTC stored time), as the job will record it.
    pub fn state_at(&self, now: &str) -> State {
        match self.state {
            State::Scheduled if now >= self.closes_at.as_str() => State::Closed,
            State::Scheduled if now >= self.opens_at.as_str() => State::Open,
            State::Open if now >= self.closes_at.as_str() => State::Closed,
            s => s,
        }
    }

    /// The design checks: something to ask, someone to ask, sensible dates, every question
    /// well formed, unique keys, and conditions that look back only.
    pub fn check_design(&self) -> Result<(), Refusal> {
        let whole = |key| Refusal { key, question: None };
        if self.title.is_empty() {
            return Err(whole("survey-title-required"));
        }
        if self.audience.is_empty() {
            return Err(whole("survey-audience-empty"));
        }
        if self.closes_at <= self.opens_at {
            return Err(whole("survey-dates-order"));
        }
        if !(1..=1000).contains(&self.k) {
            return Err(whole("survey-k-invalid"));
        }
        let count = self.questions().count();
        if count == 0 {
            return Err(whole("survey-no-questions"));
        }
        if count > MAX_QUESTIONS {
            return Err(whole("survey-too-many-questions"));
        }
        let mut earlier: Vec<&Question> = Vec::new();
        for q in self.questions() {
            if q.key.is_empty()
                || q.key.len() > 40
                || !q.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(refuse("survey-question-key-invalid", &q.key));
            }
            if earlier.iter().any(|e| e.key == q.key) {
                return Err(refuse("survey-question-key-repeated", &q.key));
            }
            if q.text.is_empty() {
                return Err(refuse("survey-question-text-required", &q.key));
            }
            check_kind(q)?;
            if let Some(c) = &q.show_if {
                let Some(target) = earlier.iter().find(|e| e.key == c.question) else {
                    let later = self.question(&c.question).is_some();
                    let key =
                        if later { "survey-condition-later" } else { "survey-condition-unknown" };
                    return Err(refuse(key, &q.key));
                };
                let Some(n) = target.kind.condition_values() else {
                    return Err(refuse("survey-condition-kind", &q.key));
                };
                if c.any_of.is_empty() || c.any_of.iter().any(|v| parse_point(v, n).is_none()) {
                    return Err(refuse("survey-condition-values", &q.key));
                }
            }
            earlier.push(q);
        }
        Ok(())
    }

    /// Whether a question is shown, given the answers to the questions before it.
    pub fn is_shown(&self, q: &Question, answers: &Answers) -> bool {
        let Some(c) = &q.show_if else { return true };
        let Some(target) = self.question(&c.question) else { return false };
        if !self.is_shown(target, answers) {
            return false;
        }
        answers.get(&c.question).is_some_and(|given| given.iter().any(|v| c.any_of.contains(v)))
    }

    /// The answer checks for a whole response; the cleaned answers (empty ones dropped).
    pub fn check_response(&self, answers: &Answers) -> Result<Answers, Refusal> {
        for key in answers.keys() {
            if self.question(key).is_none() {
                return Err(refuse("survey-answer-unknown-question", key));
            }
        }
        let mut clean = Answers::new();
        for q in self.questions() {
            let given: Vec<String> = answers
                .get(&q.key)
                .map(|v| v.iter().map(|s| s.trim().to_owned()).collect())
                .unwrap_or_default();
            let empty = given.iter().all(String::is_empty);
            if !self.is_shown(q, &clean) {
                if !empty {
                    return Err(refuse("survey-answer-hidden", &q.key));
                }
                continue;
            }
            if empty {
                if q.required {
                    return Err(refuse("survey-answer-required", &q.key));
                }
                continue;
            }
            clean.insert(q.key.clone(), check_answer(q, given)?);
        }
        Ok(clean)
    }

    /// The questions of one section, checked as the person moves on page by page: the
    /// same checks as [`Survey::check_response`], for that section's questions only.
    pub fn check_section(&self, index: usize, answers: &Answers) -> Result<(), Refusal> {
        if index >= self.sections.len() {
            return Ok(());
        }
        let upto: Answers = self.sections[..=index]
            .iter()
            .flat_map(|s| s.questions.iter())
            .filter_map(|q| answers.get(&q.key).map(|v| (q.key.clone(), v.clone())))
            .collect();
        let sub = Survey { sections: self.sections[..=index].to_vec(), ..self.clone() };
        sub.check_response(&upto).map(|_| ())
    }

    /// Whether the audience may see it at all (published: scheduled, open or closed).
    pub fn published(&self) -> bool {
        self.state != State::Draft
    }

    /// Every text of the survey with its path, in one order (title first).
    pub fn texts_mut(&mut self) -> Vec<(String, &mut Text)> {
        let mut out = vec![("title".to_owned(), &mut self.title)];
        out.push(("description".to_owned(), &mut self.description));
        for (i, section) in self.sections.iter_mut().enumerate() {
            out.push((format!("section.{}", i + 1), &mut section.title));
            for q in section.questions.iter_mut() {
                let key = q.key.clone();
                out.push((key.clone(), &mut q.text));
                let (list, name, ends) = match &mut q.kind {
                    Kind::Single { options } | Kind::Multiple { options, .. } => {
                        (Some(options), "option", None)
                    }
                    Kind::Scale { low, high, .. } => (None, "", Some((low, high))),
                    Kind::Matrix { rows, low, high, .. } => (Some(rows), "row", Some((low, high))),
                    _ => (None, "", None),
                };
                for (n, t) in list.into_iter().flatten().enumerate() {
                    out.push((format!("{key}.{name}.{}", n + 1), t));
                }
                if let Some((low, high)) = ends {
                    out.push((format!("{key}.low"), low));
                    out.push((format!("{key}.high"), high));
                }
            }
        }
        out
    }

    /// Once answered, a survey's questions no longer change: `next` may differ from `self`
    /// in its texts only (a typo). The corrections, or `None` if anything else changed.
    pub fn text_fixes(&self, next: &Survey, by: u64, at: &str) -> Option<Vec<TextFix>> {
        let (mut a, mut b) = (self.clone(), next.clone());
        let before: Vec<(String, Text)> =
            a.texts_mut().into_iter().map(|(p, t)| (p, std::mem::take(t))).collect();
        let after: Vec<(String, Text)> =
            b.texts_mut().into_iter().map(|(p, t)| (p, std::mem::take(t))).collect();
        b.fixes = a.fixes.clone();
        if a != b || before.len() != after.len() {
            return None;
        }
        Some(
            before
                .into_iter()
                .zip(after)
                .filter(|(x, y)| x.1 != y.1)
                .map(|((path, before), (_, after))| TextFix {
                    at: at.to_owned(),
                    by,
                    path,
                    before,
                    after,
                })
                .collect(),
        )
    }
}

/// A point of 1..=n written as a number.
fn parse_point(v: &str, n: u32) -> Option<u32> {
    v.trim().parse::<u32>().ok().filter(|p| (1..=n).contains(p))
}

fn check_kind(q: &Question) -> Result<(), Refusal> {
    let bad = |key| Err(refuse(key, &q.key));
    match &q.kind {
        Kind::Single { options } | Kind::Multiple { options, .. } => {
            if options.len() < 2
                || options.len() > MAX_OPTIONS
                || options.iter().any(Text::is_empty)
            {
                return bad("survey-options-invalid");
            }
            if let Kind::Multiple { min, max, .. } = q.kind
                && (min as usize > options.len() || (max != 0 && (max < min.max(1))))
            {
                return bad("survey-limits-invalid");
            }
        }
        Kind::Scale { max, .. } if ![5, 10].contains(max) => return bad("survey-scale-invalid"),
        Kind::Matrix { rows, max, .. } => {
            if ![5, 10].contains(max) {
                return bad("survey-scale-invalid");
            }
            if rows.is_empty() || rows.len() > MAX_OPTIONS || rows.iter().any(Text::is_empty) {
                return bad("survey-options-invalid");
            }
        }
        Kind::Number { min: Some(lo), max: Some(hi) } if lo > hi => {
            return bad("survey-limits-invalid");
        }
        _ => {}
    }
    Ok(())
}

fn check_answer(q: &Question, given: Vec<String>) -> Result<Vec<String>, Refusal> {
    let bad = |key| Err(refuse(key, &q.key));
    let one = || if given.len() == 1 { Some(given[0].clone()) } else { None };
    match &q.kind {
        Kind::Single { options } => {
            match one().filter(|v| parse_point(v, options.len() as u32).is_some()) {
                Some(v) => Ok(vec![v]),
                None => bad("survey-answer-not-an-option"),
            }
        }
        Kind::Multiple { options, min, max } => {
            let mut picked: Vec<u32> = Vec::new();
            for v in given.iter().filter(|v| !v.is_empty()) {
                match parse_point(v, options.len() as u32) {
                    Some(p) if !picked.contains(&p) => picked.push(p),
                    _ => return bad("survey-answer-not-an-option"),
                }
            }
            let n = picked.len() as u32;
            if n < *min || (*max != 0 && n > *max) {
                return bad("survey-answer-count");
            }
            picked.sort_unstable();
            Ok(picked.iter().map(u32::to_string).collect())
        }
        Kind::Scale { max, .. } => match one().and_then(|v| parse_point(&v, *max)) {
            Some(p) => Ok(vec![p.to_string()]),
            None => bad("survey-answer-out-of-range"),
        },
        Kind::Matrix { rows, max, .. } => {
            if given.len() != rows.len() {
                return bad("survey-answer-rows");
            }
            let mut out = Vec::new();
            for v in &given {
                if v.is_empty() {
                    if q.required {
                        return bad("survey-answer-required");
                    }
                    out.push(String::new());
                    continue;
                }
                match parse_point(v, *max) {
                    Some(p) => out.push(p.to_string()),
                    None => return bad("survey-answer-out-of-range"),
                }
            }
            Ok(out)
        }
        Kind::Number { min, max } => {
            let Some(x) = one().and_then(|v| v.replace(',', ".").parse::<f64>().ok()) else {
                return bad("survey-answer-not-a-number");
            };
            if !x.is_finite() || min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                return bad("survey-answer-out-of-range");
            }
            Ok(vec![x.to_string()])
        }
        Kind::ShortText | Kind::LongText => {
            let limit =
                if matches!(q.kind, Kind::ShortText) { MAX_SHORT_TEXT } else { MAX_LONG_TEXT };
            let Some(text) = one() else { return bad("survey-answer-not-an-option") };
            let text = text.replace("\r\n", "\n");
            if text.chars().count() > limit {
                return bad("survey-answer-too-long");
            }
            if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return bad("survey-answer-control-chars");
            }
            Ok(vec![text])
        }
        Kind::Date => match one().filter(|v| v.parse::<jiff::civil::Date>().is_ok()) {
            Some(v) => Ok(vec![v]),
            None => bad("survey-answer-not-a-date"),
        },
    }
}
