//! The web shell in a real browser (issue 2 item 9): headless Debian Chromium opens the
//! sign-in page in Kazakh, Russian and English, signs in through the form and lands on the
//! dashboard in that language. Screenshots go to `target/screenshots/`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::common::browser::Browser;
use crate::common::{PASSWORD, Server, ftl, wait_for};

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots")
}

#[test]
fn login_page_in_kk_ru_en_then_sign_in_and_land_on_the_dashboard_in_chromium() {
    let server = Server::start();
    server.add_agency("MINJUST");
    for lang in ["kk", "ru", "en"] {
        let login = format!("user.{lang}");
        server.add_user(&login, "MINJUST", &["employee"]);
        // The person's chosen language (kept in their profile) is what they get after sign-in.
        let (status, body) =
            server.signed_in(&login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
    }
    let names =
        ["login-kk", "dashboard-kk", "login-ru", "dashboard-ru", "login-en", "dashboard-en"];
    for name in names {
        let _ = std::fs::remove_file(screenshots().join(format!("{name}.png")));
    }
    let browser = Browser::start();
    let base = server.base_url();

    for lang in ["kk", "ru", "en"] {
        browser.goto(&format!("{base}/login?lang={lang}"));
        assert_eq!(browser.lang(), lang, "<html lang> of the {lang} login page");
        let text = browser.text();
        for key in ["login-title", "field-login", "field-password", "login-submit"] {
            let expected = ftl(lang, key);
            assert!(
                text.contains(&expected),
                "{lang} login page lacks {key} = {expected:?}:\n{text}"
            );
        }
        assert!(browser.title().starts_with(&ftl(lang, "login-title")), "{}", browser.title());
        browser.screenshot(&screenshots(), &format!("login-{lang}"));

        let login = format!("user.{lang}");
        browser.type_into("#login", &login);
        browser.type_into("#password", PASSWORD);
        browser.click("#sign-in");
        wait_for("the dashboard", 20, || (browser.url() == format!("{base}/")).then_some(()));
        assert_eq!(browser.lang(), lang, "dashboard language");
        let text = browser.text();
        let welcome = ftl(lang, "welcome-user").replace("{ $name }", &login);
        assert!(text.contains(&welcome), "{lang} dashboard lacks {welcome:?}:\n{text}");
        assert!(text.contains(&ftl(lang, "nav-directory")), "{lang} navigation:\n{text}");
        browser.screenshot(&screenshots(), &format!("dashboard-{lang}"));

        // Sign out through the form in the header.
        browser.click("form[action=\"/logout\"] button");
        wait_for("the sign-in page after sign-out", 20, || {
            browser.url().contains("/login").then_some(())
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    for name in names {
        let png = screenshots().join(format!("{name}.png"));
        assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 1000), "{}", png.display());
    }
}
