//! Rendering helpers shared by every page: the layout context (language, signed-in person,
//! CSRF token, navigation) and HTML/JSON responses.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use askama::Template;
use serde::Serialize;

use super::request::RequestState;
use crate::actor::Who;
use crate::app::App;
use crate::auth::roles::Role;
use crate::error::Result;
use crate::i18n::I18n;

/// The signed-in person as the navigation needs them.
pub struct NavUser {
    pub login: String,
    pub agency_code: String,
    pub admin: bool,
    pub hr: bool,
    pub support: bool,
    pub auditor: bool,
    pub head: bool,
    /// Takes part in headcount monitoring (HR officer, head, civil-service verifier).
    pub headcount: bool,
    pub must_change: bool,
    /// Unread notices in the inbox.
    pub unread: u64,
}

/// What the layout (`base.html`) needs on every page.
pub struct PageCtx<'a> {
    i18n: &'a I18n,
    pub lang: &'static str,
    pub user: Option<NavUser>,
    pub csrf: String,
    /// The current path, for language links that come back here.
    pub path: String,
    pub title: String,
    pub nav: &'static str,
    /// What the search box of the layout shows (the query on the results page).
    pub search: String,
    /// Planned maintenance announced to every participant (I617 §17).
    pub maintenance: Vec<crate::portal::maintenance::service::Banner>,
    /// The confirmation of what the person just did (after [`done`]), translated.
    pub done: Option<String>,
}

impl<'a> PageCtx<'a> {
    pub fn new(
        app: &'a App,
        state: &RequestState,
        title_key: &str,
        nav: &'static str,
    ) -> PageCtx<'a> {
        let user = match &state.who {
            Who::User(u) => Some(NavUser {
                login: u.login.clone(),
                agency_code: u.agency_code.clone(),
                admin: u.roles.contains(Role::SystemAdmin),
                hr: u.roles.contains(Role::HrOfficer),
                support: u.roles.contains(Role::SupportAdmin),
                auditor: u.roles.contains(Role::Auditor),
                head: u.roles.contains(Role::Head),
                headcount: [Role::HrOfficer, Role::Head, Role::CivilServiceVerifier]
                    .iter()
                    .any(|r| u.roles.contains(*r)),
                must_change: u.must_change_password,
                unread: crate::notify::unread_count(app, u.id),
            }),
            _ => None,
        };
        PageCtx {
            i18n: &app.i18n,
            lang: state.lang,
            user,
            csrf: state.session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default(),
            path: state.origin.resource.clone(),
            title: app.i18n.text(state.lang, title_key),
            nav,
            search: String::new(),
            maintenance: crate::portal::maintenance::service::banner(app, state.lang),
            done: state
                .done
                .as_deref()
                .filter(|k| k.starts_with("done-") && app.i18n.has(state.lang, k))
                .map(|k| app.i18n.text(state.lang, k)),
        }
    }

    /// The address of a static asset, by its content-hashed name (`web::assets`).
    pub fn asset(&self, name: &str) -> String {
        crate::web::assets::url(name)
    }

    /// The hidden CSRF field, first in every POST form (see `web::forms`).
    pub fn csrf_field(&self) -> crate::web::forms::Html {
        crate::web::forms::csrf_field(&self.csrf)
    }

    /// Translated text.
    pub fn t(&self, key: &str) -> String {
        self.i18n.text(self.lang, key)
    }

    /// Translated text with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.i18n.text_with(self.lang, key, &[(name, &value.to_string())])
    }

    /// Translated text with two arguments.
    pub fn t2(
        &self,
        key: &str,
        n1: &str,
        v1: impl std::fmt::Display,
        n2: &str,
        v2: impl std::fmt::Display,
    ) -> String {
        self.i18n.text_with(self.lang, key, &[(n1, &v1.to_string()), (n2, &v2.to_string())])
    }

    /// Translated text of the message `prefix` + `suffix` (e.g. `doctype-` + a type code).
    pub fn tk(&self, prefix: &str, suffix: &str) -> String {
        self.t(&format!("{prefix}{suffix}"))
    }

    /// A name given in several languages, in the page's language with the fallback of
    /// [`crate::notify::Names::get`] (Russian, Kazakh, English).
    pub fn pick(&self, kk: &str, ru: &str, en: &str) -> String {
        crate::notify::Names::new(kk, ru, en).get(self.lang).to_owned()
    }

    pub fn role_name(&self, role: &Role) -> String {
        self.t(&role.message_key())
    }

    /// Where a language link leads: the current page in that language.
    pub fn lang_link(&self, lang: &str) -> String {
        let path = self.path.split('?').next().unwrap_or("/");
        format!("{path}?lang={lang}")
    }

    pub fn local_time(&self, stored_utc: &str) -> String {
        crate::clock::parse(stored_utc)
            .map(crate::clock::local_display)
            .unwrap_or_else(|| stored_utc.to_owned())
    }
}

