//! `/api/v1/usage` (JSON), `.csv` and `.xlsx` (I617 §22): one service call, rendered through
//! the shared reporting layer.

use actix_web::{HttpResponse, web};

use super::service::{self, Row, Usage, UsageQuery};
use crate::app::App;
use crate::error::Result;
use crate::i18n::I18n;
use crate::report::{Cell, Column, Kind, Table};
use crate::web::blocking;
use crate::web::render::{XLSX, download, json};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    super::pages::routes(cfg);
    cfg.route("/api/v1/usage", web::get().to(api_usage))
        .route("/api/v1/usage.csv", web::get().to(api_csv))
        .route("/api/v1/usage.xlsx", web::get().to(api_xlsx));
}

pub(super) async fn usage(app: &Data, s: &SignedIn, q: UsageQuery) -> Result<Usage> {
    let (a, actor) = (app.clone().into_inner(), s.actor.clone());
    blocking(move || service::usage(&a, &actor, &q)).await
}

async fn api_usage(app: Data, s: SignedIn, q: web::Query<UsageQuery>) -> Result<HttpResponse> {
    Ok(json(&usage(&app, &s, q.into_inner()).await?))
}

/// The days of the period as a report table (columns named in the reader's language).
pub fn days_table(i18n: &I18n, lang: &str, u: &Usage) -> Table {
    table(i18n, lang, ("usage-days", "day", "usage-day"), &u.days)
}

/// The weeks of the period (Monday first) as a report table.
pub fn weeks_table(i18n: &I18n, lang: &str, u: &Usage) -> Table {
    table(i18n, lang, ("usage-weeks", "week", "usage-week"), &u.weeks)
}

/// Rows of days or weeks: (title, the first column's key, its heading). Active users are
/// people, so their column has no total (the sum of days is not the period's people).
fn table(
    i18n: &I18n,
    lang: &str,
    (title, key, heading): (&str, &str, &str),
    rows: &[Row],
) -> Table {
    let t = |k: &str| i18n.text(lang, k);
    let mut table = Table::new(
        t(title),
        vec![
            Column::new(key, t(heading), Kind::Date).total_label(t("usage-total")),
            Column::new("active_users", t("usage-active-users"), Kind::Integer),
            Column::new("sign_ins", t("usage-sign-ins"), Kind::Integer).sum(),
            Column::new("documents", t("usage-documents"), Kind::Integer).sum(),
            Column::new("actions", t("usage-actions"), Kind::Integer).sum(),
        ],
    );
    for d in rows {
        table.push(vec![
            Cell::Date(d.start),
            Cell::Int(d.active_users as i64),
            Cell::Int(d.sign_ins as i64),
            Cell::Int(d.documents as i64),
            Cell::Int(d.actions as i64),
        ]);
    }
    table
}

fn file_name(u: &Usage, ext: &str) -> String {
    let who = u.agency.as_deref().unwrap_or("portal");
    let who: String = who.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("usage-{who}-{}-{}.{ext}", u.from, u.to)
}

async fn api_csv(app: Data, s: SignedIn, q: web::Query<UsageQuery>) -> Result<HttpResponse> {
    let u = usage(&app, &s, q.into_inner()).await?;
    let table = days_table(&app.i18n, s.state.lang, &u);
    let bytes = blocking(move || crate::report::csv::write(&table)).await?;
    Ok(download(bytes, "text/csv; charset=utf-8", &file_name(&u, "csv")))
}

async fn api_xlsx(app: Data, s: SignedIn, q: web::Query<UsageQuery>) -> Result<HttpResponse> {
    let u = usage(&app, &s, q.into_inner()).await?;
    let table = days_table(&app.i18n, s.state.lang, &u);
    let bytes = blocking(move || crate::report::xlsx::write(&table)).await?;
    Ok(download(bytes, XLSX, &file_name(&u, "xlsx")))
}
