//! The pages of action plans: the list, a plan with its items and their standing (a
//! sortable report table and a chart), an item with its tasks, reports, consolidated report
//! and the forms of whoever may act, and the monitoring dashboard.

use actix_web::{HttpResponse, web};
use askama::Template;

use actix_multipart::Multipart;
use serde::Deserialize;

use super::http::{DashboardQuery, arc, item_view, plan_view};
use super::monitor::{self, AgencyLine, ItemView, PlanSummary, PlanView};
use super::service::{self, NewReport, NewTask};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::report::chart::{self, Bar, Bars, Series};
use crate::report::{Sort, html as report_html};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, done, html};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, read_file_field, read_form_body};

type Data = web::Data<App>;

#[derive(Template)]
#[template(path = "plans/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    plans: Vec<PlanSummary>,
}

pub(super) async fn list_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let plans = blocking(move || monitor::list(&a, &actor, lang)).await?;
    html(&ListPage { page: PageCtx::new(&app, &s.state, "plans-title", "plans"), plans })
}

/// Stacked bars of items by responsible agency and status.
fn status_chart(page: &PageCtx, id: &str, lines: &[AgencyLine]) -> String {
    let statuses = [
        ("on_time", chart::GOOD),
        ("due_soon", chart::WARN),
        ("overdue", chart::BAD),
        ("submitted", chart::PALETTE[0]),
        ("returned", chart::PALETTE[5]),
        ("done", chart::NEUTRAL),
    ];
    chart::bars(&Bars {
        id: id.into(),
        title: page.t("plans-chart-title"),
        series: statuses
            .iter()
            .map(|(s, c)| Series::new(page.t(&format!("plan-status-{}", s.replace('_', "-"))), c))
            .collect(),
        bars: lines
            .iter()
            .map(|l| Bar {
                label: l.agency.name.clone(),
                values: statuses
                    .iter()
                    .map(|(s, _)| *l.counts.get(s).unwrap_or(&0) as f64)
                    .collect(),
                href: None,
            })
            .collect(),
        shares: false,
    })
}

#[derive(Template)]
#[template(path = "plans/plan.html")]
struct PlanPage<'a> {
    page: PageCtx<'a>,
    plan: PlanView,
    table: String,
    chart: String,
}

impl PlanPage<'_> {
    /// Counts by status in the order a reader expects.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        super::model::Status::ALL
            .iter()
            .map(|s| (s.name(), self.plan.counts.get(s.name()).copied().unwrap_or(0)))
            .collect()
    }

    fn status(&self, s: &str) -> String {
        self.page.t(&format!("plan-status-{}", s.replace('_', "-")))
    }
}

pub(super) async fn plan_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    let plan = plan_view(&app, &s, id).await?;
    let (a, actor, lang) = (arc(&app), s.actor.clone(), s.state.lang);
    let lines = blocking(move || monitor::dashboard(&a, &actor, Some(id), lang)).await?;
    s.actor.origin.set_operation("plan.read");
    let page = PageCtx::new(&app, &s.state, "plan-title", "plans");
    let t = |k: &str| page.t(k);
    let mut table = monitor::plan_table(&plan, &t);
    let q = q.into_inner();
    let sort = Sort { sort: q.sort, dir: q.dir };
    sort.apply(&mut table);
    let href = |k: &str, d: bool| report_html::sort_href(&format!("/plans/{id}"), &[], k, d);
    let table = report_html::render(
        &table,
        &report_html::Options { sort: &sort, href: &href, empty: &page.t("plans-no-items") },
    );
    let chart = status_chart(&page, "plan-status", &lines);
    html(&PlanPage { page, plan, table, chart })
}

#[derive(Template)]
#[template(path = "plans/item.html")]
struct ItemPage<'a> {
    page: PageCtx<'a>,
    item: ItemView,
    /// The refused form of one action (its id is the action's), or an empty one.
    f: Form,
}

