//! The pages of headcount monitoring: campaigns (and opening one), an agency's return as a
//! form (save, submit; refused input comes back with what was typed and the reason by the
//! field), the verifier's queue and review form (comments per field, accept), and the
//! consolidated report with its charts and downloads.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::http::{
    ListQuery, SummaryQuery, arc, decide, form_values, load_summary, parse_state, view,
};
use super::model::{FieldComment, State};
use super::service::{self, Decision, NewCampaign, NewReturn, SaveReturn};
use super::summary::Summary;
use super::views::{self, CampaignView, FormVersionView, ReturnRow, ReturnView};
use crate::app::App;
use crate::auth::policy::{HeadcountAction, Object, decide as may};
use crate::error::{Error, Result};
use crate::report::{Sort, html as report_html};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done, html};
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

fn fmt_date(d: &jiff::civil::Date) -> String {
    d.strftime("%d.%m.%Y").to_string()
}

fn local_time(utc: &str) -> String {
    crate::clock::parse(utc).map(crate::clock::local_display).unwrap_or_else(|| utc.to_owned())
}

// ---------------------------------------------------------------------------------------
// Campaigns

const CAMPAIGN_FIELDS: &[Field] = &[
    Field::new("period", "headcount-period"),
    Field::new("due", "headcount-col-due"),
    Field::new("agencies", "headcount-agencies-codes"),
];

#[derive(Template)]
#[template(path = "headcount/campaigns.html")]
struct CampaignsPage<'a> {
    page: PageCtx<'a>,
    campaigns: Vec<CampaignView>,
    verifier: bool,
    hr: bool,
    /// Opening a campaign.
    f: Form,
    /// Starting the agency's return (its refusal: already started, not called).
    start: Form,
}

impl CampaignsPage<'_> {
    fn date(&self, d: &jiff::civil::Date) -> String {
        fmt_date(d)
    }

    fn count(&self, c: &CampaignView, state: &str) -> usize {
        c.counts.get(state).copied().unwrap_or(0)
    }
}

async fn campaigns_view(app: &Data, s: &SignedIn, f: Form, start: Form) -> Result<HttpResponse> {
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
    let status = if start.is_refused() { start.clone() } else { f.clone() };
    let page = CampaignsPage {
        page: PageCtx::new(app, &s.state, "headcount-title", "headcount"),
        campaigns,
        verifier,
        hr,
        f,
        start,
    };
    forms::page(&page, &status)
}

pub(super) async fn campaigns_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    campaigns_view(&app, &s, Form::new("campaign"), Form::new("start")).await
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
            Ok(done("/headcount", "done-headcount-campaign-opened"))
        }
        Err(e) => {
            let f = Form::posted("campaign", &body).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CAMPAIGN_FIELDS,
            )?;
            campaigns_view(&app, &s, f, Form::new("start")).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartForm {
    corrects: Option<u64>,
    reason: String,
}

const CORRECT_FIELDS: &[Field] = &[Field::new("reason", "headcount-reason")];

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
            Ok(done(&format!("/headcount/returns/{id}"), "done-headcount-return-created"))
        }
        Err(e) if f.corrects.is_some() => {
            let id = f.corrects.unwrap_or(0);
            let correct = Form::posted("correct", &body).refuse(
                &app.i18n,
                s.state.lang,
                e,
                CORRECT_FIELDS,
            )?;
            return_view(&app, &s, id, Forms { correct, ..Forms::default() }).await
        }
        Err(e) => {
            let start = Form::new("start").refuse(&app.i18n, s.state.lang, e, &[])?;
            campaigns_view(&app, &s, Form::new("campaign"), start).await
        }
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
// Form definitions

#[derive(Template)]
#[template(path = "headcount/forms.html")]
struct FormsPage<'a> {
    page: PageCtx<'a>,
    versions: Vec<FormVersionView>,
}

impl FormsPage<'_> {
    fn time(&self, utc: &str) -> String {
        local_time(utc)
    }
}

/// The versions of the form definition and which periods fixed each (§26).
pub(super) async fn forms_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let versions = blocking(move || views::form_versions(&a, &actor, lang)).await?;
    html(&FormsPage {
        page: PageCtx::new(&app, &s.state, "headcount-forms-title", "headcount"),
        versions,
    })
}

// ---------------------------------------------------------------------------------------
// A return

