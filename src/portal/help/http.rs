//! `/help` (the list of guides), `/help/{guide}` (a guide, `?in=kk|ru|en` for another of its
//! languages) and `/help/topics/{topic}` (where a page's "how do I…" link leads).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::model::{Guide, Heading, Topic};
use super::service;
use crate::app::App;
use crate::error::{Error, Result};
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/help", web::get().to(index))
        .route("/help/topics/{topic}", web::get().to(topic))
        .route("/help/{guide}", web::get().to(guide_page));
}

/// A guide in the list: address, title and the languages it is written in.
struct Entry {
    href: String,
    title_key: &'static str,
    langs: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "help/index.html")]
struct Index<'a> {
    page: PageCtx<'a>,
    guides: Vec<Entry>,
}

async fn index(app: Data, s: SignedIn) -> Result<HttpResponse> {
    // The list reads no guide, but it is a reading of the help all the same.
    service::guide(&s.actor, Guide::User, s.state.lang)?;
    let guides = Guide::ALL
        .iter()
        .map(|g| Entry {
            href: format!("/help/{}", g.slug()),
            title_key: g.title_key(),
            langs: g.languages(),
        })
        .collect();
    html(&Index { page: PageCtx::new(&app, &s.state, "help-title", "help"), guides })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GuideQuery {
    #[serde(rename = "in")]
    lang: String,
}

#[derive(Template)]
#[template(path = "help/guide.html")]
struct GuidePage<'a> {
    page: PageCtx<'a>,
    slug: &'static str,
    /// The language the text is written in.
    text_lang: &'static str,
    /// The guide's other languages, to switch to.
    others: Vec<&'static str>,
    /// A table of contents when the guide has none of its own.
    contents: Vec<Heading>,
    body: String,
}

async fn guide_page(
    app: Data,
    s: SignedIn,
    path: web::Path<String>,
    query: web::Query<GuideQuery>,
) -> Result<HttpResponse> {
    // Named before the guide is looked up, so an unknown one is logged as a help reading.
    s.actor.origin.set_operation("help.read");
    let guide = Guide::from_slug(&path).ok_or_else(Error::not_found)?;
    let asked = crate::i18n::supported(&query.lang).unwrap_or(s.state.lang);
    let view = service::guide(&s.actor, guide, asked)?;
    let others = guide.languages().into_iter().filter(|l| *l != view.lang).collect();
    let own_contents = view.rendered.html.contains("href=\"#");
    let contents = if own_contents {
        Vec::new()
    } else {
        view.rendered.headings.iter().filter(|h| h.level == 3).cloned().collect()
    };
    let mut page = PageCtx::new(&app, &s.state, guide.title_key(), "help");
    if !view.rendered.title.is_empty() {
        page.title = view.rendered.title.clone();
    }
    html(&GuidePage {
        page,
        slug: guide.slug(),
        text_lang: view.lang,
        others,
        contents,
        body: view.rendered.html.clone(),
    })
}

async fn topic(s: SignedIn, path: web::Path<String>) -> Result<HttpResponse> {
    s.actor.origin.set_operation("help.read");
    let topic = Topic::from_slug(&path).ok_or_else(Error::not_found)?;
    Ok(see_other(&service::topic_href(&s.actor, topic, s.state.lang)?))
}
