//! Routes of the working-day calendar: the `/calendar` page (everyone reads it; the
//! system administrator also edits it there) and `/api/v1/calendar/...`.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::service::{self, WorkingDays, YearView};
use crate::app::App;
use crate::auth::policy::{Action, CalendarAction, Object, decide};
use crate::error::{Error, Result};
use crate::report::{Cell, Column, Kind, Sort, Table, html as report_html};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, XLSX, download, json, see_other};
use crate::web::request::JsonObject;
use crate::web::request::SignedIn;
use crate::web::{blocking, form, limits};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/calendar", web::get().to(page))
        .route("/calendar/entries", web::post().to(set_form))
        .route("/calendar/entries/{date}/delete", web::post().to(remove_form))
        .route("/calendar/import", web::post().to(import_form))
        .route("/api/v1/calendar", web::get().to(api_year))
        .route("/api/v1/calendar/working-days", web::get().to(api_working_days))
        .route("/api/v1/calendar/months", web::get().to(api_months))
        .route("/api/v1/calendar/months.csv", web::get().to(api_months_csv))
        .route("/api/v1/calendar/months.xlsx", web::get().to(api_months_xlsx))
        .route("/api/v1/calendar/entries.csv", web::get().to(api_export))
        .route("/api/v1/calendar/entries/{date}", web::put().to(api_set))
        .route("/api/v1/calendar/entries/{date}", web::delete().to(api_remove))
        .route("/api/v1/calendar/import", web::post().to(api_import));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearQuery {
    year: Option<i16>,
    sort: String,
    dir: String,
}

fn this_year() -> i16 {
    crate::calendar::today().year()
}

async fn year(app: &Data, s: &SignedIn, y: i16) -> Result<YearView> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::year(&a, &actor, y)).await
}

async fn api_year(app: Data, s: SignedIn, q: web::Query<YearQuery>) -> Result<HttpResponse> {
    Ok(json(&year(&app, &s, q.year.unwrap_or_else(this_year)).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RangeQuery {
    from: String,
    to: String,
}

async fn api_working_days(
    app: Data,
    s: SignedIn,
    q: web::Query<RangeQuery>,
) -> Result<HttpResponse> {
    let (a, actor, q) = (arc(&app), s.actor.clone(), q.into_inner());
    let out: WorkingDays =
        blocking(move || service::working_days(&a, &actor, &q.from, &q.to)).await?;
    Ok(json(&out))
}

async fn api_export(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let text = blocking(move || service::export(&a, &actor)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"calendar-entries.csv\""))
        .body(text))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntryInput {
    date: String,
    kind: String,
    note: String,
}

async fn set(app: &Data, s: &SignedIn, e: EntryInput) -> Result<crate::calendar::store::Stored> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::set(&a, &actor, &e.date, &e.kind, &e.note)).await
}

async fn api_set(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    body: JsonObject<EntryInput>,
) -> Result<HttpResponse> {
    let mut e = body.into_inner();
    e.date = path.into_inner();
    Ok(json(&set(&app, &s, e).await?))
}

async fn remove(app: &Data, s: &SignedIn, date: String) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::remove(&a, &actor, &date)).await
}

async fn api_remove(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(204);
    remove(&app, &s, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn import(app: &Data, s: &SignedIn, bytes: Vec<u8>) -> Result<usize> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::import(&a, &actor, &bytes)).await
}

async fn read_limited(mut payload: web::Payload) -> Result<Vec<u8>> {
    let cap = service::MAX_IMPORT_BYTES;
    let body = limits::read_capped(&mut payload, cap, "calendar-csv-too-large", cap >> 20).await;
    body.map_err(|e| e.with_field("file"))
}

async fn api_import(app: Data, s: SignedIn, payload: web::Payload) -> Result<HttpResponse> {
    let bytes = read_limited(payload).await?;
    let n = import(&app, &s, bytes).await?;
    Ok(json(&serde_json::json!({"imported": n})))
}

async fn months(app: &Data, s: &SignedIn, y: i16) -> Result<Vec<service::MonthRow>> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::months(&a, &actor, y)).await
}

async fn api_months(app: Data, s: SignedIn, q: web::Query<YearQuery>) -> Result<HttpResponse> {
    let y = q.year.unwrap_or_else(this_year);
    Ok(json(&serde_json::json!({"year": y, "months": months(&app, &s, y).await?})))
}

