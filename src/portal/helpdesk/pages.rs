//! The helpdesk's pages: the list (one's own requests, or the support administrator's
//! queue), a new request, a request with its clocks, answers and steps, the dashboard and
//! the routing rules. They call the same functions as the API (`http.rs`).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::admin::{NewRule, Routing, TeamInput, TeamView};
use super::dashboard::{self, Dashboard, DashboardQuery, Period};
use super::http::{self as api, StatusInput, arc};
use super::model::{Category, Status, Urgency};
use super::service::{Assignment, NewMessage, NewTicket};
use super::sla::Clock;
use super::views::{ListFilter, TicketRow, TicketView};
use crate::app::App;
use crate::auth::policy::{Action, HelpdeskAction, Object, decide};
use crate::error::Result;
use crate::portal::support::Tabs;
use crate::report::{Sort, html as report_html};
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/helpdesk", web::get().to(list_page))
        .route("/helpdesk", web::post().to(file_form))
        .route("/helpdesk/new", web::get().to(new_page))
        .route("/helpdesk/tickets/{id}", web::get().to(ticket_page))
        .route("/helpdesk/tickets/{id}/status", web::post().to(status_form))
        .route("/helpdesk/tickets/{id}/messages", web::post().to(reply_form))
        .route("/helpdesk/tickets/{id}/assignment", web::post().to(assign_form))
        .route("/helpdesk/dashboard", web::get().to(dashboard_page))
        .route("/helpdesk/routing", web::get().to(routing_page))
        .route("/helpdesk/rules", web::post().to(rule_form))
        .route("/helpdesk/rules/{id}/delete", web::post().to(rule_delete_form))
        .route("/helpdesk/teams", web::post().to(team_form))
        .route("/helpdesk/teams/{id}", web::post().to(team_save_form));
}

fn tabs(s: &SignedIn, current: &'static str) -> Tabs {
    Tabs::for_actor(&s.actor, current)
}

/// An instant for people: Astana time.
fn local(t: &jiff::Timestamp) -> String {
    crate::clock::local_display(*t)
}

#[derive(Template)]
#[template(path = "helpdesk/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    filter: ListFilter,
    statuses: &'static [Status],
    rows: Vec<TicketRow>,
}

impl ListPage<'_> {
    fn at(&self, t: &jiff::Timestamp) -> String {
        local(t)
    }
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListFilter>) -> Result<HttpResponse> {
    let filter = q.into_inner();
    let (a, actor, lang, f) = (arc(&app), s.actor.clone(), s.state.lang, filter.clone());
    let rows = blocking(move || super::views::list(&a, &actor, &f, lang)).await?;
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "helpdesk-title", "support"),
        tabs: tabs(&s, "helpdesk"),
        filter,
        statuses: Status::ALL,
        rows,
    })
}

#[derive(Template)]
#[template(path = "helpdesk/new.html")]
struct NewPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    on_behalf: bool,
    categories: &'static [Category],
    urgencies: &'static [Urgency],
    f: Form,
}

/// The new request's fields (I617 §33), by their labels.
const NEW_FIELDS: &[Field] = &[
    Field::new("applicant", "helpdesk-applicant-login"),
    Field::new("channel", "helpdesk-channel"),
    Field::new("category", "helpdesk-category"),
    Field::new("urgency", "helpdesk-urgency"),
    Field::new("subject", "helpdesk-subject"),
    Field::new("text", "helpdesk-text"),
];

/// The fields of a request's forms: answer, status, assignment.
const TICKET_FIELDS: &[Field] = &[
    Field::new("text", "helpdesk-text"),
    Field::new("status", "helpdesk-status"),
    Field::new("note", "helpdesk-note"),
    Field::new("assignee", "helpdesk-assignee-login"),
    Field::new("team", "helpdesk-team"),
];

async fn new_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("page.helpdesk_new");
    new_view(&app, &s, Form::new("ticket").set("urgency", "normal")).await
}

async fn new_view(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let on_behalf =
        decide(&s.actor, Action::Helpdesk(HelpdeskAction::FileOnBehalf), Object::Agency(agency));
    let page = NewPage {
        page: PageCtx::new(app, &s.state, "helpdesk-new", "support"),
        tabs: tabs(s, "helpdesk"),
        on_behalf,
        categories: Category::ALL,
        urgencies: Urgency::ALL,
        f,
    };
    forms::page(&page, &page.f)
}

async fn file_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let input: NewTicket = form(&body)?;
    let outcome = api::file(&app, &s, input).await;
    Form::posted("ticket", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            NEW_FIELDS,
            |t| see_other(&format!("/helpdesk/tickets/{}", t.id)),
            |f| new_view(&app, &s, f),
        )
        .await
}

