//! The one middleware every request passes through, in this order:
//!
//! 1. client address (proxy headers only from configured trusted proxies) and request id;
//! 2. session from the cookie → the acting person, their language;
//! 3. for state-changing methods: Origin/Referer check and CSRF token check;
//! 4. the handler;
//! 5. errors rendered once, translated, as JSON for `/api/` and HTML elsewhere;
//! 6. security headers and `X-Request-Id` (the id of the request's log entry);
//! 7. exactly one access-log entry, unless the service already wrote it inside its own
//!    transaction.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::cookies;
use super::request::RequestState;
use crate::actor::{Channel, Origin, Who};
use crate::app::App;
use crate::audit::Pending;
use crate::auth::session::Lookup;
use crate::error::{Code, Error};

pub async fn pipeline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let app = req.app_data::<web::Data<App>>().expect("App registered").clone().into_inner();
    // From the listener, not from headers a client could send (`X-Forwarded-Proto`).
    let secure = req.conn_data::<super::listener::Transport>().is_some_and(|t| t.secure);
    let client_ip = client_ip(&req, &app);
    let origin = Origin::new(
        Channel::Http,
        client_ip.map(|ip| ip.to_string()).unwrap_or_else(|| "-".into()),
        req.method().as_str(),
        "-".into(),
        truncate(req.path(), 512),
    );
    let state = authenticate(&req, &app, origin.clone(), client_ip, secure);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    req.extensions_mut().insert(state.clone());
    let body_too_slow = pace_body(&mut req, &app);

    let early_error =
        if unsafe_method { check_forgery(&mut req, &app, &state).await.err() } else { None };
    let mut res = match early_error {
        Some(error) => req.error_response(error),
        None => next.call(req).await?.map_into_boxed_body(),
    };

    let our_error = res.response().error().and_then(|e| e.as_error::<Error>()).map(clone_error);
    // A body cut off for its pace: whatever the handler made of the broken body, say why.
    let our_error = match body_too_slow.load(Ordering::Acquire) {
        true => Some(Error::new(Code::RequestTimeout).with_detail_key("body-too-slow")),
        false => our_error,
    };
    let status = res.status();
    let framework = || framework_error(status, res.response().error(), res.request().headers());
    if let Some(error) = our_error.or_else(framework) {
        if error.code == Code::Internal {
            tracing::error!(request_id = %state.origin.request_id, cause = ?error.cause, "internal error");
        }
        let lang = current_lang(&res, &state);
        let rendered = super::errors::render(&app, res.request(), &state, lang, &error);
        res = res.into_response(rendered);
    }
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = super::openapi::allowed_methods(res.request().path())
        && let Ok(value) = HeaderValue::from_str(&allow)
    {
        res.headers_mut().insert(header::ALLOW, value);
    }
    add_security_headers(res.headers_mut(), secure);
    // The id of the request's access-log entry, so a person or a support ticket can point
    // at it (and tests can find it).
    if let Ok(id) = HeaderValue::from_str(&state.origin.request_id) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), id);
    }
    let route = res.request().match_pattern().unwrap_or_else(|| "-".into());
    app.metrics.record(
        &route,
        &state.origin.method,
        res.status().as_u16(),
        state.origin.started.elapsed(),
    );
    log_request(&app, &res, &state, unsafe_method).await;
    Ok(res)
}

/// Puts a request body under the minimum pace (`web::limits::Paced`); the flag tells
/// whether it was cut off.
fn pace_body(req: &mut ServiceRequest, app: &App) -> Arc<AtomicBool> {
    let timed_out = Arc::new(AtomicBool::new(false));
    let headers = req.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if has_body {
        let server = &app.config.server;
        let paced = super::limits::Paced::new(
            req.take_payload(),
            Duration::from_secs(server.body_timeout_seconds),
            server.body_min_bytes_per_second,
            timed_out.clone(),
        );
        req.set_payload(actix_web::dev::Payload::Stream { payload: Box::pin(paced) });
    }
    timed_out
}

fn clone_error(e: &Error) -> Error {
    Error {
        code: e.code,
        field: e.field.clone(),
        detail_key: e.detail_key,
        detail: e.detail.clone(),
        args: e.args.clone(),
        cause: e.cause.clone(),
    }
}

