//! What the pipeline learns about a request, and the extractors handlers use to get an
//! authenticated [`Actor`]. A handler cannot reach a service without one of these.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::actor::{Actor, Origin, Who};
use crate::auth::session::SessionView;
use crate::error::{Code, Error};

/// Stored in the request's extensions by the pipeline.
#[derive(Clone)]
pub struct RequestState {
    pub origin: Origin,
    pub who: Who,
    pub session: Option<SessionView>,
    /// Why there is no session although a cookie was sent.
    pub session_problem: Option<Code>,
    pub lang: &'static str,
    pub client_ip: Option<IpAddr>,
    /// True when the connection is TLS (cookies get `__Host-` and `Secure`).
    pub secure: bool,
    /// `?done=<message id>` after a form succeeded: the confirmation the page shows
    /// (see `render::done`).
    pub done: Option<String>,
}

fn state(req: &HttpRequest) -> Result<RequestState, Error> {
    req.extensions()
        .get::<RequestState>()
        .cloned()
        .ok_or_else(|| Error::internal("request state missing"))
}

fn actor_of(req: &HttpRequest, state: &RequestState) -> Actor {
    let mut origin = state.origin.clone();
    // Routing has happened by the time extractors run.
    if let Some(pattern) = req.match_pattern() {
        origin.route = pattern;
    }
    Actor { who: state.who.clone(), origin }
}

/// A signed-in person whose password need not be changed first.
pub struct SignedIn {
    pub actor: Actor,
    pub state: RequestState,
}

/// A signed-in person, even one who must still change a one-time password (for the
/// password-change and sign-out routes only).
pub struct SignedInAny {
    pub actor: Actor,
    pub state: RequestState,
}

/// Anyone, signed in or not.
pub struct Visitor {
    pub actor: Actor,
    pub state: RequestState,
}

fn signed_in(
    req: &HttpRequest,
    allow_pending_change: bool,
) -> Result<(Actor, RequestState), Error> {
    let state = state(req)?;
    let actor = actor_of(req, &state);
    match &state.who {
        Who::User(user) => {
            if user.must_change_password && !allow_pending_change {
                return Err(Error::new(Code::PasswordChangeRequired));
            }
            Ok((actor, state))
        }
        _ => Err(Error::new(state.session_problem.unwrap_or(Code::Unauthenticated))),
    }
}

impl FromRequest for SignedIn {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req, false).map(|(actor, state)| SignedIn { actor, state }))
    }
}

impl FromRequest for SignedInAny {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req, true).map(|(actor, state)| SignedInAny { actor, state }))
    }
}

impl FromRequest for Visitor {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(state(req).map(|state| Visitor { actor: actor_of(req, &state), state }))
    }
}

impl actix_web::ResponseError for Error {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.code.http_status())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A plain body; the pipeline replaces it with a translated JSON or HTML one.
    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::build(self.status_code())
            .content_type("application/json")
            .body(format!("{{\"code\":\"{}\"}}", self.code.name()))
    }
}

/// A JSON body that must be an object: serde reads a struct from an array as well, field by
/// position (`[null, "x"]` as `{"email": null, "phone": "x"}`), which no client means and the
/// API document does not allow (issue 20 point 1).
pub struct JsonObject<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = actix_web::web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move { Ok(JsonObject(object_from_value(body.await?.into_inner())?)) })
    }
}

/// A JSON body read by a handler itself (one that also takes other content types): the
/// same rule as [`JsonObject`] — an object of named fields, never an array read by position.
pub fn json_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::new(Code::InvalidInput).with_detail(e.to_string()))?;
    object_from_value(value)
}

fn object_from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    if !value.is_object() {
        return Err(Error::new(Code::InvalidInput)
            .with_detail("the body is a JSON object of named fields".to_owned()));
    }
    serde_json::from_value(value).map_err(|e| {
        Error::new(Code::InvalidInput).with_detail(format!("Json deserialize error: {e}"))
    })
}

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// [`JsonObject`] for a body that may be left out: no body is `None`, a body that is there
/// must be an object of the right fields. (actix's `Option<Json<T>>` turns a body it cannot
/// read into `None`, so a bad optional field — a revision that guards against concurrent
/// edits — would be dropped instead of refused.)
pub struct OptionalJsonObject<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for OptionalJsonObject<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
        let headers = req.headers();
        let no_body = match headers.get(CONTENT_LENGTH) {
            Some(length) => length.as_bytes() == b"0",
            None => !headers.contains_key(TRANSFER_ENCODING),
        };
        if no_body {
            return Box::pin(async { Ok(OptionalJsonObject(None)) });
        }
        let body = JsonObject::<T>::from_request(req, payload);
        Box::pin(async move { Ok(OptionalJsonObject(Some(body.await?.0))) })
    }
}

impl<T> OptionalJsonObject<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

/// A whole number of an API pager (`before`, `limit`): empty is "not given"; anything else
/// that is not one is refused (the HTML pages, whose links carry these, read them leniently).
pub fn whole_number(field: &str, value: Option<&str>) -> crate::error::Result<Option<u64>> {
    match value.map(str::trim).unwrap_or("") {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| Error::invalid(field, "field-whole-number")),
    }
}

/// The `limit` of an API list: `default` when absent, brought into 1–500 (as the OpenAPI
/// document says), 400 when it is not a whole number.
pub fn list_limit(value: Option<&str>, default: usize) -> crate::error::Result<usize> {
    Ok(whole_number("limit", value)?
        .map_or(default, |l| usize::try_from(l).unwrap_or(usize::MAX))
        .clamp(1, 500))
}
