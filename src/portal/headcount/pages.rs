//! The pages of headcount monitoring: campaigns (and opening one), an agency's return as a
//! form (save, submit; refused input comes back with what was typed and the reason by the
//! field), the verifier's queue and review form (comments per field, accept), and the
//! consolidated report with its charts and downloads.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::http::{
    ListQuery, SummaryQuery, arc, decide, form_values, load_summary, parse_state, view,
};
use super::model::{FieldComment, State};
use super::service::{self, Decision, NewCampaign, NewReturn, SaveReturn};
use super::summary::Summary;
use super::views::{self, CampaignView, ReturnRow, ReturnView};
use crate::app::App;
use crate::auth::policy::{HeadcountAction, Object, decide as may};
use crate::error::{Code, Error, Result};
use crate::report::{Sort, html as report_html};
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

fn fmt_date(d: &jiff::civil::Date) -> String {
    d.strftime("%d.%m.%Y").to_string()
}

fn local_time(utc: &str) -> String {
    crate::clock::parse(utc).map(crate::clock::local_display).unwrap_or_else(|| utc.to_owned())
}

/// A refused form's message: the detail sentence naming the field, or the code's text.
fn message(app: &App, lang: &str, e: &Error) -> String {
    match &e.detail {
        Some(d) if e.detail_key.is_some_and(|k| k.starts_with("headcount-problem")) => d.clone(),
        _ => app.i18n.error_message(lang, e),
    }
}

/// Whether a refusal is about the input (the form comes back) rather than about rights or
/// existence (the error page).
fn about_input(e: &Error) -> bool {
    matches!(e.code, Code::InvalidInput | Code::Conflict)
}

fn with_status(mut r: HttpResponse, e: &Error) -> HttpResponse {
    *r.status_mut() = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    r
}

// ---------------------------------------------------------------------------------------
// Campaigns

#[derive(Template)]
#[template(path = "headcount/campaigns.html")]
struct CampaignsPage<'a> {
    page: PageCtx<'a>,
    campaigns: Vec<CampaignView>,
    verifier: bool,
    hr: bool,
    error: Option<String>,
    posted: BTreeMap<String, String>,
}

impl CampaignsPage<'_> {
    fn date(&self, d: &jiff::civil::Date) -> String {
        fmt_date(d)
    }

    fn count(&self, c: &CampaignView, state: &str) -> usize {
        c.counts.get(state).copied().unwrap_or(0)
    }

    fn posted(&self, k: &str) -> String {
        self.posted.get(k).cloned().unwrap_or_default()
    }
}

async fn campaigns_view(
    app: &Data,
    s: &SignedIn,
    error: Option<Error>,
    posted: BTreeMap<String, String>,
) -> Result<HttpResponse> {
    let (a, actor) = (arc(app), s.actor.clone());
    let campaigns = blocking(move || views::campaigns(&a, &actor)).await?;
    let verifier = may(&s.actor, service::act(HeadcountAction::ManageCampaigns), Object::Appliance);
    let hr = s.actor.user().is_some_and(|u| {
        may(
            &s.actor,
            service::act(HeadcountAction::EditReturn),
            Object::HeadcountReturn { agency: u.agency_id },
        )
    });
    let page = CampaignsPage {
        page: PageCtx::new(app, &s.state, "headcount-title", "headcount"),
        campaigns,
        verifier,
        hr,
        error: error.as_ref().map(|e| message(app, s.state.lang, e)),
        posted,
    };
    let r = html(&page)?;
    Ok(match &error {
        Some(e) => with_status(r, e),
        None => r,
    })
}

pub(super) async fn campaigns_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    campaigns_view(&app, &s, None, BTreeMap::new()).await
}

