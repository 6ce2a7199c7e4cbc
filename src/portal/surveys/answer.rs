//! Answering a survey on pages that work without JavaScript (I385 §7.8, issue 16 point 2):
//! one section per page with the progress shown, "back" and "next" that keep every answer,
//! a submit button on the last page, and every refusal on the forms pattern
//! (`web/forms.rs`): the same page with all answers kept and the reason under the question.
//!
//! Where the unfinished answers live depends on the survey's anonymity:
//! - an **anonymous** survey stores nothing before the submission: the answers of the other
//!   pages travel as hidden fields of the form, so no table ever holds a person's unfinished
//!   answers next to their account (the secrecy of `store.rs` holds for drafts too);
//! - a **named** survey also keeps them as a draft (`store::DRAFTS`) at every move and on
//!   "save and continue later", so the person comes back to the same page in a later
//!   session; the draft is removed with the submission.
//!
//! A question whose condition looks at an earlier page is shown or left out as the answers
//! imply; one whose condition looks at a question of the same page cannot hide itself
//! without script, so it says when to answer it, and an answer given anyway is refused with
//! the same message as through the API.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{Answers, Kind, Question, State, Survey};
use super::service::{self, Seen};
use super::store::Draft;
use crate::app::App;
use crate::error::{Error, Result};
use crate::web::blocking;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/surveys/{id}", web::get().to(answer_page))
        .route("/surveys/{id}/answer", web::post().to(answer_submit))
        .route("/surveys/{id}/preview", web::get().to(preview_page));
}

/// The input name of a question's answer (`a.q1`; a matrix row is `a.q1.2`): apart from
/// the form's own fields whatever keys the author chose.
fn input(key: &str) -> String {
    format!("a.{key}")
}

fn row_input(key: &str, row: usize) -> String {
    format!("a.{key}.{row}")
}

/// The answers a form holds, question by question (empty answers left out).
pub fn answers_of(s: &Survey, f: &Form) -> Answers {
    let mut out = Answers::new();
    for q in s.questions() {
        let given: Vec<String> = match &q.kind {
            Kind::Matrix { rows, .. } => {
                (1..=rows.len()).map(|r| f.value(&row_input(&q.key, r)).to_owned()).collect()
            }
            _ => f.values_of(&input(&q.key)).into_iter().map(str::to_owned).collect(),
        };
        if given.iter().any(|v| !v.trim().is_empty()) {
            out.insert(q.key.clone(), given);
        }
    }
    out
}

/// A form holding `answers` (a draft coming back, the hidden fields of other pages).
fn form_of(s: &Survey, answers: &Answers) -> Form {
    let mut f = Form::new("answer");
    for q in s.questions() {
        let Some(given) = answers.get(&q.key) else { continue };
        match &q.kind {
            Kind::Matrix { .. } => {
                for (r, v) in given.iter().enumerate() {
                    f = f.set(&row_input(&q.key, r + 1), v.clone());
                }
            }
            _ => {
                for v in given {
                    f = f.add(&input(&q.key), v.clone());
                }
            }
        }
    }
    f
}

/// The section a question is in.
fn section_of(s: &Survey, key: &str) -> Option<usize> {
    s.sections.iter().position(|sec| sec.questions.iter().any(|q| q.key == key))
}

/// Whether a page leaves a question out: its condition looks at an earlier page and the
/// answers there do not show it. (A condition within the page is shown with its hint.)
fn left_out(s: &Survey, q: &Question, answers: &Answers) -> bool {
    let Some(c) = &q.show_if else { return false };
    section_of(s, &c.question) != section_of(s, &q.key) && !s.is_shown(q, answers)
}

/// Answers to questions the pages left out are dropped: the person never saw them (e.g. an
/// answer given before going back and changing the answer that showed the question).
fn without_left_out(s: &Survey, mut answers: Answers) -> Answers {
    let out: Vec<String> =
        s.questions().filter(|q| left_out(s, q, &answers)).map(|q| q.key.clone()).collect();
    for key in out {
        answers.remove(&key);
    }
    answers
}

/// Whether a section shows anything with these answers (a page whose every question is
/// left out is skipped).
fn has_shown(s: &Survey, section: usize, answers: &Answers) -> bool {
    s.sections[section].questions.iter().any(|q| !left_out(s, q, answers))
}