#[derive(Template)]
#[template(path = "helpdesk/ticket.html")]
struct TicketPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    t: TicketView,
    teams: Vec<TeamView>,
    /// The form refused (its id says which of the page's forms), or an empty one.
    f: Form,
}

impl TicketPage<'_> {
    fn clocks(&self) -> [(&'static str, &Clock); 2] {
        [
            ("helpdesk-first-response", &self.t.clocks.first_response),
            ("helpdesk-resolution", &self.t.clocks.resolution),
        ]
    }

    /// Minutes of support hours as `4 h 30 min`.
    fn hours(&self, minutes: &i64) -> String {
        let m = minutes.abs();
        let sign = if *minutes < 0 { "−" } else { "" };
        let (h, rest) = (m / 60, m % 60);
        let (hs, ms) = (self.page.t("helpdesk-h"), self.page.t("helpdesk-min"));
        match (h, rest) {
            (0, r) => format!("{sign}{r} {ms}"),
            (h, 0) => format!("{sign}{h} {hs}"),
            (h, r) => format!("{sign}{h} {hs} {r} {ms}"),
        }
    }

    fn at(&self, t: &jiff::Timestamp) -> String {
        local(t)
    }
}

async fn ticket_page(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    ticket_view(&app, &s, id.into_inner(), Form::new("")).await
}

async fn ticket_view(app: &Data, s: &SignedIn, id: u64, f: Form) -> Result<HttpResponse> {
    let t = api::view(app, s, id).await?;
    let teams = if t.can.assign {
        let routing = api::routing(app, s).await?;
        s.actor.origin.set_operation(&Action::Helpdesk(HelpdeskAction::Read).name());
        routing.teams
    } else {
        Vec::new()
    };
    let page = TicketPage {
        page: PageCtx::new(app, &s.state, "helpdesk-title", "support"),
        tabs: tabs(s, "helpdesk"),
        t,
        teams,
        f,
    };
    forms::page(&page, &page.f)
}

/// A request's form sent: back to the request, or the request again with the form refused.
async fn settle_ticket<T>(
    app: &Data,
    s: &SignedIn,
    id: u64,
    form_id: &'static str,
    body: &[u8],
    outcome: Result<T>,
) -> Result<HttpResponse> {
    Form::posted(form_id, body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            TICKET_FIELDS,
            |_| see_other(&format!("/helpdesk/tickets/{id}")),
            |f| ticket_view(app, s, id, f),
        )
        .await
}

async fn status_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let outcome = api::status(&app, &s, id, form::<StatusInput>(&body)?).await;
    settle_ticket(&app, &s, id, "status", &body, outcome).await
}

async fn reply_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let outcome = api::reply(&app, &s, id, form::<NewMessage>(&body)?).await;
    settle_ticket(&app, &s, id, "answer", &body, outcome).await
}

/// The assignment form sends an empty team when a login is typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AssignForm {
    assignee: String,
    team: String,
    note: String,
}

fn team_of(s: &str) -> Option<u64> {
    s.trim().parse().ok()
}

async fn assign_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let f: AssignForm = form(&body)?;
    let input = Assignment { assignee: f.assignee, team: team_of(&f.team), note: f.note };
    let outcome = api::assign(&app, &s, id, input).await;
    settle_ticket(&app, &s, id, "assign", &body, outcome).await
}

#[derive(Template)]
#[template(path = "helpdesk/dashboard.html")]
struct DashboardPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    d: Dashboard,
    backlog: String,
    met: String,
    table: String,
    xlsx: String,
}

impl DashboardPage<'_> {
    fn weekly(&self) -> bool {
        self.d.period == Period::Week
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DashboardForm {
    from: String,
    to: String,
    period: Period,
    sort: String,
    dir: String,
}

async fn dashboard_page(
    app: Data,
    s: SignedIn,
    q: web::Query<DashboardForm>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let query = DashboardQuery { from: q.from.clone(), to: q.to.clone(), period: q.period };
    let d = api::dashboard(&app, &s, query).await?;
    let lang = s.state.lang;
    let (backlog, met) = dashboard::charts(&app.i18n, lang, &d);
    let mut table = dashboard::periods_table(&app.i18n, lang, &d);
    let sort = Sort { sort: q.sort, dir: q.dir };
    sort.apply(&mut table);
    let period = if d.period == Period::Week { "week" } else { "month" };
    let query = vec![
        ("from".to_owned(), d.from.to_string()),
        ("to".to_owned(), d.to.to_string()),
        ("period".to_owned(), period.to_owned()),
    ];
    let href = |k: &str, desc: bool| report_html::sort_href("/helpdesk/dashboard", &query, k, desc);
    let table =
        report_html::render(&table, &report_html::Options { sort: &sort, href: &href, empty: "" });
    let xlsx =
        format!("/api/v1/helpdesk/dashboard.xlsx?from={}&to={}&period={period}", d.from, d.to);
    html(&DashboardPage {
        page: PageCtx::new(&app, &s.state, "helpdesk-dashboard", "support"),
        tabs: tabs(&s, "dashboard"),
        d,
        backlog,
        met,
        table,
        xlsx,
    })
}

#[derive(Template)]
#[template(path = "helpdesk/routing.html")]
struct RoutingPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    routing: Routing,
    categories: &'static [Category],
    /// The refused form (a rule, a new team, or one team's — its instance the team's id),
    /// or an empty one.
    f: Form,
}