/// The fields of each form of the item page, under their own labels (the services name
/// the same fields in their errors).
fn fields_of(form: &str) -> &'static [Field] {
    const ASSIGN: &[Field] = &[
        Field::new("title", "plan-task-title"),
        Field::new("text", "plan-task-text"),
        Field::new("start", "plan-start"),
        Field::new("end", "plan-end"),
        Field::new("executors", "plan-executors"),
    ];
    const REPORT: &[Field] =
        &[Field::new("period", "plan-period-end"), Field::new("text", "plan-report-text")];
    const REVIEW: &[Field] = &[Field::new("comment", "plan-comment")];
    const CONSOLIDATE: &[Field] = &[Field::new("text", "plan-consolidated-text")];
    const SIGN: &[Field] =
        &[Field::aliased("signature", "plan-signature-file", &["cms", "file", "body"])];
    match form {
        "assign" => ASSIGN,
        "report" => REPORT,
        "review" => REVIEW,
        "consolidate" => CONSOLIDATE,
        "sign" => SIGN,
        _ => &[],
    }
}

impl ItemPage<'_> {
    /// The form `id` as shown: the refused one with what was typed and the reasons, or a
    /// fresh one with what the page proposes (the item's dates, the current period).
    fn form(&self, id: &'static str) -> Form {
        if self.f.id == id {
            return self.f.clone();
        }
        let f = Form::new(id);
        match id {
            "assign" => f
                .set("start", self.item.row.start.to_string())
                .set("end", self.item.row.end.to_string()),
            "report" => match self.item.row.period {
                Some(p) => f.set("period", p.to_string()),
                None => f,
            },
            _ => f,
        }
    }

    /// The review form of report `id` (one per report under review).
    fn review_form(&self, report: &serde_json::Value) -> Form {
        let id = self.s(report, "id");
        if self.f.id == "review" && self.f.value("report") == id {
            return self.f.clone();
        }
        Form::new("review").instance(&id)
    }

    fn can(&self, a: &str) -> bool {
        self.item.actions.contains(&a)
    }

    fn act(&self, a: &str) -> String {
        format!("/plans/{}/items/{}/act/{a}", self.item.plan, self.item.row.id)
    }

    fn status(&self, s: &str) -> String {
        self.page.t(&format!("plan-status-{}", s.replace('_', "-")))
    }

    fn s(&self, v: &serde_json::Value, k: &str) -> String {
        match &v[k] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    fn list(&self, v: &serde_json::Value, k: &str) -> String {
        v[k].as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    /// A date the item's JSON holds (`2027-12-31`) as the page writes dates (`31.12.2027`).
    fn day(&self, iso: String) -> String {
        iso.parse::<jiff::civil::Date>().map(|d| self.date(&d)).unwrap_or(iso)
    }

    fn date(&self, d: &jiff::civil::Date) -> String {
        d.strftime("%d.%m.%Y").to_string()
    }

    fn date_iso(&self, d: &jiff::civil::Date) -> String {
        d.to_string()
    }
}

pub(super) async fn item_page(
    app: Data,
    s: SignedIn,
    path: web::Path<(u64, u64)>,
) -> Result<HttpResponse> {
    show_item(&app, &s, path.into_inner(), Form::new("")).await
}

async fn show_item(app: &Data, s: &SignedIn, at: (u64, u64), f: Form) -> Result<HttpResponse> {
    let item = item_view(app, s, at).await?;
    let page = ItemPage { page: PageCtx::new(app, &s.state, "plan-item-title", "plans"), item, f };
    forms::page(&page, &page.f)
}

/// The confirmation each action of the item page ends with.
fn confirmation(action: &str) -> &'static str {
    match action {
        "assign" => "done-plan-task-assigned",
        "report" => "done-plan-report-sent",
        "review" => "done-plan-report-reviewed",
        "consolidate" => "done-plan-consolidated",
        _ => "done-plan-signed",
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActForm {
    title: String,
    text: String,
    start: String,
    end: String,
    executors: String,
    period: String,
    report: u64,
    decision: String,
    comment: String,
}

/// One endpoint for every form of the item page: url-encoded fields, or the signature
/// file (multipart, the CSRF token its first part). A refused form comes back on the item
/// page with what was typed and the reason by the field (the forms pattern, `web::forms`).
pub(super) async fn act_form(
    app: Data,
    s: SignedIn,
    req: actix_web::HttpRequest,
    path: web::Path<(u64, u64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (plan, item, action) = path.into_inner();
    let at = (plan, item);
    s.actor.origin.set_success_status(303);
    let back = format!("/plans/{plan}/items/{item}");
    let (a, actor) = (arc(&app), s.actor.clone());
    let is_multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let (posted, outcome) = if action == "sign" {
        let cms = if is_multipart {
            read_file_field(Multipart::new(req.headers(), payload), "signature").await
        } else {
            Ok(Vec::new())
        };
        let outcome = match cms {
            Ok(cms) if cms.is_empty() => Err(Error::invalid("signature", "field-required")),
            Ok(cms) => blocking(move || service::sign_consolidated(&a, &actor, at, &cms)).await,
            Err(e) => Err(e),
        };
        // A refused signature is about the signature file.
        let outcome = outcome.map_err(|e| {
            if e.field.is_none() && e.code == Code::SignatureRejected {
                e.with_field("signature")
            } else {
                e
            }
        });
        (Form::new("sign"), outcome)
    } else {
        let body = read_form_body(payload).await?;
        let f: ActForm = form(&body)?;
        let id: &'static str = match action.as_str() {
            "assign" => "assign",
            "report" => "report",
            "review" => "review",
            "consolidate" => "consolidate",
            _ => return Err(Error::not_found()),
        };
        let mut posted = Form::posted(id, &body);
        if id == "review" {
            posted = posted.instance(f.report);
        }
        let outcome = blocking(move || match id {
            "assign" => {
                let executors = f
                    .executors
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
                let task =
                    NewTask { title: f.title, text: f.text, start: f.start, end: f.end, executors };
                service::assign_task(&a, &actor, at, task).map(|_| ())
            }
            "report" => {
                let r = NewReport { period: f.period, text: f.text, document: None };
                service::submit_report(&a, &actor, at, r).map(|_| ())
            }
            "review" => {
                service::review(&a, &actor, at, f.report, f.decision == "accept", &f.comment)
            }
            _ => service::post_consolidated(&a, &actor, at, &f.text).map(|_| ()),
        })
        .await;
        (posted, outcome)
    };
    let fields = fields_of(posted.id);
    posted
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            fields,
            |_| done(&back, confirmation(&action)),
            |f| show_item(&app, &s, at, f),
        )
        .await
}

#[derive(Template)]
#[template(path = "plans/dashboard.html")]
struct DashboardPage<'a> {
    page: PageCtx<'a>,
    chart: String,
    table: String,
}

