//! The pages of the reminders: the controller's list (filters, overdue and due-soon rows
//! highlighted, XLSX and CSV of the same list), one instruction with its history, and the
//! administrator's import log with each source's schedule.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::http::{arc, list};
use super::model::{Source, Urgency};
use super::service::{self, Administration, Detail, Filter, View};
use crate::app::App;
use crate::error::Result;
use crate::web::blocking;
use crate::web::render::{PageCtx, html};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

fn date(d: &jiff::civil::Date) -> String {
    d.strftime("%d.%m.%Y").to_string()
}

#[derive(Template)]
#[template(path = "reminders/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    items: Vec<View>,
    filter: Filter,
    query: String,
    overdue: usize,
    due_soon: usize,
}

impl ListPage<'_> {
    fn date(&self, d: &jiff::civil::Date) -> String {
        date(d)
    }

    fn row_class(&self, v: &View) -> &'static str {
        match v.urgency {
            Urgency::Overdue => "overdue",
            Urgency::DueSoon => "due-soon",
            Urgency::OnTime => "",
        }
    }

    fn sources(&self) -> Vec<(&'static str, String)> {
        Source::ALL.iter().map(|s| (s.name(), self.page.t(s.message_key()))).collect()
    }

    fn overdue_is(&self, v: &str) -> bool {
        match v {
            "yes" => self.filter.overdue == Some(true),
            "no" => self.filter.overdue == Some(false),
            _ => self.filter.overdue.is_none(),
        }
    }
}

pub(super) async fn list_page(
    app: Data,
    s: SignedIn,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse> {
    let filter: Filter = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let items = list(&app, &s, filter.clone()).await?;
    let overdue = items.iter().filter(|v| v.urgency == Urgency::Overdue).count();
    let due_soon = items.iter().filter(|v| v.urgency == Urgency::DueSoon).count();
    let query = req.query_string().to_owned();
    let page = PageCtx::new(&app, &s.state, "reminders-title", "reminders");
    html(&ListPage { page, items, filter, query, overdue, due_soon })
}

#[derive(Template)]
#[template(path = "reminders/instruction.html")]
struct InstructionPage<'a> {
    page: PageCtx<'a>,
    item: Detail,
}

impl InstructionPage<'_> {
    fn date(&self, d: &jiff::civil::Date) -> String {
        date(d)
    }

    fn event(&self, e: &super::store::Event) -> String {
        let name = serde_json::to_value(e)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.page.t(&format!("reminders-event-{name}"))
    }
}

pub(super) async fn instruction_page(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
) -> Result<HttpResponse> {
    let (a, actor, id) = (arc(&app), s.actor.clone(), path.into_inner());
    let item = blocking(move || service::instruction(&a, &actor, id)).await?;
    html(&InstructionPage {
        page: PageCtx::new(&app, &s.state, "reminders-instruction-title", "reminders"),
        item,
    })
}

#[derive(Template)]
#[template(path = "reminders/imports.html")]
struct ImportsPage<'a> {
    page: PageCtx<'a>,
    admin: Administration,
}

impl ImportsPage<'_> {
    fn age(&self, seconds: &Option<i64>) -> String {
        match seconds {
            Some(s) => format!("{}:{:02}", s / 3600, (s % 3600) / 60),
            None => "—".into(),
        }
    }

    fn outcome(&self, o: &super::store::Outcome) -> String {
        let name = serde_json::to_value(o)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.page.t(&format!("reminders-outcome-{name}"))
    }

    fn source(&self, s: &Option<Source>) -> String {
        s.map(|s| self.page.t(s.message_key())).unwrap_or_else(|| "—".into())
    }
}

pub(super) async fn imports_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let (a, actor) = (arc(&app), s.actor.clone());
    let admin = blocking(move || service::administration(&a, &actor)).await?;
    html(&ImportsPage {
        page: PageCtx::new(&app, &s.state, "reminders-imports-title", "reminders"),
        admin,
    })
}
