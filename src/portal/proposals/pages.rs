//! The proposals' pages: the list with search and the form to propose, and a proposal with
//! its support button and the review form. They call the same functions as the API.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::http as api;
use super::model::Status;
use super::service::{ListQuery, NewProposal, ProposalView, Review};
use crate::app::App;
use crate::auth::policy::{Action, Object, ProposalAction, decide};
use crate::error::Result;
use crate::portal::support::Tabs;
use crate::web::form;
use crate::web::forms::{self, Field, Form};
use crate::web::render::{PageCtx, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/proposals", web::get().to(list_page))
        .route("/proposals", web::post().to(propose_form))
        .route("/proposals/{id}", web::get().to(proposal_page))
        .route("/proposals/{id}/support", web::post().to(support_form))
        .route("/proposals/{id}/review", web::post().to(review_form));
}

#[derive(Template)]
#[template(path = "proposals/list.html")]
struct ListPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    query: ListQuery,
    statuses: &'static [Status],
    rows: Vec<ProposalView>,
    may_propose: bool,
    f: Form,
}

/// The fields of the form to propose (I385 §29 ideas of improvement), by their labels.
const PROPOSE_FIELDS: &[Field] = &[
    Field::new("title", "proposals-field-title"),
    Field::new("text", "proposals-field-text"),
    Field::new("justification", "proposals-field-justification"),
];

/// The review form's fields.
const REVIEW_FIELDS: &[Field] = &[
    Field::new("status", "proposals-status"),
    Field::new("version", "proposals-version-field"),
    Field::new("note", "proposals-note"),
];

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    list_view(&app, &s, q.into_inner(), Form::new("propose")).await
}

async fn list_view(app: &Data, s: &SignedIn, query: ListQuery, f: Form) -> Result<HttpResponse> {
    let rows = api::list(app, s, query.clone()).await?;
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let may_propose =
        decide(&s.actor, Action::Proposal(ProposalAction::Propose), Object::Agency(agency));
    let page = ListPage {
        page: PageCtx::new(app, &s.state, "proposals-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "proposals"),
        query,
        statuses: Status::ALL,
        rows,
        may_propose,
        f,
    };
    forms::page(&page, &page.f)
}

async fn propose_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let outcome = api::propose(&app, &s, form::<NewProposal>(&body)?).await;
    Form::posted("propose", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            PROPOSE_FIELDS,
            |id| see_other(&format!("/proposals/{id}")),
            |f| list_view(&app, &s, ListQuery::default(), f),
        )
        .await
}

#[derive(Template)]
#[template(path = "proposals/proposal.html")]
struct ProposalPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    p: ProposalView,
    next: Vec<Status>,
    /// The review form (or, refused, the support button's form).
    f: Form,
}

async fn proposal_page(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    proposal_view(&app, &s, id.into_inner(), None).await
}

async fn proposal_view(app: &Data, s: &SignedIn, id: u64, f: Option<Form>) -> Result<HttpResponse> {
    let p = api::view(app, s, id).await?;
    let next = Status::ALL.iter().copied().filter(|to| p.status.may_become(*to)).collect();
    let f = f.unwrap_or_else(|| Form::new("review").set("version", p.version.clone()));
    let page = ProposalPage {
        page: PageCtx::new(app, &s.state, "proposals-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "proposals"),
        p,
        next,
        f,
    };
    forms::page(&page, &page.f)
}

async fn support_form(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let outcome = api::support(&app, &s, id).await;
    Form::new("support")
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            &[],
            |_| see_other(&format!("/proposals/{id}")),
            |f| proposal_view(&app, &s, id, Some(f)),
        )
        .await
}

async fn review_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    let outcome = api::review(&app, &s, id, form::<Review>(&body)?).await;
    Form::posted("review", &body)
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            REVIEW_FIELDS,
            |_| see_other(&format!("/proposals/{id}")),
            |f| proposal_view(&app, &s, id, Some(f)),
        )
        .await
}