/// The forms of a return's page; the one sent comes back refused with what was typed.
struct Forms {
    /// The figures (`v.<key>`), saved or submitted by the HR officer; by default the
    /// stored figures.
    figures: Option<Form>,
    /// The verifier's comments (`c.<key>`, `comment`) or acceptance.
    review: Form,
    /// A correction of the accepted return (`reason`).
    correct: Form,
    /// The head's signature file.
    sign: Form,
}

impl Default for Forms {
    fn default() -> Forms {
        Forms {
            figures: None,
            review: Form::new("review"),
            correct: Form::new("correct"),
            sign: Form::new("sign"),
        }
    }
}

#[derive(Template)]
#[template(path = "headcount/return.html")]
struct ReturnPage<'a> {
    page: PageCtx<'a>,
    r: ReturnView,
    f: Form,
    review: Form,
    correct: Form,
    sign: Form,
}

impl ReturnPage<'_> {
    /// A comment's label: the figure and its value, as the verifier reads them.
    fn comment_label(&self, x: &super::views::FieldView) -> String {
        let value = x.value.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
        format!("{} ({value})", x.label)
    }

    fn label(&self, key: &str) -> String {
        self.r.fields.iter().find(|f| f.key == key).map(|f| f.label.clone()).unwrap_or_default()
    }

    fn date(&self, d: &jiff::civil::Date) -> String {
        fmt_date(d)
    }

    fn time(&self, utc: &str) -> String {
        local_time(utc)
    }
}

/// The figures' fields (`v.<key>`) and comment fields (`c.<key>`) under their labels.
fn figure_fields(r: &ReturnView, prefix: &str) -> Vec<Field> {
    r.fields
        .iter()
        .map(|f| Field::dynamic(format!("{prefix}{}", f.key), f.label.clone(), ""))
        .collect()
}

/// An error about a figure names the figure's key; on the page its input is `v.<key>`.
fn on_figure_input(r: &ReturnView, mut e: Error) -> Error {
    if let Some(field) = &e.field
        && r.fields.iter().any(|f| &f.key == field)
    {
        e.field = Some(format!("v.{field}"));
    }
    e
}

async fn return_view(app: &Data, s: &SignedIn, id: u64, forms: Forms) -> Result<HttpResponse> {
    let r = view(app, s, id).await?;
    let figures = forms.figures.unwrap_or_else(|| {
        r.fields.iter().fold(Form::new("return"), |f, x| match x.value {
            Some(v) => f.set(&format!("v.{}", x.key), v.to_string()),
            None => f,
        })
    });
    let status = [&figures, &forms.review, &forms.correct, &forms.sign]
        .into_iter()
        .find(|f| f.is_refused())
        .cloned()
        .unwrap_or_default();
    let page = ReturnPage {
        page: PageCtx::new(app, &s.state, "headcount-return-title", "headcount"),
        r,
        f: figures,
        review: forms.review,
        correct: forms.correct,
        sign: forms.sign,
    };
    forms::page(&page, &status)
}

pub(super) async fn return_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    return_view(&app, &s, path.into_inner(), Forms::default()).await
}