/// Errors raised by actix itself (unknown route, body too large, malformed JSON).
fn framework_error(
    status: StatusCode,
    error: Option<&actix_web::Error>,
    headers: &header::HeaderMap,
) -> Option<Error> {
    let error = error?;
    let code = match status.as_u16() {
        404 => Code::NotFound,
        405 => Code::MethodNotAllowed,
        // A JSON or form body over actix's limit: name the limit.
        413 => return Some(super::limits::body_too_large(headers)),
        400..=499 => Code::InvalidInput,
        _ => Code::Internal,
    };
    let mut e = Error::new(code);
    if code == Code::InvalidInput {
        // Deserialisation messages name the field and what was expected; they are safe.
        e = e.with_detail(truncate(&error.to_string(), 300));
    } else if code == Code::Internal {
        e = e.with_cause(error.to_string());
    }
    Some(e)
}

/// The language after the handler ran (it may have just been changed).
fn current_lang(res: &ServiceResponse<BoxBody>, state: &RequestState) -> &'static str {
    res.response().extensions().get::<LangChanged>().map(|l| l.0).unwrap_or(state.lang)
}

/// Set by handlers that change the language, so the response is in the new one.
#[derive(Clone, Copy)]
pub struct LangChanged(pub &'static str);

fn client_ip(req: &ServiceRequest, app: &App) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !app.config.is_trusted_proxy(peer) {
        return Some(peer);
    }
    // Walk X-Forwarded-For from the right; the first address that is not a trusted proxy is
    // the client.
    let forwarded =
        req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut client = peer;
    for part in forwarded.split(',').rev() {
        match part.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !app.config.is_trusted_proxy(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

fn authenticate(
    req: &ServiceRequest,
    app: &Arc<App>,
    origin: Origin,
    client_ip: Option<IpAddr>,
    secure: bool,
) -> RequestState {
    let mut state = RequestState {
        origin,
        who: Who::Anonymous,
        session: None,
        session_problem: None,
        lang: visitor_lang(req, app),
        client_ip,
        secure,
        done: req
            .query_string()
            .split('&')
            .find_map(|kv| kv.strip_prefix("done="))
            .filter(|k| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
            .map(str::to_owned),
    };
    let Some(token) = req.cookie(cookies::session_name(secure)).map(|c| c.value().to_owned())
    else {
        return state;
    };
    match app.sessions.lookup(&token) {
        Lookup::Unknown => state.session_problem = Some(Code::Unauthenticated),
        Lookup::Expired => state.session_problem = Some(Code::SessionExpired),
        Lookup::Valid(view) => {
            let generation = app.directory_generation();
            let identity = match &view.cached_identity {
                Some((g, identity)) if *g == generation => Some(identity.clone()),
                _ => {
                    let must_change = must_change_password(app, view.user_id);
                    match crate::portal::directory::service::identity(
                        app,
                        view.user_id,
                        must_change,
                    ) {
                        Ok(Some(identity)) => {
                            let identity = Arc::new(identity);
                            app.sessions.cache_identity(&view.key, generation, identity.clone());
                            Some(identity)
                        }
                        _ => None,
                    }
                }
            };
            match identity {
                Some(identity) => {
                    state.lang = crate::i18n::supported(&identity.lang).unwrap_or(state.lang);
                    state.who = Who::User((*identity).clone());
                    state.session = Some(view);
                }
                // Disabled or deleted since the session began.
                None => {
                    app.sessions.forget(&[view.key]);
                    state.session_problem = Some(Code::Unauthenticated);
                }
            }
        }
    }
    state
}

fn must_change_password(app: &App, user_id: u64) -> bool {
    app.db
        .read()
        .ok()
        .and_then(|txn| crate::auth::credentials::get(&txn, user_id).ok().flatten())
        .is_some_and(|c| c.must_change)
}

/// Language for a visitor: `?lang=`, then the language cookie, then `Accept-Language`.
fn visitor_lang(req: &ServiceRequest, app: &App) -> &'static str {
    let from_query = req
        .query_string()
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(crate::i18n::supported);
    from_query
        .or_else(|| req.cookie(cookies::LANG).and_then(|c| crate::i18n::supported(c.value())))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::i18n::from_accept_language)
        })
        .or_else(|| crate::i18n::supported(&app.config.ui.default_language))
        .unwrap_or("ru")
}