pub(super) async fn open_campaign_form(
    app: Data,
    s: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let f: BTreeMap<String, String> = form(&body)?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let input = NewCampaign {
        period: get("period"),
        due: get("due"),
        agencies: get("agencies")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        form_version: None,
    };
    let (a, actor) = (arc(&app), s.actor.clone());
    match blocking(move || service::open_campaign(&a, &actor, input)).await {
        Ok(_) => {
            s.actor.origin.set_success_status(303);
            Ok(see_other("/headcount"))
        }
        Err(e) if about_input(&e) => campaigns_view(&app, &s, Some(e), f).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartForm {
    corrects: Option<u64>,
    reason: String,
}

/// Creates the agency's return for the campaign (or a correction) and opens it.
pub(super) async fn start_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let f: StartForm = form(&body)?;
    let campaign = path.into_inner();
    let input =
        NewReturn { campaign, corrects: f.corrects, reason: f.reason, ..Default::default() };
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    match blocking(move || service::create_return(&a, &actor, input, lang)).await {
        Ok(id) => {
            s.actor.origin.set_success_status(303);
            Ok(see_other(&format!("/headcount/returns/{id}")))
        }
        Err(e) if about_input(&e) && f.corrects.is_some() => {
            let id = f.corrects.unwrap_or(0);
            return_view(&app, &s, id, Some(e), BTreeMap::new()).await
        }
        Err(e) if about_input(&e) => campaigns_view(&app, &s, Some(e), BTreeMap::new()).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// The verifier's queue

#[derive(Template)]
#[template(path = "headcount/queue.html")]
struct QueuePage<'a> {
    page: PageCtx<'a>,
    rows: Vec<ReturnRow>,
    state: String,
}

impl QueuePage<'_> {
    fn states(&self) -> Vec<&'static str> {
        State::ALL.iter().map(|s| s.name()).collect()
    }

    fn time(&self, utc: &str) -> String {
        local_time(utc)
    }
}

pub(super) async fn queue_page(
    app: Data,
    s: SignedIn,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let state = if q.state.is_empty() { "submitted".to_owned() } else { q.state.clone() };
    let st = if state == "all" { None } else { parse_state(&state)? };
    let (a, actor, lang, c) = (arc(&app), s.actor.clone(), s.state.lang, q.campaign);
    let rows = blocking(move || views::list(&a, &actor, c, st, lang)).await?;
    html(&QueuePage {
        page: PageCtx::new(&app, &s.state, "headcount-queue-title", "headcount"),
        rows,
        state,
    })
}

// ---------------------------------------------------------------------------------------
// A return

#[derive(Template)]
#[template(path = "headcount/return.html")]
struct ReturnPage<'a> {
    page: PageCtx<'a>,
    r: ReturnView,
    /// What was typed, when a form came back refused.
    posted: BTreeMap<String, String>,
    /// The refused field and the reason (the field is empty for the whole form).
    error: Option<(String, String)>,
}

impl ReturnPage<'_> {
    fn value(&self, key: &str, stored: &Option<u64>) -> String {
        match self.posted.get(&format!("v.{key}")) {
            Some(v) => v.clone(),
            None => stored.map(|v| v.to_string()).unwrap_or_default(),
        }
    }

    fn posted_value(&self, prefix: &str, key: &str) -> String {
        self.posted.get(&format!("{prefix}{key}")).cloned().unwrap_or_default()
    }

    fn label(&self, key: &str) -> String {
        self.r.fields.iter().find(|f| f.key == key).map(|f| f.label.clone()).unwrap_or_default()
    }

    fn error_for(&self, key: &str) -> Option<String> {
        self.error.as_ref().filter(|(f, _)| f == key).map(|(_, m)| m.clone())
    }

    /// The message of a refusal not about one of the figures.
    fn form_error(&self) -> Option<String> {
        self.error
            .as_ref()
            .filter(|(f, _)| !self.r.fields.iter().any(|x| &x.key == f))
            .map(|(_, m)| m.clone())
    }

    fn date(&self, d: &jiff::civil::Date) -> String {
        fmt_date(d)
    }

    fn time(&self, utc: &str) -> String {
        local_time(utc)
    }
}

async fn return_view(
    app: &Data,
    s: &SignedIn,
    id: u64,
    error: Option<Error>,
    posted: BTreeMap<String, String>,
) -> Result<HttpResponse> {
    let r = view(app, s, id).await?;
    let page = ReturnPage {
        page: PageCtx::new(app, &s.state, "headcount-return-title", "headcount"),
        r,
        posted,
        error: error
            .as_ref()
            .map(|e| (e.field.clone().unwrap_or_default(), message(app, s.state.lang, e))),
    };
    let resp = html(&page)?;
    Ok(match &error {
        Some(e) => with_status(resp, e),
        None => resp,
    })
}