fn next_section(s: &Survey, from: usize, answers: &Answers) -> Option<usize> {
    (from + 1..s.sections.len()).find(|&i| has_shown(s, i, answers))
}

fn previous_section(s: &Survey, from: usize, answers: &Answers) -> Option<usize> {
    (0..from).rev().find(|&i| has_shown(s, i, answers))
}

/// One question as its page shows it.
pub struct QuestionView {
    pub key: String,
    pub name: String,
    pub number: usize,
    pub text: String,
    pub kind: &'static str,
    pub required: bool,
    /// Option number and its text (choices).
    pub options: Vec<(String, String)>,
    /// Scale points (scale, matrix).
    pub points: Vec<String>,
    pub low: String,
    pub high: String,
    /// Matrix rows: input name and text.
    pub rows: Vec<(String, String)>,
    /// "Choose from 1 to 2", "from 18 to 70": the limits the answer must keep.
    pub limits: String,
    /// When a condition within the page decides: "answer if … is …".
    pub hint: String,
    pub maxlength: usize,
}

fn view_of(s: &Survey, q: &Question, number: usize, page: &PageCtx, preview: bool) -> QuestionView {
    let lang = page.lang;
    let texts = |list: &[super::model::Text]| -> Vec<(String, String)> {
        list.iter()
            .enumerate()
            .map(|(i, t)| ((i + 1).to_string(), t.get(lang).to_owned()))
            .collect()
    };
    let mut v = QuestionView {
        key: q.key.clone(),
        name: input(&q.key),
        number,
        text: q.text.get(lang).to_owned(),
        kind: q.kind.name(),
        required: q.required,
        options: Vec::new(),
        points: Vec::new(),
        low: String::new(),
        high: String::new(),
        rows: Vec::new(),
        limits: String::new(),
        hint: String::new(),
        maxlength: super::model::MAX_LONG_TEXT,
    };
    match &q.kind {
        Kind::Single { options } => v.options = texts(options),
        Kind::Multiple { options, min, max } => {
            v.options = texts(options);
            let hi = if *max == 0 { options.len() as u32 } else { *max };
            v.limits = page.t2("survey-page-choose", "min", (*min).max(1), "max", hi);
        }
        Kind::Scale { max, low, high } | Kind::Matrix { max, low, high, .. } => {
            v.points = (1..=*max).map(|p| p.to_string()).collect();
            v.low = low.get(lang).to_owned();
            v.high = high.get(lang).to_owned();
            if let Kind::Matrix { rows, .. } = &q.kind {
                v.rows = rows
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (row_input(&q.key, i + 1), t.get(lang).to_owned()))
                    .collect();
            }
        }
        Kind::Number { min, max } => {
            let f = |x: &Option<f64>| x.map(|x| x.to_string()).unwrap_or_else(|| "…".into());
            if min.is_some() || max.is_some() {
                v.limits = page.t2("survey-page-range", "min", f(min), "max", f(max));
            }
        }
        Kind::ShortText => v.maxlength = super::model::MAX_SHORT_TEXT,
        Kind::LongText | Kind::Date => {}
    }
    // The preview shows every question, so it says when each conditional one is asked.
    if let Some(c) = &q.show_if
        && (preview || section_of(s, &c.question) == section_of(s, &q.key))
        && let Some(target) = s.question(&c.question)
    {
        let chosen: Vec<String> = c
            .any_of
            .iter()
            .map(|v| match &target.kind {
                Kind::Single { options } | Kind::Multiple { options, .. } => v
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| options.get(i.wrapping_sub(1)))
                    .map(|t| format!("«{}»", t.get(lang)))
                    .unwrap_or_else(|| v.clone()),
                _ => v.clone(),
            })
            .collect();
        let n = s.questions().position(|x| x.key == target.key).map_or(0, |i| i + 1);
        v.hint = page.t2("survey-page-only-if", "question", n, "answers", chosen.join(", "));
    }
    v
}