/// Save or submit (`do`), from the form of the return page. A refusal of the figures
/// comes back with every problem by its figure (all of them, not only the first).
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
    let values = form_values(&f);
    let input = SaveReturn { values: values.clone(), revision };
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
    let e = match result {
        Ok(()) => {
            s.actor.origin.set_success_status(303);
            let message = if submit { "done-headcount-submitted" } else { "done-headcount-saved" };
            return Ok(done(&format!("/headcount/returns/{id}"), message));
        }
        Err(e) => e,
    };
    let r = view(&app, &s, id).await?;
    let errors = if e.detail_key.is_some_and(|k| k.starts_with("headcount-problem")) {
        let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
        let all = blocking(move || service::input_problems(&a, &actor, id, &values, submit, lang))
            .await?;
        if all.is_empty() { vec![e] } else { all }
    } else {
        vec![e]
    };
    let errors = errors.into_iter().map(|e| on_figure_input(&r, e)).collect();
    let figures = Form::posted("return", &body).refuse_all(
        &app.i18n,
        s.state.lang,
        errors,
        &figure_fields(&r, "v."),
    )?;
    let forms = Forms { figures: Some(figures), ..Forms::default() };
    return_view(&app, &s, id, forms).await
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
    let accept = f.get("decision").is_some_and(|d| d == "accept");
    // The inputs in the order of the comments sent, to put a refusal by its input.
    let mut inputs: Vec<String> = Vec::new();
    let d = if accept {
        Decision::Accept
    } else {
        let mut comments = Vec::new();
        for (k, v) in &f {
            if let Some(key) = k.strip_prefix("c.") {
                comments.push(FieldComment { field: key.to_owned(), text: v.clone() });
                inputs.push(k.clone());
            }
        }
        comments.push(FieldComment {
            field: String::new(),
            text: f.get("comment").cloned().unwrap_or_default(),
        });
        inputs.push("comment".into());
        Decision::Return { comments }
    };
    let e = match decide(&app, &s, id, d).await {
        Ok(_) => {
            s.actor.origin.set_success_status(303);
            let message =
                if accept { "done-headcount-accepted" } else { "done-headcount-returned" };
            return Ok(done(&format!("/headcount/returns/{id}"), message));
        }
        Err(e) => e,
    };
    let r = view(&app, &s, id).await?;
    let mut e = e;
    if let Some(field) = e.field.clone() {
        let index = field
            .strip_prefix("comments[")
            .and_then(|x| x.split_once(']'))
            .and_then(|(i, _)| i.parse::<usize>().ok());
        if let Some(input) = index.and_then(|i| inputs.get(i)) {
            e.field = Some(input.clone());
        } else if field == "comments" {
            e.field = Some("comment".into());
        }
    }
    let mut fields = figure_fields(&r, "c.");
    fields.push(Field::new("comment", "headcount-general-comment"));
    let review = Form::posted("review", &body).refuse(&app.i18n, s.state.lang, e, &fields)?;
    let forms = Forms { review, ..Forms::default() };
    return_view(&app, &s, id, forms).await
}

/// The head's signature file, uploaded from the return's page (multipart, the CSRF token
/// first).
pub(super) async fn sign_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let mp = Multipart::new(req.headers(), payload);
    let result = match crate::portal::polls::http::read_multipart(&app, mp).await {
        Ok((_, Some(cms))) if !cms.is_empty() => {
            let (a, actor) = (arc(&app), s.actor.clone());
            blocking(move || service::sign(&a, &actor, id, &cms)).await
        }
        Ok(_) => Err(Error::invalid("signature", "field-required")),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            s.actor.origin.set_success_status(303);
            Ok(done(&format!("/headcount/returns/{id}"), "done-headcount-signed"))
        }
        Err(e) => {
            let fields = [Field::new("signature", "headcount-signature-file")];
            let sign = Form::new("sign").refuse(&app.i18n, s.state.lang, e, &fields)?;
            let forms = Forms { sign, ..Forms::default() };
            return_view(&app, &s, id, forms).await
        }
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
        signed(self.s.change.get(key))
    }

    /// A group's change of the figure `key` against the previous period.
    fn group_change(&self, g: &super::summary::Group, key: &str) -> String {
        signed(g.change.get(key))
    }

    fn groupings(&self) -> [&'static str; 3] {
        super::summary::Grouping::ALL.map(|g| g.code())
    }

    /// The head of the group column: the region or the kind.
    fn group_head(&self) -> &'static str {
        if self.s.group == super::summary::Grouping::Kind {
            "field-agency-kind"
        } else {
            "field-region"
        }
    }

    fn grouped(&self) -> bool {
        self.s.group != super::summary::Grouping::Agency
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

fn signed(d: Option<&i64>) -> String {
    match d {
        Some(d) if *d > 0 => format!("+{d}"),
        Some(d) => d.to_string(),
        None => "—".into(),
    }
}

pub(super) async fn summary_page(
    app: Data,
    s: SignedIn,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let sum = load_summary(&app, &s, &q).await?;
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
    let query = vec![
        ("period".to_owned(), sum.period.clone()),
        ("group".to_owned(), sum.group.code().to_owned()),
    ];
    let href = |k: &str, d: bool| report_html::sort_href("/headcount/summary", &query, k, d);
    let table = report_html::render(
        &table,
        &report_html::Options { sort: &sort, href: &href, empty: &page.t("headcount-none") },
    );
    let (bars, trend) = super::summary::charts(&app, &sum, &t)?;
    html(&SummaryPage { page, s: sum, periods, table, bars, trend })
}