pub(super) async fn return_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    return_view(&app, &s, path.into_inner(), None, BTreeMap::new()).await
}

/// Save or submit (`do`), from the form of the return page.
pub(super) async fn return_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: BTreeMap<String, String> = form(&body)?;
    let revision = f.get("revision").and_then(|r| r.parse().ok());
    let submit = f.get("do").is_some_and(|d| d == "submit");
    let input = SaveReturn { values: form_values(&f), revision };
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let result = blocking(move || {
        service::save(&a, &actor, id, input, lang)?;
        if submit {
            // The save moved the revision on; the submission follows it.
            service::submit(&a, &actor, id, revision.map(|r| r + 1), lang)?;
        }
        Ok(())
    })
    .await;
    match result {
        Ok(()) => {
            s.actor.origin.set_success_status(303);
            Ok(see_other(&format!("/headcount/returns/{id}")))
        }
        Err(e) if about_input(&e) => return_view(&app, &s, id, Some(e), f).await,
        Err(e) => Err(e),
    }
}

/// The verifier's decision: `decision=accept`, or `decision=return` with `c.<field>`
/// comments and a general `comment`.
pub(super) async fn review_form(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let f: BTreeMap<String, String> = form(&body)?;
    let d = if f.get("decision").is_some_and(|d| d == "accept") {
        Decision::Accept
    } else {
        let mut comments: Vec<FieldComment> = f
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("c.").map(|k| FieldComment { field: k.to_owned(), text: v.clone() })
            })
            .collect();
        comments.push(FieldComment {
            field: String::new(),
            text: f.get("comment").cloned().unwrap_or_default(),
        });
        Decision::Return { comments }
    };
    match decide(&app, &s, id, d).await {
        Ok(_) => {
            s.actor.origin.set_success_status(303);
            Ok(see_other(&format!("/headcount/returns/{id}")))
        }
        Err(e) if about_input(&e) => return_view(&app, &s, id, Some(e), f).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// The consolidated report

#[derive(Template)]
#[template(path = "headcount/summary.html")]
struct SummaryPage<'a> {
    page: PageCtx<'a>,
    s: Summary,
    periods: Vec<String>,
    table: String,
    bars: String,
    trend: String,
}

impl SummaryPage<'_> {
    fn change(&self, key: &str) -> String {
        match self.s.change.get(key) {
            Some(d) if *d > 0 => format!("+{d}"),
            Some(d) => d.to_string(),
            None => "—".into(),
        }
    }

    fn total(&self, key: &str) -> String {
        self.s.totals.get(key).map(|v| v.to_string()).unwrap_or_else(|| "—".into())
    }

    fn previous(&self, key: &str) -> String {
        self.s
            .previous
            .as_ref()
            .and_then(|p| p.totals.get(key))
            .map(|v| v.to_string())
            .unwrap_or_else(|| "—".into())
    }

    fn date(&self, d: &jiff::civil::Date) -> String {
        fmt_date(d)
    }
}

pub(super) async fn summary_page(
    app: Data,
    s: SignedIn,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let sum = load_summary(&app, &s, &q.period).await?;
    let (a, actor) = (arc(&app), s.actor.clone());
    let mut periods: Vec<String> = blocking(move || views::campaigns(&a, &actor))
        .await?
        .into_iter()
        .map(|c| c.period)
        .collect();
    periods.sort();
    periods.reverse();
    let page = PageCtx::new(&app, &s.state, "headcount-summary-title", "headcount");
    let t = |k: &str| page.t(k);
    let mut table = super::summary::table(&sum, &t);
    let sort = Sort { sort: q.sort, dir: q.dir };
    sort.apply(&mut table);
    let query = vec![("period".to_owned(), sum.period.clone())];
    let href = |k: &str, d: bool| report_html::sort_href("/headcount/summary", &query, k, d);
    let table = report_html::render(
        &table,
        &report_html::Options { sort: &sort, href: &href, empty: &page.t("headcount-none") },
    );
    let (bars, trend) = super::summary::charts(&app, &sum, &t)?;
    html(&SummaryPage { page, s: sum, periods, table, bars, trend })
}
