//! The usage page `/usage` (I617 §22): the period (and, for the support administrator and
//! the auditor, the agency) chosen in a form that keeps what was typed when it is refused
//! (`web::forms`), the period's totals, the trend of active users per day and the workflow
//! actions by area as charts, the day and week tables, CSV/XLSX of the same figures and an
//! A4 print of the page — all from the one `service::usage` the API answers from, drawn by
//! the shared reporting layer (`report`). Reached from the menu of an agency's officer and
//! as a tab of the support section.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::http::{days_table, usage, weeks_table};
use super::service::{Usage, UsageQuery};
use crate::app::App;
use crate::auth::policy::{Action, Object, UsageAction, decide};
use crate::error::Result;
use crate::i18n::I18n;
use crate::portal::support::Tabs;
use crate::report::chart::{self, Bar, Bars, Series, Trend};
use crate::report::{Sort, html as report_html};
use crate::web::forms::{self, Field, Form};
use crate::web::render::PageCtx;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/usage", web::get().to(usage_page));
}

const FIELDS: &[Field] = &[
    Field::new("from", "usage-from"),
    Field::new("to", "usage-to"),
    Field::new("agency", "usage-agency"),
];

/// An agency the portal-wide viewer may choose.
struct Choice {
    code: String,
    name: String,
}

/// The figures as the page draws them.
struct Figures {
    u: Usage,
    trend: String,
    areas: String,
    days: String,
    weeks: String,
    csv: String,
    xlsx: String,
}

#[derive(Template)]
#[template(path = "usage/page.html")]
struct UsagePage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    f: Form,
    /// Empty for an agency's officer, who sees their own agency only.
    agencies: Vec<Choice>,
    /// The agency shown, in the page's language (`None`: the whole portal).
    shown: Option<String>,
    /// `None` when the form was refused.
    figures: Option<Figures>,
}

impl UsagePage<'_> {
    fn action_total(&self) -> u64 {
        self.figures.as_ref().map(|x| x.u.actions.values().sum()).unwrap_or(0)
    }

    fn selected(&self, code: &str) -> bool {
        self.f.value("agency").eq_ignore_ascii_case(code)
    }
}

/// The trend of active users per day and the workflow actions by area, as SVG charts of
/// the reporting layer.
pub fn charts(i18n: &I18n, lang: &str, u: &Usage) -> (String, String) {
    let t = |k: &str| i18n.text(lang, k);
    let trend = chart::trend(&Trend {
        id: "usage-trend".into(),
        title: t("usage-trend-title"),
        periods: u.days.iter().map(|d| d.start.strftime("%d.%m").to_string()).collect(),
        series: vec![(
            Series::new(t("usage-active-users"), chart::PALETTE[0]),
            u.days.iter().map(|d| Some(d.active_users as f64)).collect(),
        )],
    });
    // The access log's names of the areas (`audit-area-…`), so both pages say the same.
    let area =
        |a: &str| t(&format!("audit-area-{}", if a == "account_request" { "account" } else { a }));
    let mut by_area: Vec<(&String, &u64)> = u.actions.iter().collect();
    by_area.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let areas = chart::bars(&Bars {
        id: "usage-areas".into(),
        title: t("usage-areas-title"),
        series: vec![Series::new(t("usage-actions"), chart::PALETTE[0])],
        bars: by_area
            .into_iter()
            .map(|(a, n)| Bar { label: area(a), values: vec![*n as f64], href: None })
            .collect(),
        shares: true,
    });
    (trend, areas)
}

fn figures(app: &App, lang: &str, u: Usage, sort: &Sort, agency: &str) -> Figures {
    let (trend, areas) = charts(&app.i18n, lang, &u);
    let mut query =
        vec![("from".to_owned(), u.from.to_string()), ("to".to_owned(), u.to.to_string())];
    if !agency.is_empty() {
        query.push(("agency".to_owned(), agency.to_owned()));
    }
    let q = serde_urlencoded::to_string(&query).unwrap_or_default();
    let href = |k: &str, desc: bool| report_html::sort_href("/usage", &query, k, desc);
    let empty = app.i18n.text(lang, "usage-none");
    let options = report_html::Options { sort, href: &href, empty: &empty };
    let mut days = days_table(&app.i18n, lang, &u);
    let mut weeks = weeks_table(&app.i18n, lang, &u);
    sort.apply(&mut days);
    sort.apply(&mut weeks);
    let (days, weeks) =
        (report_html::render(&days, &options), report_html::render(&weeks, &options));
    Figures {
        u,
        trend,
        areas,
        days,
        weeks,
        csv: format!("/api/v1/usage.csv?{q}"),
        xlsx: format!("/api/v1/usage.xlsx?{q}"),
    }
}

async fn usage_page(
    app: Data,
    s: SignedIn,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse> {
    let pairs = q.into_inner();
    let get =
        |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let sort = Sort { sort: get("sort"), dir: get("dir") };
    let query = UsageQuery { agency: get("agency"), from: get("from"), to: get("to") };
    let lang = s.state.lang;
    let form_pairs =
        pairs.iter().filter(|(k, _)| matches!(k.as_str(), "from" | "to" | "agency")).cloned();
    let f = Form::from_pairs("usage", form_pairs.collect());
    let portal_wide = decide(&s.actor, Action::Usage(UsageAction::Read), Object::Appliance);
    let (f, figures) = match usage(&app, &s, query.clone()).await {
        Ok(u) => {
            // The period shown, also when the form left it to the default.
            let f = f.set("from", u.from.to_string()).set("to", u.to.to_string());
            let code =
                if portal_wide { u.agency.clone().unwrap_or_default() } else { String::new() };
            (f.set("agency", code.clone()), Some(figures(&app, lang, u, &sort, &code)))
        }
        // A refused period or agency comes back in the form; a refusal of the right is
        // the error page (403, logged by the service's `require`).
        Err(e) => (f.refuse(&app.i18n, lang, e, FIELDS)?, None),
    };
    let a = app.clone().into_inner();
    let by_id =
        crate::web::blocking(move || crate::portal::directory::service::agencies_by_id(&a)).await?;
    let shown = figures
        .as_ref()
        .and_then(|x| x.u.agency.as_deref())
        .and_then(|code| by_id.values().find(|a| a.code == code))
        .map(|a| a.name(lang).to_owned());
    let mut agencies: Vec<Choice> = if portal_wide {
        by_id
            .into_values()
            .map(|a| Choice { name: a.name(lang).to_owned(), code: a.code })
            .collect()
    } else {
        Vec::new()
    };
    agencies.sort_by(|a, b| a.code.cmp(&b.code));
    let page = UsagePage {
        page: PageCtx::new(&app, &s.state, "usage-title", "usage"),
        tabs: Tabs::for_actor(&s.actor, "usage"),
        f,
        agencies,
        shown,
        figures,
    };
    forms::page(&page, &page.f)
}
