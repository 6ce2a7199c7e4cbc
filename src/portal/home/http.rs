//! The start page and the language switch.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::actor::Who;
use crate::app::App;
use crate::error::{Error, Result};
use crate::portal::directory::model::ProfileEdit;
use crate::portal::directory::service;
use crate::web::pipeline::LangChanged;
use crate::web::render::{PageCtx, html, see_other};
use crate::web::request::{SignedIn, Visitor};
use crate::web::{blocking, cookies, form};

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/", web::get().to(dashboard)).route("/lang", web::post().to(switch_language));
}

#[derive(Template)]
#[template(path = "home/dashboard.html")]
struct Dashboard<'a> {
    page: PageCtx<'a>,
    name: String,
    agency_name: String,
    roles: Vec<String>,
    announcements: Vec<crate::portal::documents::service::ListItem>,
    /// Open surveys the person is asked and has not answered: (id, title, closes).
    surveys: Vec<(u64, String, String)>,
}

async fn dashboard(app: web::Data<App>, v: Visitor) -> Result<HttpResponse> {
    let Who::User(user) = &v.state.who else {
        return Ok(see_other("/login"));
    };
    if user.must_change_password {
        return Ok(see_other("/password"));
    }
    let s = SignedIn { actor: v.actor.clone(), state: v.state.clone() };
    s.actor.origin.set_operation("page.dashboard");
    let app2 = app.clone().into_inner();
    let (id, lang) = (user.id, v.state.lang);
    let actor = s.actor.clone();
    let (name, agency_name, announcements, surveys) = blocking(move || {
        let me = service::account_self(&app2, &actor, id)?;
        // The start page shows announcements; they are part of the page view in the log.
        let announcements =
            crate::portal::documents::service::announcements(&app2, &actor, 5, lang)?;
        // Surveys waiting for the person's answer (I385 §7.8).
        let surveys = crate::portal::surveys::service::to_answer(&app2, &actor)?
            .into_iter()
            .map(|x| (x.survey.id, x.survey.title.get(lang).to_owned(), x.survey.closes_at))
            .collect();
        actor.origin.set_operation("page.dashboard");
        let name = me.0.display_name(lang).to_owned();
        let agency = me.1.map(|a| a.name(lang).to_owned()).unwrap_or_default();
        Ok((name, agency, announcements, surveys))
    })
    .await?;
    let roles = user.roles.iter().map(|r| app.i18n.text(v.state.lang, &r.message_key())).collect();
    html(&Dashboard {
        page: PageCtx::new(&app, &s.state, "dashboard-title", "home"),
        name,
        agency_name,
        roles,
        announcements,
        surveys,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LangForm {
    lang: String,
    next: String,
}

async fn switch_language(
    app: web::Data<App>,
    v: Visitor,
    body: web::Bytes,
) -> Result<HttpResponse> {
    v.actor.origin.set_operation("profile.language");
    let f: LangForm = form(&body)?;
    let lang = crate::i18n::supported(&f.lang)
        .ok_or_else(|| Error::invalid("lang", "invalid-language"))?;
    if let Who::User(user) = &v.state.who {
        let app2 = app.clone().into_inner();
        let (actor, id) = (v.actor.clone(), user.id);
        blocking(move || {
            service::edit_user(
                &app2,
                &actor,
                id,
                ProfileEdit { lang: Some(lang.to_owned()), ..Default::default() },
            )
        })
        .await?;
    }
    let next =
        if f.next.starts_with('/') && !f.next.starts_with("//") { f.next } else { "/".into() };
    let mut res = see_other(&next);
    res.add_cookie(&cookies::lang(lang, v.state.secure)).map_err(Error::internal)?;
    res.extensions_mut().insert(LangChanged(lang));
    Ok(res)
}