#[derive(Template)]
#[template(path = "surveys/answer.html")]
struct AnswerPage<'a> {
    page: PageCtx<'a>,
    id: u64,
    title: String,
    description: String,
    /// The section shown (0-based) and its title.
    section: usize,
    section_title: String,
    /// "Page 2 of 4" and the bar.
    step: usize,
    steps: usize,
    questions: Vec<QuestionView>,
    /// Answers of the other pages, carried along: (input name, value).
    hidden: Vec<(String, String)>,
    first: bool,
    last: bool,
    named: bool,
    /// The author's preview: every question of the page, links instead of buttons.
    preview: bool,
    f: Form,
}

impl AnswerPage<'_> {
    fn checked(&self, name: &str, value: &str) -> bool {
        self.f.has(name, value)
    }
}

/// The page of `section` with the answers of `f`; the other pages' answers as hidden fields.
fn show(app: &Data, s: &SignedIn, seen: &Seen, section: usize, f: Form) -> Result<HttpResponse> {
    show_as(app, s, seen, section, f, false)
}

fn show_as(
    app: &Data,
    s: &SignedIn,
    seen: &Seen,
    section: usize,
    f: Form,
    preview: bool,
) -> Result<HttpResponse> {
    let survey = &seen.survey;
    let page = PageCtx::new(app, &s.state, "survey-page-title", "surveys");
    let answers = answers_of(survey, &f);
    let shown: Vec<usize> =
        (0..survey.sections.len()).filter(|&i| preview || has_shown(survey, i, &answers)).collect();
    let numbers: Vec<&str> = survey.questions().map(|q| q.key.as_str()).collect();
    let here = &survey.sections[section];
    let questions = here
        .questions
        .iter()
        .filter(|q| preview || !left_out(survey, q, &answers))
        .map(|q| {
            let n = numbers.iter().position(|k| *k == q.key).map_or(0, |i| i + 1);
            view_of(survey, q, n, &page, preview)
        })
        .collect();
    let mut hidden = Vec::new();
    for (i, sec) in survey.sections.iter().enumerate() {
        if i == section {
            continue;
        }
        for q in &sec.questions {
            match &q.kind {
                Kind::Matrix { rows, .. } => {
                    for r in 1..=rows.len() {
                        let name = row_input(&q.key, r);
                        let v = f.value(&name);
                        if !v.is_empty() {
                            hidden.push((name.clone(), v.to_owned()));
                        }
                    }
                }
                _ => {
                    let name = input(&q.key);
                    for v in f.values_of(&name) {
                        hidden.push((name.clone(), v.to_owned()));
                    }
                }
            }
        }
    }
    let lang = page.lang;
    let view = AnswerPage {
        id: survey.id,
        title: survey.title.get(lang).to_owned(),
        description: survey.description.get(lang).to_owned(),
        section,
        section_title: here.title.get(lang).to_owned(),
        step: shown.iter().position(|&i| i == section).map_or(1, |i| i + 1),
        steps: shown.len().max(1),
        questions,
        hidden,
        first: if preview {
            section == 0
        } else {
            previous_section(survey, section, &answers).is_none()
        },
        last: if preview {
            section + 1 >= survey.sections.len()
        } else {
            next_section(survey, section, &answers).is_none()
        },
        named: survey.anonymity == super::model::Anonymity::Named,
        preview,
        page,
        f,
    };
    forms::page(&view, &view.f)
}

/// What a person who may not answer (any more) reads instead of the questions.
#[derive(Template)]
#[template(path = "surveys/answered.html")]
struct ClosedPage<'a> {
    page: PageCtx<'a>,
    title: String,
    /// The message id: answered, closed or not open yet.
    reason: &'static str,
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

async fn load(app: &Data, s: &SignedIn, id: u64) -> Result<(Seen, Option<Draft>)> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || {
        let seen = service::get(&a, &actor, id)?;
        let draft = service::draft(&a, &actor, id)?;
        Ok((seen, draft))
    })
    .await
}

fn closed(app: &Data, s: &SignedIn, seen: &Seen) -> Option<Result<HttpResponse>> {
    let reason = if seen.answered {
        "surveys-answered-already"
    } else {
        match seen.state {
            State::Open => return None,
            State::Closed => "survey-closed",
            State::Draft | State::Scheduled => "survey-not-open",
        }
    };
    let page = ClosedPage {
        page: PageCtx::new(app, &s.state, "survey-page-title", "surveys"),
        title: seen.survey.title.get(s.state.lang).to_owned(),
        reason,
    };
    Some(crate::web::render::html(&page))
}