pub fn html<T: Template>(template: &T) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().content_type(ContentType::html()).body(template.render()?))
}

pub fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().json(value)
}

pub fn created<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Created().json(value)
}

/// 303 See Other: after a form post, the browser loads the page with GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("location", location.to_owned())).finish()
}

/// 303 See Other to `location`, which then confirms what was done: `message` is a message
/// id starting with `done-` (e.g. `done-draft-approved`), shown at the top of the page in
/// the person's language. Unknown ids are ignored, so the address cannot inject text.
pub fn done(location: &str, message: &'static str) -> HttpResponse {
    debug_assert!(message.starts_with("done-"));
    let (path, fragment) = location.split_once('#').unwrap_or((location, ""));
    let sep = if path.contains('?') { '&' } else { '?' };
    let fragment = if fragment.is_empty() { String::new() } else { format!("#{fragment}") };
    see_other(&format!("{path}{sep}done={message}{fragment}"))
}

/// The media type of XLSX workbooks (report exports).
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A generated file (a report's CSV or XLSX) offered for download under `name` (ASCII).
pub fn download(bytes: Vec<u8>, mime: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(mime.to_owned())
        .insert_header(("content-disposition", format!("attachment; filename=\"{name}\"")))
        .body(bytes)
}

/// Every template's path and text, for the tests that check all pages' sources at once.
#[cfg(test)]
pub(crate) fn every_template() -> Vec<(std::path::PathBuf, String)> {
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/templates")];
    let mut out = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::every_template;

    /// Every header cell of every page's tables says what it heads (WCAG 2.1 1.3.1, technique
    /// H63): `scope="col"` in a table's head, `scope="row"` at a row's start (`rowgroup` for a
    /// group's heading row), and an action column is named for screen readers even where it shows no text. Sortable heads
    /// (`web/sorting.rs`) and report tables (`report/html.rs`) are written in code and tested
    /// there.
    #[test]
    fn every_table_header_cell_of_the_templates_has_a_scope() {
        let mut cells = 0;
        for (path, text) in every_template() {
            for (i, line) in text.lines().enumerate() {
                for (at, _) in line.match_indices("<th") {
                    let tag = &line[at..];
                    if tag.starts_with("<thead") {
                        continue;
                    }
                    cells += 1;
                    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
                    assert!(
                        ["col", "row", "colgroup", "rowgroup"]
                            .iter()
                            .any(|scope| tag.contains(&format!("scope=\"{scope}\""))),
                        "{}:{}: a header cell without its scope: {tag}>",
                        path.display(),
                        i + 1
                    );
                    assert!(
                        !line[at..].starts_with(&format!("{tag}></th>")),
                        "{}:{}: an empty header cell (name it, visually hidden if need be)",
                        path.display(),
                        i + 1
                    );
                }
            }
        }
        assert!(cells > 50, "only {cells} header cells found: the templates moved?");
    }
}
