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
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
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
}

async fn list_page(app: Data, s: SignedIn, q: web::Query<ListQuery>) -> Result<HttpResponse> {
    let query = q.into_inner();
    let rows = api::list(&app, &s, query.clone()).await?;
    let agency = s.actor.user().map(|u| u.agency_id).unwrap_or(0);
    let may_propose =
        decide(&s.actor, Action::Proposal(ProposalAction::Propose), Object::Agency(agency));
    html(&ListPage {
        page: PageCtx::new(&app, &s.state, "proposals-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "proposals"),
        query,
        statuses: Status::ALL,
        rows,
        may_propose,
    })
}

async fn propose_form(app: Data, s: SignedIn, body: web::Bytes) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = api::propose(&app, &s, form::<NewProposal>(&body)?).await?;
    Ok(see_other(&format!("/proposals/{id}")))
}

#[derive(Template)]
#[template(path = "proposals/proposal.html")]
struct ProposalPage<'a> {
    page: PageCtx<'a>,
    tabs: Tabs,
    p: ProposalView,
    next: Vec<Status>,
}

async fn proposal_page(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    let p = api::view(&app, &s, id.into_inner()).await?;
    let next = Status::ALL.iter().copied().filter(|to| p.status.may_become(*to)).collect();
    html(&ProposalPage {
        page: PageCtx::new(&app, &s.state, "proposals-title", "support"),
        tabs: Tabs::for_actor(&s.actor, "proposals"),
        p,
        next,
    })
}

async fn support_form(app: Data, s: SignedIn, id: web::Path<u64>) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    api::support(&app, &s, id).await?;
    Ok(see_other(&format!("/proposals/{id}")))
}

async fn review_form(
    app: Data,
    s: SignedIn,
    id: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    s.actor.origin.set_success_status(303);
    let id = id.into_inner();
    api::review(&app, &s, id, form::<Review>(&body)?).await?;
    Ok(see_other(&format!("/proposals/{id}")))
}