/// `GET /surveys/{id}`: the first page, or for a named survey the page its draft was left on.
async fn answer_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (seen, draft) = load(&app, &s, path.into_inner()).await?;
    if let Some(page) = closed(&app, &s, &seen) {
        return page;
    }
    let draft = draft.unwrap_or_default();
    let f = form_of(&seen.survey, &draft.answers);
    let section = draft.section.min(seen.survey.sections.len().saturating_sub(1));
    show(&app, &s, &seen, section, f)
}

#[derive(serde::Deserialize)]
struct PreviewQuery {
    section: Option<usize>,
}

/// `GET /surveys/{id}/preview?section=N`: the author sees each page as respondents will
/// (I385 §7.8 "a preview"), every question of it with the condition that asks it; nothing
/// can be sent from it.
async fn preview_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    let seen = blocking(move || service::for_edit(&a, &actor, id)).await?;
    if seen.survey.sections.is_empty() {
        return Ok(crate::web::render::see_other(&format!("/surveys/{id}/edit")));
    }
    let section = query.section.unwrap_or(0).min(seen.survey.sections.len() - 1);
    show_as(&app, &s, &seen, section, Form::new("answer"), true)
}

/// The form's fields: each question's input, labelled by its text in the page's language
/// (the summary names the question the way the page shows it).
fn fields(s: &Survey, lang: &str) -> Vec<Field> {
    s.questions()
        .map(|q| Field {
            name: input(&q.key).into(),
            label: q.text.get(lang).to_owned().into(),
            aliases: std::borrow::Cow::Borrowed(&[]),
        })
        .collect()
}

/// A refusal of the service about a question is about that question's input.
fn on_input(mut e: Error) -> Error {
    e.field = e.field.map(|f| if f == "sections" { f } else { input(&f) });
    e
}