pub(super) async fn dashboard_page(
    app: Data,
    s: SignedIn,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let (a, actor, lang, plan) = (arc(&app), s.actor.clone(), s.state.lang, q.plan);
    let lines = blocking(move || monitor::dashboard(&a, &actor, plan, lang)).await?;
    let page = PageCtx::new(&app, &s.state, "plans-dashboard-title", "plans");
    let chart = status_chart(&page, "dashboard", &lines);
    use crate::report::{Cell, Column, Kind, Table};
    let mut cols = vec![
        Column::new("agency", page.t("plan-col-responsible"), Kind::Text)
            .total_label(page.t("plan-col-total")),
    ];
    for st in super::model::Status::ALL {
        cols.push(
            Column::new(
                st.name(),
                page.t(&format!("plan-status-{}", st.name().replace('_', "-"))),
                Kind::Integer,
            )
            .sum(),
        );
    }
    cols.push(Column::new("overdue_days", page.t("plan-col-overdue"), Kind::Integer).sum());
    cols.push(Column::new("returned_reports", page.t("plan-col-returned"), Kind::Integer).sum());
    let mut table = Table::new(page.t("plans-dashboard-title"), cols);
    for l in &lines {
        let mut row = vec![Cell::text(l.agency.name.clone())];
        for st in super::model::Status::ALL {
            row.push(Cell::Int(*l.counts.get(st.name()).unwrap_or(&0) as i64));
        }
        row.push(Cell::Int(l.overdue_working_days));
        row.push(Cell::Int(l.reports_returned as i64));
        table.push(row);
    }
    let sort = Sort { sort: q.sort, dir: q.dir };
    sort.apply(&mut table);
    let href = |k: &str, d: bool| report_html::sort_href("/plans/dashboard", &[], k, d);
    let table = report_html::render(
        &table,
        &report_html::Options { sort: &sort, href: &href, empty: &page.t("plans-none") },
    );
    html(&DashboardPage { page, chart, table })
}
