//! Renders an [`Error`] for a person or a program: `{code, message, field?, detail?,
//! reference?}` for the API, a page for browsers. Messages are translated and say what to
//! do; internal errors show only a reference id, never their cause.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Serialize;

use super::render::PageCtx;
use super::request::RequestState;
use crate::app::App;
use crate::error::{Code, Error};

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: PageCtx<'a>,
    status: u16,
    code: &'a str,
    message: String,
    field: Option<String>,
    detail: Option<String>,
    reference: Option<String>,
    sign_in: bool,
}

pub fn render(
    app: &App,
    req: &HttpRequest,
    state: &RequestState,
    lang: &'static str,
    error: &Error,
) -> HttpResponse {
    let status =
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reference = (status.is_server_error()).then_some(state.origin.request_id.as_str());
    let text = app.i18n.error_message(lang, error);
    let mut builder = HttpResponse::build(status);
    if error.code == Code::TooManyRequests {
        builder.insert_header(("retry-after", "60"));
    }
    if wants_json(req) {
        return builder.json(Body {
            code: error.code.name(),
            message: text,
            field: error.field.as_deref(),
            detail: error.detail.clone(),
            reference,
        });
    }
    let mut state = state.clone();
    state.lang = lang;
    let page = ErrorPage {
        page: PageCtx::new(app, &state, "error-title", ""),
        status: status.as_u16(),
        code: error.code.name(),
        message: text,
        field: error.field.clone(),
        detail: error.detail.clone(),
        reference: reference.map(str::to_owned),
        sign_in: matches!(error.code, Code::Unauthenticated | Code::SessionExpired),
    };
    match page.render() {
        Ok(body) => builder.content_type(ContentType::html()).body(body),
        Err(_) => builder.content_type(ContentType::plaintext()).body(page.message),
    }
}

fn wants_json(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
        || req.path() == "/healthz"
        || req.path() == "/readyz"
        || req
            .headers()
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("application/json"))
}
