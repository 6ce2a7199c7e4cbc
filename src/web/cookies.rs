//! Cookie names and attributes.
//!
//! Over TLS the session cookie is `__Host-ipgo_session`: Secure, HttpOnly, SameSite=Strict,
//! Path=/, no Domain — the browser then refuses to let any other host or a plain-HTTP page
//! set or read it. Plain HTTP is only ever served on loopback (demo, tests); there the
//! cookie cannot be `Secure`, so it drops the prefix but keeps HttpOnly and SameSite=Strict.

use actix_web::cookie::{Cookie, SameSite};

pub const LANG: &str = "ipgo_lang";
/// Double-submit token protecting the sign-in form before any session exists.
pub const PRE_SESSION: &str = "ipgo_pre";

pub fn session_name(secure: bool) -> &'static str {
    if secure { "__Host-ipgo_session" } else { "ipgo_session" }
}

fn base(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

pub fn session(token: &str, secure: bool) -> Cookie<'static> {
    base(session_name(secure), token.to_owned(), secure)
}

pub fn session_removal(secure: bool) -> Cookie<'static> {
    let mut c = base(session_name(secure), String::new(), secure);
    c.make_removal();
    c
}

pub fn pre_session(token: &str, secure: bool) -> Cookie<'static> {
    base(PRE_SESSION, token.to_owned(), secure)
}

pub fn lang(lang: &str, secure: bool) -> Cookie<'static> {
    let mut c = base(LANG, lang.to_owned(), secure);
    c.set_max_age(actix_web::cookie::time::Duration::days(365));
    c
}