/// The fields of the routing page's forms, under their labels.
const RULE_FIELDS: &[Field] = &[
    Field::new("category", "helpdesk-category"),
    Field::new("agency", "helpdesk-agency-code"),
    Field::new("assignee", "helpdesk-assignee-login"),
    Field::new("team", "helpdesk-team"),
];
const TEAM_FIELDS: &[Field] = &[
    Field::new("name_kk", "helpdesk-team-name-kk"),
    Field::new("name_ru", "helpdesk-team-name-ru"),
    Field::new("name_en", "helpdesk-team-name-en"),
    Field::new("members", "helpdesk-team-members"),
];

impl RoutingPage<'_> {
    fn logins(&self, team: &TeamView) -> String {
        team.members.iter().map(|m| m.login.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The form `id` ("rule", "team") as shown: refused with what was typed, or empty.
    fn form(&self, id: &'static str) -> Form {
        if self.f.id == id { self.f.clone() } else { Form::new(id) }
    }

    /// The form of team `g`: refused with what was typed, or filled with the team as it is.
    fn team_form(&self, g: &TeamView) -> Form {
        if self.f.id == "edit" && self.f.value("team_id") == g.id.to_string() {
            return self.f.clone();
        }
        Form::new("edit")
            .instance(g.id)
            .set("name_kk", g.name_kk.clone())
            .set("name_ru", g.name_ru.clone())
            .set("name_en", g.name_en.clone())
            .set("members", self.logins(g))
    }
}

async fn routing_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    routing_view(&app, &s, Form::new("")).await
}

async fn routing_view(app: &Data, s: &SignedIn, f: Form) -> Result<HttpResponse> {
    let routing = api::routing(app, s).await?;
    let page = RoutingPage {
        page: PageCtx::new(app, &s.state, "helpdesk-routing", "support"),
        tabs: tabs(s, "routing"),
        routing,
        categories: Category::ALL,
        f,
    };
    forms::page(&page, &page.f)
}

/// A routing form sent: back to the routing page, or the page with the form refused.
async fn settle_routing<T>(
    app: &Data,
    s: &SignedIn,
    posted: Form,
    fields: &[Field],
    outcome: Result<T>,
) -> Result<HttpResponse> {
    posted
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            fields,
            |_| see_other("/helpdesk/routing"),
            |f| routing_view(app, s, f),
        )
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RuleForm {
    category: String,
    agency: String,
    assignee: String,
    team: String,
}

async fn rule_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let f: RuleForm = form(&body)?;
    let rule = NewRule {
        category: f.category,
        agency: f.agency,
        assignee: f.assignee,
        team: team_of(&f.team),
    };
    let outcome = api::add_rule(&app, &s, rule).await;
    settle_routing(&app, &s, Form::posted("rule", &body), RULE_FIELDS, outcome).await
}

async fn rule_delete_form(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    api::remove_rule(&app, &s, id.into_inner()).await?;
    Ok(see_other("/helpdesk/routing"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TeamForm {
    name_kk: String,
    name_ru: String,
    name_en: String,
    members: String,
}

impl From<TeamForm> for TeamInput {
    fn from(f: TeamForm) -> TeamInput {
        TeamInput {
            name_kk: f.name_kk,
            name_ru: f.name_ru,
            name_en: f.name_en,
            members: vec![f.members],
        }
    }
}

async fn team_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let outcome = api::save_team(&app, &s, None, form::<TeamForm>(&body)?.into()).await;
    settle_routing(&app, &s, Form::posted("team", &body), TEAM_FIELDS, outcome).await
}

async fn team_save_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let outcome = api::save_team(&app, &s, Some(id), form::<TeamForm>(&body)?.into()).await;
    let posted = Form::posted("edit", &body).instance(id).set("team_id", id.to_string());
    settle_routing(&app, &s, posted, TEAM_FIELDS, outcome).await
}
