//! The surveys' pages (read-only so far): the list of surveys one may read, and the author's
//! results with a server-side SVG chart per question (counts and shares), the matrix as a
//! table, numeric summaries and the free texts; the breakdown by agency or department
//! respects k exactly as the API does (the same `reading::results`). The answer pages are
//! `answer.rs`.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::model::{Kind, Survey};
use super::reading::{self, ResultsView};
use super::results::QuestionResult;
use super::service::{self, Seen};
use crate::app::App;
use crate::error::Result;
use crate::report::chart::{self, Bar, Bars, Series};
use crate::web::blocking;
use crate::web::render::{PageCtx, done, html};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/surveys", web::get().to(list_page))
        .route("/surveys/{id}/results", web::get().to(results_page))
        .route("/surveys/{id}/remind", web::post().to(remind_submit));
    super::builder::routes(cfg);
    super::typos::routes(cfg);
    super::answer::routes(cfg);
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

pub struct Row {
    pub id: u64,
    pub title: String,
    pub state: &'static str,
    pub answered: bool,
    pub mine: bool,
    pub closes_at: String,
}

#[derive(Template)]
#[template(path = "surveys/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    rows: Vec<Row>,
    can_create: bool,
}

async fn list_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let me = s.actor.user_id().unwrap_or(0);
    let list: Vec<Seen> = blocking(move || service::list(&a, &actor)).await?;
    let rows = list
        .into_iter()
        .map(|x| Row {
            id: x.survey.id,
            title: x.survey.title.get(lang).to_owned(),
            state: x.state.name(),
            answered: x.answered,
            mine: x.survey.author_id == me,
            closes_at: x.survey.closes_at.clone(),
        })
        .collect();
    let can_create = service::can_create(&s.actor);
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "surveys-title", "surveys"),
        rows,
        can_create,
    })
}

/// One question as the results page shows it.
pub struct QuestionView {
    pub text: String,
    pub answered: u64,
    pub chart: Option<String>,
    /// Matrix: row label and counts per point.
    pub matrix: Vec<(String, Vec<u64>)>,
    pub points: Vec<u32>,
    pub stats: Option<String>,
    pub texts: Vec<String>,
}

pub struct GroupView {
    pub label: String,
    pub responses: u64,
    pub questions: Vec<QuestionView>,
}

fn question_view(s: &Survey, r: &QuestionResult, lang: &str, id: String) -> QuestionView {
    let q = s.question(&r.key);
    let text = q.map(|q| format!("{}. {}", r.key, q.text.get(lang))).unwrap_or_default();
    let labels: Vec<String> = match q.map(|q| &q.kind) {
        Some(Kind::Single { options } | Kind::Multiple { options, .. }) => {
            options.iter().map(|o| o.get(lang).to_owned()).collect()
        }
        _ => (1..=r.counts.len()).map(|p| p.to_string()).collect(),
    };
    let chart = (!r.counts.is_empty()).then(|| {
        chart::bars(&Bars {
            id,
            title: text.clone(),
            series: vec![Series::new(text.clone(), chart::PALETTE[0])],
            bars: labels
                .iter()
                .zip(&r.counts)
                .map(|(l, c)| Bar { label: l.clone(), values: vec![*c as f64], href: None })
                .collect(),
            shares: true,
        })
    });
    let matrix = match q.map(|q| &q.kind) {
        Some(Kind::Matrix { rows, .. }) => {
            rows.iter().zip(&r.rows).map(|(l, c)| (l.get(lang).to_owned(), c.clone())).collect()
        }
        _ => Vec::new(),
    };
    let points = r.rows.first().map(|c| (1..=c.len() as u32).collect()).unwrap_or_default();
    let stats = r.stats.as_ref().map(|s| {
        let f = |v: f64| format!("{}", (v * 100.0).round() / 100.0);
        format!(
            "n = {} · x̄ = {} · Me = {} · Q1 = {} · Q3 = {} · min = {} · max = {}",
            s.n,
            f(s.mean),
            f(s.median),
            f(s.q1),
            f(s.q3),
            f(s.min),
            f(s.max)
        )
    });
    QuestionView {
        text,
        answered: r.answered,
        chart,
        matrix,
        points,
        stats,
        texts: r.texts.clone(),
    }
}

#[derive(Template)]
#[template(path = "surveys/results.html")]
struct ResultsPage<'a> {
    page: PageCtx<'a>,
    id: u64,
    title: String,
    by: String,
    view: ResultsView,
    groups: Vec<GroupView>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResultsQuery {
    by: String,
}

async fn results_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<ResultsQuery>,
) -> Result<HttpResponse> {
    let (a, actor, lang, id) = (arc(&app), s.actor.clone(), s.state.lang, path.into_inner());
    let by = q.into_inner().by;
    let by2 = by.clone();
    let view = blocking(move || reading::results(&a, &actor, id, &by2, lang)).await?;
    let survey = view.seen.survey.clone();
    let other = app.i18n.text(lang, "surveys-other");
    let all = app.i18n.text(lang, "surveys-all");
    let groups = view
        .results
        .groups
        .iter()
        .enumerate()
        .map(|(g, group)| GroupView {
            label: match group.key.as_str() {
                "all" => all.clone(),
                "other" => other.clone(),
                key => view.labels.get(key).cloned().unwrap_or_else(|| key.to_owned()),
            },
            responses: group.responses,
            questions: group
                .questions
                .iter()
                .enumerate()
                .map(|(i, r)| question_view(&survey, r, lang, format!("chart-{g}-{i}")))
                .collect(),
        })
        .collect();
    html(&ResultsPage {
        page: PageCtx::new(&app, &s.state, "surveys-results", "surveys"),
        id,
        title: survey.title.get(lang).to_owned(),
        by,
        view,
        groups,
    })
}

/// `POST /surveys/{id}/remind`: the author reminds those who have not answered; the results
/// page then says that it was done (never to whom).
async fn remind_submit(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    blocking(move || service::remind(&a, &actor, id)).await?;
    Ok(done(&format!("/surveys/{id}/results"), "done-survey-reminded"))
}