/// Cross-site request forgery defence for state-changing requests: the Origin (or Referer)
/// must be this portal, and a signed-in request must carry the session's CSRF token in the
/// `X-CSRF-Token` header or, for HTML forms, a `csrf` field.
async fn check_forgery(
    req: &mut ServiceRequest,
    app: &App,
    state: &RequestState,
) -> Result<(), Error> {
    let expected = expected_origin(req, app);
    let claimed =
        req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned).or_else(
            || req.headers().get(header::REFERER).and_then(|v| v.to_str().ok()).map(origin_of_url),
        );
    if let Some(claimed) = claimed
        && !claimed.eq_ignore_ascii_case(&expected)
    {
        state.origin.set_detail(serde_json::json!({"origin": truncate(&claimed, 200)}));
        return Err(Error::new(Code::OriginMismatch));
    }
    let Some(session) = &state.session else {
        // Without a session only sign-in is possible; it checks its own token.
        return Ok(());
    };
    let header_token =
        req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let token = match header_token {
        Some(t) => Some(t),
        None => form_token(req).await,
    };
    match token {
        Some(t) if constant_time_eq(t.as_bytes(), session.csrf.as_bytes()) => Ok(()),
        _ => Err(Error::new(Code::CsrfFailed)),
    }
}

/// Reads the `csrf` field of a form body (bounded) and puts the body back. A multipart
/// upload carries it as its first part (`{% call form::csrf(page) %}` is the first field of
/// every form), so no token ever travels in an address.
async fn form_token(req: &mut ServiceRequest) -> Option<String> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if content_type.starts_with("multipart/form-data") {
        return multipart_token(req, &content_type).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return None;
    }
    let body = req.extract::<web::Bytes>().await.ok()?;
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    req.set_payload(payload.into());
    token
}

/// How far into a multipart body the `csrf` part is looked for.
const MULTIPART_HEAD: usize = 8 * 1024;

/// Reads the start of a multipart body until its first part is complete, takes the token
/// from it when that part is `csrf`, and puts every byte back in front of the rest of the
/// stream (which is not read: uploads stay streamed).
async fn multipart_token(req: &mut ServiceRequest, content_type: &str) -> Option<String> {
    use futures_util::StreamExt;
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())?;
    let mut payload = req.take_payload();
    let mut head = web::BytesMut::new();
    let mut failure = None;
    let token = loop {
        match first_part_token(&head, &boundary) {
            FirstPart::Token(t) => break Some(t),
            FirstPart::Other => break None,
            FirstPart::Incomplete if head.len() < MULTIPART_HEAD => match payload.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    failure = Some(e);
                    break None;
                }
                None => break None,
            },
            FirstPart::Incomplete => break None,
        }
    };
    let front =
        futures_util::stream::iter(std::iter::once(Ok(head.freeze())).chain(failure.map(Err)));
    let stream: actix_http::BoxedPayloadStream = Box::pin(front.chain(payload));
    req.set_payload(actix_web::dev::Payload::from(stream));
    token
}

#[derive(Debug, PartialEq)]
enum FirstPart {
    Token(String),
    /// The first part is complete and is not the token.
    Other,
    Incomplete,
}