/// The months of a year as a report (headings in the reader's language).
fn months_table(
    i18n: &crate::i18n::I18n,
    lang: &str,
    year: i16,
    rows: &[service::MonthRow],
) -> Table {
    let t = |k: &str| i18n.text(lang, k);
    let mut table = Table::new(
        i18n.text_with(lang, "calendar-months-table", &[("year", &year.to_string())]),
        vec![
            Column::new("month", t("calendar-month"), Kind::Text)
                .total_label(t("calendar-year-total")),
            Column::new("calendar_days", t("calendar-calendar-days"), Kind::Integer).sum(),
            Column::new("working_days", t("calendar-working-days"), Kind::Integer).sum(),
            Column::new("days_off", t("calendar-days-off"), Kind::Integer).sum(),
            Column::new("working_hours", t("calendar-working-hours"), Kind::Integer).sum(),
        ],
    );
    for m in rows {
        table.push(vec![
            Cell::text(t(&format!("month-{}", m.month))),
            Cell::Int(m.calendar_days),
            Cell::Int(m.working_days),
            Cell::Int(m.days_off),
            Cell::Int(m.working_hours),
        ]);
    }
    table
}

async fn api_months_csv(app: Data, s: SignedIn, q: web::Query<YearQuery>) -> Result<HttpResponse> {
    let y = q.year.unwrap_or_else(this_year);
    let rows = months(&app, &s, y).await?;
    let bytes = crate::report::csv::write(&months_table(&app.i18n, s.state.lang, y, &rows))?;
    Ok(download(bytes, "text/csv; charset=utf-8", &format!("calendar-{y}.csv")))
}

async fn api_months_xlsx(app: Data, s: SignedIn, q: web::Query<YearQuery>) -> Result<HttpResponse> {
    let y = q.year.unwrap_or_else(this_year);
    let rows = months(&app, &s, y).await?;
    let table = months_table(&app.i18n, s.state.lang, y, &rows);
    let bytes = blocking(move || crate::report::xlsx::write(&table)).await?;
    Ok(download(bytes, XLSX, &format!("calendar-{y}.xlsx")))
}

// ---------------------------------------------------------------------------------------
// Page

#[derive(Template)]
#[template(path = "calendar/page.html")]
struct Page<'a> {
    page: PageCtx<'a>,
    view: YearView,
    table: String,
    months: String,
    chart: String,
    manage: bool,
    /// The entry or import form (refused, or empty).
    f: Form,
}

/// The fields of the calendar's forms (I385 §59: a refusal names the field by its label).
const FIELDS: &[Field] = &[
    Field::new("date", "calendar-date"),
    Field::new("kind", "calendar-kind"),
    Field::new("note", "calendar-note"),
    Field::new("file", "calendar-import-file"),
];

impl Page<'_> {
    fn entry_kind(&self, kind: &crate::calendar::EntryKind) -> String {
        self.page.t(&format!("calendar-entry-{}", kind.name().replace('_', "-")))
    }

    fn weekday(&self, d: &jiff::civil::Date) -> String {
        self.page.t(&format!("weekday-{}", d.weekday().to_monday_one_offset()))
    }
}

fn days_table(p: &PageCtx, view: &YearView, sort: &Sort) -> String {
    let mut t = Table::new(
        p.t1("calendar-special-days", "year", view.year),
        vec![
            Column::new("date", p.t("calendar-date"), Kind::Date),
            Column::new("weekday", p.t("calendar-weekday"), Kind::Text),
            Column::new("kind", p.t("calendar-kind"), Kind::Text),
            Column::new("what", p.t("calendar-what"), Kind::Text),
            Column::new("source", p.t("calendar-source"), Kind::Text),
        ],
    );
    for d in &view.days {
        let what = match (d.holiday, d.moved_from) {
            (Some(h), Some(from)) => {
                format!(
                    "{} ({})",
                    p.t(&h.message_key()),
                    p.t1("calendar-moved-from", "date", from.strftime("%d.%m.%Y"))
                )
            }
            (Some(h), None) => p.t(&h.message_key()),
            (None, Some(from)) => p.t1("calendar-transfer-from", "date", from.strftime("%d.%m.%Y")),
            (None, None) => d.note.clone(),
        };
        t.push(vec![
            Cell::Date(d.date),
            Cell::text(p.t(&format!("weekday-{}", d.date.weekday().to_monday_one_offset()))),
            Cell::text(p.t(&format!("calendar-kind-{}", d.kind.name().replace('_', "-")))),
            Cell::text(what),
            Cell::text(p.t(&format!("calendar-source-{}", d.source.name()))),
        ]);
    }
    sort.apply(&mut t);
    let year = view.year;
    let href = |k: &str, d: bool| {
        report_html::sort_href("/calendar", &[("year".into(), year.to_string())], k, d)
    };
    report_html::render(
        &t,
        &report_html::Options { sort, href: &href, empty: &p.t("calendar-no-special-days") },
    )
}

