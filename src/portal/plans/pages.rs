//! The pages of action plans: the list, a plan with its items and their standing (a
//! sortable report table and a chart), an item with its tasks, reports, consolidated report
//! and the forms of whoever may act, and the monitoring dashboard.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::http::{DashboardQuery, arc, item_view, plan_view};
use super::monitor::{self, AgencyLine, ItemView, PlanSummary, PlanView};
use crate::app::App;
use crate::error::Result;
use crate::report::chart::{self, Bar, Bars, Series};
use crate::report::{Sort, html as report_html};
use crate::web::blocking;
use crate::web::render::{PageCtx, html};
use crate::web::request::SignedIn;

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
}

impl ItemPage<'_> {
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

    fn date(&self, d: &jiff::civil::Date) -> String {
        d.strftime("%d.%m.%Y").to_string()
    }

    fn is_current(&self, d: &jiff::civil::Date) -> bool {
        self.item.row.period == Some(*d)
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
    let item = item_view(&app, &s, path.into_inner()).await?;
    html(&ItemPage { page: PageCtx::new(&app, &s.state, "plan-item-title", "plans"), item })
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
