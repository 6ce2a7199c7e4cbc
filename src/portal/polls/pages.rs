//! The ballot page: where a refused ballot comes back (the forms pattern, `web::forms`).
//! The panel's ballot form lives on the subject's page (a discussion, a draft act); a
//! ballot the engine refuses — no choice, a missing or rejected signature, the poll closed
//! meanwhile — is shown here again with the choice kept, the reason by the field and a
//! link back to the subject, instead of an error page whose "Back" loses the choice.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::view::PollView;
use crate::app::App;
use crate::error::Result;
use crate::web::forms::{self, Field, Form};
use crate::web::render::PageCtx;
use crate::web::request::SignedIn;

type Data = web::Data<App>;

/// The ballot's fields, under the labels the panel shows.
pub(super) const BALLOT_FIELDS: &[Field] = &[
    Field::new("choice", "poll-your-choice"),
    Field::aliased("signature", "poll-signature-file", &["cms", "body"]),
];

#[derive(Template)]
#[template(path = "polls/ballot.html")]
struct BallotPage<'a> {
    page: PageCtx<'a>,
    poll: PollView,
    /// The subject's page to return to (a local path).
    back: String,
    f: Form,
}

/// The refused ballot `f` on its own page, with its poll as the voter sees it now.
pub(super) async fn refused_ballot(
    app: &Data,
    s: &SignedIn,
    poll: PollView,
    back: String,
    f: Form,
) -> Result<HttpResponse> {
    let page = BallotPage { page: PageCtx::new(app, &s.state, "poll-title", ""), poll, back, f };
    forms::page(&page, &page.f)
}
