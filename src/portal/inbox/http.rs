//! The in-app inbox, live updates (Server-Sent Events) and the administrator's view of
//! undelivered mail.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::app::App;
use crate::error::{Error, Result};
use crate::notify::{self, ShownItem, store::OutboxMessage};
use crate::web::blocking;
use crate::web::render::{PageCtx, html, json, see_other};
use crate::web::request::{SignedIn, list_limit, whole_number};

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/inbox", web::get().to(inbox_page))
        .route("/inbox/read-all", web::post().to(read_all_form))
        .route("/inbox/{id}", web::post().to(open_item))
        .route("/admin/mail", web::get().to(mail_page))
        .route("/admin/mail/{id}/retry", web::post().to(retry_form))
        .route("/api/v1/inbox", web::get().to(api_inbox))
        .route("/api/v1/inbox/read-all", web::post().to(api_read_all))
        .route("/api/v1/inbox/{id}/read", web::post().to(api_read))
        .route("/api/v1/events", web::get().to(events))
        .route("/api/v1/admin/mail", web::get().to(api_mail))
        .route("/api/v1/admin/mail/{id}/retry", web::post().to(api_retry));
}

fn arc(app: &Data) -> std::sync::Arc<App> {
    app.clone().into_inner()
}

/// Paging of the inbox: items with smaller ids. Kept as text so that the API can refuse a
/// value that is not a whole number while the page reads its own links leniently.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    before: Option<String>,
    limit: Option<String>,
}

/// Items on a page of the inbox.
const PAGE: usize = 50;
/// The API's default, as before it was paged.
const API_DEFAULT: usize = 200;

async fn inbox(
    app: &Data,
    s: &SignedIn,
    before: Option<u64>,
    limit: usize,
) -> Result<(u64, Vec<ShownItem>)> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || notify::inbox(&a, &actor, lang, before, limit)).await
}

async fn api_inbox(app: Data, s: SignedIn, q: web::Query<PageQuery>) -> Result<HttpResponse> {
    let q = q.into_inner();
    let before = whole_number("before", q.before.as_deref())?;
    let limit = list_limit(q.limit.as_deref(), API_DEFAULT)?;
    let (unread, items) = inbox(&app, &s, before, limit).await?;
    Ok(json(&serde_json::json!({"unread": unread, "items": items})))
}

async fn mark(app: &Data, s: &SignedIn, id: u64) -> Result<ShownItem> {
    let (a, actor, lang) = (arc(app), s.actor.clone(), s.state.lang);
    blocking(move || notify::mark_read(&a, &actor, id, lang)).await
}

async fn api_read(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    Ok(json(&mark(&app, &s, path.into_inner()).await?))
}

async fn read_all(app: &Data, s: &SignedIn) -> Result<u64> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || notify::mark_all_read(&a, &actor)).await
}

async fn api_read_all(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let marked = read_all(&app, &s).await?;
    Ok(json(&serde_json::json!({"marked": marked})))
}

async fn read_all_form(app: Data, s: SignedIn) -> Result<HttpResponse> {
    read_all(&app, &s).await?;
    // Said on the page it comes back to (issue 21: a confirmation after every action).
    Ok(crate::web::render::done("/inbox", "done-inbox-read-all"))
}

#[derive(Template)]
#[template(path = "inbox/inbox.html")]
struct InboxPage<'a> {
    page: PageCtx<'a>,
    unread: u64,
    items: Vec<ShownItem>,
    next_before: Option<u64>,
}

async fn inbox_page(app: Data, s: SignedIn, q: web::Query<PageQuery>) -> Result<HttpResponse> {
    let before = q.before.as_deref().and_then(|b| b.trim().parse().ok());
    let (unread, items) = inbox(&app, &s, before, PAGE).await?;
    let next_before = if items.len() == PAGE { items.last().map(|i| i.id) } else { None };
    html(&InboxPage {
        page: PageCtx::new(&app, &s.state, "inbox-title", "inbox"),
        unread,
        items,
        next_before,
    })
}

/// Opening an item marks it read and follows its link.
async fn open_item(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    let item = mark(&app, &s, path.into_inner()).await?;
    let link = if item.link.starts_with('/') && !item.link.starts_with("//") {
        item.link
    } else {
        "/inbox".into()
    };
    Ok(see_other(&link))
}

/// `text/event-stream`: `inbox` events with the unread count, `change` events naming an
/// object that changed; a comment every 25 s keeps proxies from closing the stream. The
/// stream ends when the session does.
async fn events(app: Data, s: SignedIn) -> Result<HttpResponse> {
    s.actor.origin.set_operation("events.subscribe");
    let user = s.actor.user_id().ok_or_else(Error::forbidden)?;
    let key = s.state.session.as_ref().map(|v| v.key).ok_or_else(Error::forbidden)?;
    let lang = s.state.lang;
    let rx = app.notifier.subscribe(user);
    let unread = notify::unread_count(&app, user);
    let first = format!(
        "event: inbox\ndata: {}\n\n",
        serde_json::json!({"kind": "inbox", "topic": "", "unread": unread})
    );
    let app2 = arc(&app);
    let rest = futures_util::stream::unfold((rx, app2), move |(mut rx, app)| async move {
        loop {
            match tokio::time::timeout(Duration::from_secs(25), rx.recv()).await {
                Ok(Ok(ev)) => {
                    let mut data = serde_json::to_value(&ev).unwrap_or_default();
                    // A new notice's subject, in this reader's language.
                    if let Some(id) = ev.item
                        && let Some(subject) = notify::subject_of(&app, user, id, lang)
                    {
                        data["subject"] = subject.into();
                    }
                    let line = format!("event: {}\ndata: {data}\n\n", ev.kind);
                    return Some((Ok::<_, actix_web::Error>(web::Bytes::from(line)), (rx, app)));
                }
                Ok(Err(RecvError::Lagged(_))) => continue,
                Ok(Err(RecvError::Closed)) => return None,
                Err(_) => {
                    if !app.sessions.is_active(&key) {
                        return None;
                    }
                    return Some((Ok(web::Bytes::from_static(b": keep-alive\n\n")), (rx, app)));
                }
            }
        }
    });
    let stream =
        futures_util::stream::once(
            async move { Ok::<_, actix_web::Error>(web::Bytes::from(first)) },
        )
        .chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}

#[derive(Template)]
#[template(path = "inbox/mail.html")]
struct MailPage<'a> {
    page: PageCtx<'a>,
    messages: Vec<OutboxMessage>,
}

async fn outbox(app: &Data, s: &SignedIn) -> Result<Vec<OutboxMessage>> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || notify::outbox_view(&a, &actor)).await
}

async fn mail_page(app: Data, s: SignedIn) -> Result<HttpResponse> {
    let messages = outbox(&app, &s).await?;
    html(&MailPage { page: PageCtx::new(&app, &s.state, "mail-title", "admin"), messages })
}

async fn api_mail(app: Data, s: SignedIn) -> Result<HttpResponse> {
    Ok(json(&serde_json::json!({"messages": outbox(&app, &s).await?})))
}

async fn retry(app: &Data, s: &SignedIn, id: u64) -> Result<()> {
    let (a, actor) = (arc(app), s.actor.clone());
    blocking(move || notify::mail::retry(&a, &actor, id)).await
}

async fn retry_form(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    retry(&app, &s, path.into_inner()).await?;
    Ok(see_other("/admin/mail"))
}

async fn api_retry(app: Data, s: SignedIn, path: web::Path<u64>) -> Result<HttpResponse> {
    retry(&app, &s, path.into_inner()).await?;
    Ok(json(&serde_json::json!({"queued": true})))
}