/// The value of the first part of a multipart body if that part is the `csrf` field.
fn first_part_token(buf: &[u8], boundary: &str) -> FirstPart {
    let opening = format!("--{boundary}\r\n");
    if buf.len() < opening.len() {
        return FirstPart::Incomplete;
    }
    if !buf.starts_with(opening.as_bytes()) {
        return FirstPart::Other;
    }
    let rest = &buf[opening.len()..];
    let Some(headers_end) = find(rest, b"\r\n\r\n") else { return FirstPart::Incomplete };
    let headers = String::from_utf8_lossy(&rest[..headers_end]).to_ascii_lowercase();
    let is_csrf = headers.lines().any(|l| {
        l.starts_with("content-disposition:")
            && l.contains("name=\"csrf\"")
            && !l.contains("filename")
    });
    if !is_csrf {
        return FirstPart::Other;
    }
    let value = &rest[headers_end + 4..];
    let closing = format!("\r\n--{boundary}");
    match find(value, closing.as_bytes()) {
        Some(end) => std::str::from_utf8(&value[..end])
            .map(|v| FirstPart::Token(v.trim().to_owned()))
            .unwrap_or(FirstPart::Other),
        None => FirstPart::Incomplete,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn expected_origin(req: &ServiceRequest, app: &App) -> String {
    if !app.config.server.public_url.is_empty() {
        return origin_of_url(&app.config.server.public_url);
    }
    let secure = req.conn_data::<super::listener::Transport>().is_some_and(|t| t.secure);
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{}", req.connection_info().host())
}

/// `https://host:port/path?x` → `https://host:port`.
fn origin_of_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

fn add_security_headers(headers: &mut actix_web::http::header::HeaderMap, secure: bool) {
    let set =
        |h: &mut actix_web::http::header::HeaderMap, name: &'static str, value: &'static str| {
            h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' wss://127.0.0.1:13579; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "permissions-policy", "camera=(), microphone=(), geolocation=()");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    if secure {
        set(headers, "strict-transport-security", "max-age=31536000");
    }
}

async fn log_request(
    app: &App,
    res: &ServiceResponse<BoxBody>,
    state: &RequestState,
    unsafe_method: bool,
) {
    let origin = &state.origin;
    if origin.is_logged() {
        return;
    }
    let status = res.status().as_u16();
    if !app.audit.logs_reads() && !unsafe_method && status < 400 {
        return;
    }
    // Only a sign-in changes who acted; otherwise log the request's person without copying.
    let signed_in = res.request().extensions().get::<SignedInAs>().map(|s| s.0.clone());
    let who = signed_in.as_ref().unwrap_or(&state.who);
    let route = res.request().match_pattern().unwrap_or_else(|| "-".into());
    let route = if route.len() <= 200 { route } else { truncate(&route, 200) };
    let operation = origin.operation();
    let operation =
        operation.as_deref().unwrap_or_else(|| default_operation(&route, unsafe_method));
    let outcome = crate::audit::outcome_for(origin, status, None);
    let detail = origin.detail();
    let entry = Pending::of(who, origin, operation, outcome, status, &route, detail.as_ref());
    // Journaled before the answer leaves: an answered read is logged even if the process
    // dies the next moment (the journal is replayed at start).
    app.audit.journal_before_answer(entry).await;
}

/// Recorded by handlers whose request changed who is signed in (sign-in), so the log names
/// the person.
#[derive(Clone)]
pub struct SignedInAs(pub Who);

fn default_operation(route: &str, unsafe_method: bool) -> &'static str {
    if route.starts_with("/static") {
        "static.read"
    } else if route.starts_with("/api/") {
        if unsafe_method { "api.write" } else { "api.read" }
    } else if unsafe_method {
        "page.submit"
    } else {
        "page.view"
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_cut_from_urls() {
        assert_eq!(origin_of_url("https://portal.gov.kz:8443/a/b?c"), "https://portal.gov.kz:8443");
        assert_eq!(origin_of_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn the_token_is_read_from_the_first_part_of_a_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nT\r\n--XyZ--\r\n";
        assert_eq!(first_part_token(body, "XyZ"), FirstPart::Token("tok123".into()));
        for cut in [0, 3, 10, 50, 60] {
            assert_eq!(first_part_token(&body[..cut], "XyZ"), FirstPart::Incomplete, "{cut}");
        }
        let title_first =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nT\r\n--XyZ--";
        assert_eq!(first_part_token(title_first, "XyZ"), FirstPart::Other);
        let file_named_csrf = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"; filename=\"a\"\r\n\r\nx\r\n--XyZ";
        assert_eq!(first_part_token(file_named_csrf, "XyZ"), FirstPart::Other);
        assert_eq!(first_part_token(b"garbage and more", "XyZ"), FirstPart::Other);
    }

    #[test]
    fn truncation_respects_utf8() {
        assert_eq!(truncate("қазақ", 3), "қ…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