async fn page(app: Data, s: SignedIn, q: web::Query<YearQuery>) -> Result<HttpResponse> {
    show(&app, &s, q.into_inner(), Form::new("entry")).await
}

async fn show(app: &Data, s: &SignedIn, q: YearQuery, f: Form) -> Result<HttpResponse> {
    let view = year(app, s, q.year.unwrap_or_else(this_year)).await?;
    if !f.is_refused() {
        s.actor.origin.set_operation("calendar.read");
    }
    let manage = decide(&s.actor, Action::Calendar(CalendarAction::Manage), Object::Appliance);
    let rows = months(app, s, view.year).await?;
    let page = PageCtx::new(app, &s.state, "calendar-title", "calendar");
    let sort = Sort { sort: q.sort, dir: q.dir };
    let table = days_table(&page, &view, &sort);
    let mut months_report = months_table(&app.i18n, page.lang, view.year, &rows);
    sort.apply(&mut months_report);
    let y = view.year;
    let href = |k: &str, d: bool| {
        report_html::sort_href("/calendar", &[("year".into(), y.to_string())], k, d)
    };
    let months = report_html::render(
        &months_report,
        &report_html::Options { sort: &sort, href: &href, empty: "" },
    );
    let chart = crate::report::chart::bars(&crate::report::chart::Bars {
        id: "months".into(),
        title: page.t1("calendar-months-chart", "year", y),
        series: vec![crate::report::chart::Series::new(
            page.t("calendar-working-days"),
            crate::report::chart::PALETTE[0],
        )],
        bars: rows
            .iter()
            .map(|m| crate::report::chart::Bar {
                label: page.t(&format!("month-{}", m.month)),
                values: vec![m.working_days as f64],
                href: None,
            })
            .collect(),
        shares: false,
    });
    let f = if f.value("date").is_empty() && !f.is_refused() {
        f.set("date", crate::calendar::today().to_string())
    } else {
        f
    };
    let page = Page { page, view, table, months, chart, manage, f };
    forms::page(&page, &page.f)
}

/// The calendar again, of the year a refused form was about (this year when unknown).
fn year_query(date: &str) -> YearQuery {
    YearQuery { year: date.get(..4).and_then(|y| y.parse().ok()), ..YearQuery::default() }
}

async fn set_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let e: EntryInput = form(&body)?;
    let year = e.date.get(..4).unwrap_or("").to_owned();
    let outcome = set(&app, &s, e).await;
    settle_year(&app, &s, &year, Form::posted("entry", &body), outcome).await
}

/// An entry's form sent: the calendar of its year, with the form refused when it was.
async fn settle_year<T>(
    app: &Data,
    s: &SignedIn,
    year: &str,
    f: Form,
    outcome: Result<T>,
) -> Result<HttpResponse> {
    let (i18n, lang) = (&app.i18n, s.state.lang);
    let accepted = |_| see_other(&format!("/calendar?year={year}"));
    f.settle(outcome, i18n, lang, FIELDS, accepted, |f| show(app, s, year_query(year), f)).await
}

async fn remove_form(app: Data, s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let date = path.into_inner();
    let year = date.get(..4).unwrap_or("").to_owned();
    let outcome = remove(&app, &s, date).await;
    settle_year(&app, &s, &year, Form::new("remove"), outcome).await
}

/// The CSV file of the import form (multipart; the CSRF token is its first part).
async fn import_form(app: Data, s: SignedIn, mp: Multipart) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let max_parts = app.config.server.max_parts_per_request;
    let cap = service::MAX_IMPORT_BYTES;
    let parts = limits::small_form(mp, max_parts, cap, "calendar-csv-too-large", cap >> 20);
    let bytes = parts.await?.into_iter().find(|(name, _)| name == "file").map(|(_, b)| b);
    let outcome = match bytes.filter(|b| !b.is_empty()) {
        Some(bytes) => import(&app, &s, bytes).await,
        None => Err(Error::invalid("file", "field-required")),
    };
    Form::new("import")
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            FIELDS,
            |_| see_other("/calendar"),
            |f| show(&app, &s, YearQuery::default(), f),
        )
        .await
}