/// `POST /surveys/{id}/answer`: `nav` is `back`, `next`, `save` (named surveys: keep the
/// draft and leave) or `submit` (the last page).
async fn answer_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let (seen, _) = load(&app, &s, id).await?;
    if let Some(page) = closed(&app, &s, &seen) {
        return page;
    }
    let survey = seen.survey.clone();
    let posted = Form::posted("answer", &body);
    let last = survey.sections.len().saturating_sub(1);
    let section = posted.value("section").parse::<usize>().unwrap_or(0).min(last);
    let nav = posted.value("nav").to_owned();
    let answers = without_left_out(&survey, answers_of(&survey, &posted));
    let f = form_of(&survey, &answers);
    let lang = s.state.lang;
    let refuse = |e: Error, f: Form| f.refuse(&app.i18n, lang, on_input(e), &fields(&survey, lang));
    let keep = |section: usize| {
        let (a, actor) = (arc(&app), s.actor.clone());
        let draft = Draft { section, answers: answers.clone() };
        blocking(move || service::save_draft(&a, &actor, id, &draft))
    };
    match nav.as_str() {
        "back" => {
            let to = previous_section(&survey, section, &answers).unwrap_or(section);
            keep(to).await?;
            show(&app, &s, &seen, to, f)
        }
        "submit" => {
            let (a, actor, given) = (arc(&app), s.actor.clone(), answers.clone());
            match blocking(move || service::respond(&a, &actor, id, &given)).await {
                Ok(()) => Ok(done("/surveys", "done-survey-answered")),
                Err(e) => {
                    let at = e.field.as_deref().and_then(|k| section_of(&survey, k));
                    show(&app, &s, &seen, at.unwrap_or(section), refuse(e, f)?)
                }
            }
        }
        // "next", "save", or nothing (a form sent another way): the page is checked.
        _ => {
            // "Save and continue later" keeps whatever was typed, checked or not.
            if nav != "save"
                && let Err(e) = survey.check_section(section, &answers).map_err(service::refused)
            {
                return show(&app, &s, &seen, section, refuse(e, f)?);
            }
            let to = if nav == "save" {
                section
            } else {
                next_section(&survey, section, &answers).unwrap_or(section)
            };
            match keep(to).await {
                Ok(true) if nav == "save" => Ok(done("/surveys", "done-survey-draft-saved")),
                Ok(_) => show(&app, &s, &seen, to, f),
                Err(e) => show(&app, &s, &seen, section, refuse(e, f)?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Survey {
        let design = serde_json::json!({
            "id": 1, "title": {"ru": "Опрос", "kk": "Сауалнама"}, "author_id": 1,
            "agency_id": 1, "anonymity": "anonymous", "k": 5, "audience": {"everyone": true},
            "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2027-01-01T00:00:00Z",
            "state": "open", "created": "2026-01-01T00:00:00Z",
            "sections": [
                {"questions": [
                    {"key": "q1", "type": "single", "required": true, "text": {"ru": "Да?"},
                     "options": [{"ru": "Да"}, {"ru": "Нет"}]},
                    {"key": "q2", "type": "short_text", "text": {"ru": "Почему?"},
                     "show_if": {"question": "q1", "any_of": ["2"]}}]},
                {"questions": [
                    {"key": "q3", "type": "long_text", "text": {"ru": "Почему нет?"},
                     "show_if": {"question": "q1", "any_of": ["2"]}}]},
                {"questions": [
                    {"key": "q4", "type": "matrix", "max": 5, "text": {"ru": "Оцените"},
                     "rows": [{"ru": "A"}, {"ru": "B"}]},
                    {"key": "q5", "type": "multiple", "text": {"ru": "Что?"},
                     "options": [{"ru": "1"}, {"ru": "2"}, {"ru": "3"}]}]}
            ]
        });
        serde_json::from_value(design).unwrap()
    }

    #[test]
    fn a_form_and_its_answers_go_both_ways() {
        let s = survey();
        let f = Form::posted(
            "answer",
            b"csrf=t&section=2&nav=next&a.q1=2&a.q4.1=3&a.q4.2=&a.q5=1&a.q5=3&a.q3=",
        );
        let a = answers_of(&s, &f);
        assert_eq!(a["q1"], vec!["2"]);
        assert_eq!(a["q4"], vec!["3", ""], "a matrix keeps its rows in place");
        assert_eq!(a["q5"], vec!["1", "3"]);
        assert!(!a.contains_key("q3"), "an empty answer is no answer");
        assert_eq!(answers_of(&s, &form_of(&s, &a)), a);
    }

    /// I385 §7.8: the page of a question shown on a condition of an earlier page.
    #[test]
    fn pages_left_out_by_earlier_answers_are_skipped_and_their_answers_dropped() {
        let s = survey();
        let mut yes = Answers::new();
        yes.insert("q1".into(), vec!["1".into()]);
        assert_eq!(next_section(&s, 0, &yes), Some(2), "the 'why not' page is skipped");
        assert_eq!(previous_section(&s, 2, &yes), Some(0));
        let mut no = yes.clone();
        no.insert("q1".into(), vec!["2".into()]);
        assert_eq!(next_section(&s, 0, &no), Some(1));
        // An answer given to q3, then q1 changed back to "yes": q3 was never seen as asked.
        yes.insert("q3".into(), vec!["потому что".into()]);
        let kept = without_left_out(&s, yes);
        assert!(!kept.contains_key("q3") && kept.contains_key("q1"));
        // A condition within the same page is not decided by the page: q2 stays.
        let mut same = Answers::new();
        same.insert("q1".into(), vec!["1".into()]);
        same.insert("q2".into(), vec!["x".into()]);
        assert!(without_left_out(&s, same.clone()).contains_key("q2"));
        assert_eq!(
            s.check_response(&same).unwrap_err().key,
            "survey-answer-hidden",
            "and is refused with the API's message"
        );
    }

    #[test]
    fn a_refusal_about_a_question_lands_on_its_input() {
        let e = on_input(service::refused(super::super::model::Refusal {
            key: "survey-answer-required",
            question: Some("q1".into()),
        }));
        assert_eq!(e.field.as_deref(), Some("a.q1"));
        let i18n = crate::i18n::I18n::load();
        let s = survey();
        let f = Form::new("answer").refuse(&i18n, "ru", e, &fields(&s, "ru")).unwrap();
        assert!(f.invalid("a.q1") && f.autofocus("a.q1"));
        assert_eq!(f.problems()[0].label, "Да?");
    }
}
