//! Routes of the voting engine: `/api/v1/polls/{id}` (the poll as the person sees it), the
//! ballot text to sign, and the ballot itself — JSON `{choice}` for unsigned polls, the CMS
//! as the body with `?choice=` for signed ones (DER or base64, as NCALayer returns it). The
//! pages of the subjects include `polls/panel.html`, whose form posts to `/polls/{id}/ballot`
//! (url-encoded, or multipart with a `.p7s` file) and returns to the subject's page.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{pages, service, view};
use crate::app::App;
use crate::error::{Code, Result};
use crate::web::forms::Form;
use crate::web::render::{json, see_other};
use crate::web::request::SignedIn;
use crate::web::{blocking, form, limits};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/polls/{id}/ballot", web::post().to(ballot_form))
        .route("/api/v1/polls/{id}", web::get().to(api_view))
        .route("/api/v1/polls/{id}/ballot", web::get().to(api_ballot_text))
        .route("/api/v1/polls/{id}/ballot", web::post().to(api_cast));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

async fn poll_view(app: &Data, s: &SignedIn, id: u64) -> Result<view::PollView> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || view::view(&a, &actor, id, lang)).await
}

async fn api_view(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&poll_view(&app, &s, path.into_inner()).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChoiceQuery {
    pub choice: String,
}

async fn api_ballot_text(
    app: Data,
    s: SignedIn,
    path: web::Path<u64>,
    q: web::Query<ChoiceQuery>,
) -> Result<HttpResponse> {
    let (id, choice) = (path.into_inner(), q.into_inner().choice);
    let (a, actor) = (arc(&app), s.actor.clone());
    let text = blocking(move || service::ballot_text(&a, &actor, id, &choice)).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text))
}

/// Casts a ballot from a request body: JSON `{choice}`, or a CMS with `?choice=`.
pub async fn cast_from_body(
    app: &Data,
    s: &SignedIn,
    req: &HttpRequest,
    id: u64,
    body: web::Bytes,
    operation: &'static str,
) -> Result<()> {
    let is_json = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let (choice, cms) = if is_json {
        let q: ChoiceQuery = crate::web::request::json_object(&body)?;
        (q.choice, None)
    } else {
        let q = web::Query::<ChoiceQuery>::from_query(req.query_string())
            .map(|q| q.into_inner().choice)
            .unwrap_or_default();
        (q, Some(body.to_vec()))
    };
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || service::cast(&a, &actor, id, &choice, cms.as_deref(), operation)).await
}

async fn api_cast(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<u64>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    cast_from_body(&app, &s, &req, id, body, "poll.ballot").await?;
    Ok(json(&poll_view(&app, &s, id).await?))
}

/// A local path to return to (never another site).
fn back_to(back: &str, fallback: &str) -> String {
    let local = back.starts_with('/') && !back.starts_with("//") && !back.contains('\\');
    if local { back.to_owned() } else { fallback.to_owned() }
}

/// The ballot form of the poll panel: url-encoded `choice` (and `back`), or multipart with
/// the `signature` file for signed polls (the CSRF token then in the query).
async fn ballot_form(
    app: Data,
    s: SignedIn,
    req: HttpRequest,
    path: web::Path<u64>,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let id = path.into_inner();
    s.actor.origin.set_success_status(303);
    let multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let (fields, cms) = if multipart {
        read_multipart(&app, Multipart::new(req.headers(), payload)).await?
    } else {
        (read_form(payload).await?, None)
    };
    let field = |name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let (choice, back) = (field("choice"), field("back"));
    let (a, actor) = (arc(&app), s.actor.clone());
    let outcome = blocking(move || {
        service::cast(&a, &actor, id, &choice, cms.as_deref(), "poll.ballot")?;
        Ok(service::get(&a, id)?.link)
    })
    .await
    // A signature the engine rejects is about the signature file.
    .map_err(|e| match e.code {
        Code::SignatureRejected if e.field.is_none() => e.with_field("signature"),
        _ => e,
    });
    Form::from_pairs("ballot", fields.clone())
        .settle(
            outcome,
            &app.i18n,
            s.state.lang,
            pages::BALLOT_FIELDS,
            |link| see_other(&format!("{}#poll-{id}", back_to(&back, &link))),
            |f| async {
                let poll = poll_view(&app, &s, id).await?;
                let back = back_to(&back, &poll.link);
                pages::refused_ballot(&app, &s, poll, back, f).await
            },
        )
        .await
}

async fn read_form(payload: web::Payload) -> Result<Vec<(String, String)>> {
    form(&read_body(payload, limits::FORM_BODY).await?)
}

/// A small request body read whole, refused with 413 past `limit` bytes.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>> {
    limits::read_capped(&mut payload, limit, "limit-form-body", limit / 1024).await
}

/// The small fields and the `signature` file of a multipart ballot or signing form.
pub async fn read_multipart(
    app: &Data,
    mp: Multipart,
) -> Result<(Vec<(String, String)>, Option<Vec<u8>>)> {
    let max_parts = app.config.server.max_parts_per_request;
    let mut fields = Vec::new();
    let mut cms = None;
    for (name, value) in
        limits::small_form(mp, max_parts, 1024 * 1024, "limit-signature-file", 1024).await?
    {
        if name == "signature" {
            cms = Some(value);
        } else {
            fields.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    Ok((fields, cms))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_returned_to() {
        for (back, expected) in [
            ("/discussions/3", "/discussions/3"),
            ("//evil.example/x", "/d"),
            ("https://evil.example/", "/d"),
            ("/\\evil.example", "/d"),
            ("", "/d"),
        ] {
            assert_eq!(super::back_to(back, "/d"), expected, "{back}");
        }
    }
}
