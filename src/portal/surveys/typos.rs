//! Typo corrections in a survey already answered (I385 §7.8, issue 16 point 1: "once the
//! first answer arrives, questions can no longer change — only texts' typos, recorded"): a
//! page without JavaScript with every text of the survey (titles, description, sections,
//! questions, options, rows, the scale's ends) in kk and ru, and below it the corrections
//! recorded so far. The form saves through `service::update`, which accepts a change of
//! texts only and records each one with who made it and when; so a page and the API cannot
//! differ in what they let through. On the forms pattern (`web/forms.rs`).

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{Survey, Text, TextFix};
use super::service::{self, Seen};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/surveys/{id}/texts", web::get().to(texts_page))
        .route("/surveys/{id}/texts", web::post().to(texts_submit));
}

/// The label of every text input (a refusal names it under the field).
const LABEL: &str = "survey-texts-field";

/// One text of the survey on the page: its path (`q3.option.2`) and current words.
pub struct Line {
    pub path: String,
    pub text: Text,
    /// The names of its two inputs.
    pub kk: String,
    pub ru: String,
}

#[derive(Template)]
#[template(path = "surveys/texts.html")]
struct TextsPage<'a> {
    page: PageCtx<'a>,
    id: u64,
    title: String,
    lines: Vec<Line>,
    fixes: Vec<TextFix>,
    f: Form,
}

fn lines(s: &Survey) -> Vec<Line> {
    let mut s = s.clone();
    let texts = s.texts_mut();
    texts
        .into_iter()
        .map(|(path, t)| Line {
            kk: format!("{path}.kk"),
            ru: format!("{path}.ru"),
            path,
            text: t.clone(),
        })
        .collect()
}

/// The survey with the texts the form holds (an input left out keeps its text).
fn with_texts(s: &Survey, f: &Form) -> Survey {
    let mut next = s.clone();
    for (path, t) in next.texts_mut() {
        for (lang, slot) in [("kk", &mut t.kk), ("ru", &mut t.ru)] {
            let name = format!("{path}.{lang}");
            if !f.values_of(&name).is_empty() {
                *slot = f.value(&name).trim().to_owned();
            }
        }
    }
    next
}

async fn load(app: &Data, s: &SignedIn, id: u64) -> Result<Seen> {
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    blocking(move || service::for_edit(&a, &actor, id)).await
}

async fn show(app: &Data, s: &SignedIn, seen: &Seen, f: Form) -> Result<HttpResponse> {
    let survey = &seen.survey;
    let view = TextsPage {
        page: PageCtx::new(app, &s.state, "survey-texts-title", "surveys"),
        id: survey.id,
        title: survey.title.get(s.state.lang).to_owned(),
        lines: lines(survey),
        fixes: survey.fixes.iter().rev().cloned().collect(),
        f,
    };
    forms::page(&view, &view.f)
}

async fn texts_page(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    let mut f = Form::new("texts");
    for line in lines(&seen.survey) {
        f = f.set(&line.kk, line.text.kk).set(&line.ru, line.text.ru);
    }
    show(&app, &s, &seen, f).await
}

async fn texts_submit(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let seen = load(&app, &s, path.into_inner()).await?;
    let id = seen.survey.id;
    let f = Form::posted("texts", &body);
    let design = service::design_of(&with_texts(&seen.survey, &f));
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    let outcome =
        blocking(move || service::update(&a, &actor, id, design)).await.map_err(|mut e| {
            // The service names the text (`title`, `q3`); the page has its two inputs.
            e.field = e.field.map(|p| format!("{p}.ru"));
            e
        });
    let fields: Vec<Field> = lines(&seen.survey)
        .into_iter()
        .flat_map(|l| [l.kk, l.ru])
        .map(|name| Field::dynamic(name, LABEL.into(), ""))
        .collect();
    f.settle(
        outcome,
        &app.i18n,
        s.state.lang,
        &fields,
        |_| done(&format!("/surveys/{id}/texts"), "done-survey-texts-fixed"),
        |f| show(&app, &s, &seen, f),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_changes_only_the_texts_it_holds() {
        let s: Survey = serde_json::from_value(serde_json::json!({
            "id": 1, "author_id": 1, "agency_id": 1, "anonymity": "anonymous", "k": 5,
            "audience": {"everyone": true}, "opens_at": "", "closes_at": "", "state": "open",
            "created": "", "title": {"kk": "Атау", "ru": "Назвние"},
            "sections": [{"questions": [{"key": "q1", "type": "single", "text": {"ru": "Вопрос"},
                "options": [{"ru": "Да"}, {"ru": "Нет"}]}]}]
        }))
        .unwrap();
        let f = Form::from_pairs(
            "texts",
            vec![("title.ru".into(), " Название ".into()), ("q1.option.2.kk".into(), "Жоқ".into())],
        );
        let next = with_texts(&s, &f);
        assert_eq!(next.title, Text { kk: "Атау".into(), ru: "Название".into() });
        let fixes = s.text_fixes(&next, 7, "t").unwrap();
        let paths: Vec<&str> = fixes.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(paths, ["title", "q1.option.2"]);
        assert_eq!(lines(&s).len(), 6, "title, description, section, question, two options");
    }
}
