//! The rest of the directory sign-in (I617 §20–§21, issue 17 point 6) against a REAL
//! `slapd` (the helpers of `ldap.rs`): a directory reached with StartTLS on `ldap://`; a
//! directory whose server certificate is not issued by the CA in the settings, refused in
//! words (translated) while local accounts sign in as ever; the settings edited by the
//! system administrator on the page — each wrong value refused on its field with what was
//! typed kept, saved settings applying to the next sign-in and synchronisation without a
//! restart, removed ones giving way to the installation's again; and `ipgo directory sync`,
//! which runs one synchronisation now, prints what each directory did and is logged.

use serde_json::Value;

use crate::common::client::Client;
use crate::common::{PASSWORD, Server, ftl};
use crate::ldap::{
    READER_PW, SUFFIX, Slapd, account, directory_env, directory_ldif, openssl, pki, run_of,
};

/// The HTML form of a message (what the page's text holds).
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('\'', "&#39;").replace('<', "&lt;")
}

/// The settings form's fields for a directory on `url` with StartTLS and the CA `ca`.
fn settings<'a>(
    csrf: &'a str,
    agency: &'a str,
    url: &'a str,
    ca: &'a str,
    pw: &'a str,
) -> Vec<(&'a str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("agency", agency.to_owned()),
        ("url", url.to_owned()),
        ("starttls", "true".to_owned()),
        ("ca_file", ca.to_owned()),
        ("bind_dn", format!("cn=reader,{SUFFIX}")),
        ("bind_password_file", pw.to_owned()),
        ("base_dn", format!("ou=people,{SUFFIX}")),
        ("user_filter", "(&(objectClass=inetOrgPerson)(uid={login}))".to_owned()),
        ("sync_filter", "(objectClass=inetOrgPerson)".to_owned()),
        ("login_attr", "uid".to_owned()),
        ("name_ru_attr", "cn".to_owned()),
        ("position_ru_attr", "title".to_owned()),
        ("department_attr", "ou".to_owned()),
        ("email_attr", "mail".to_owned()),
    ]
}

fn post(c: &Client, path: &str, fields: &[(&str, String)]) -> crate::common::client::Resp {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form(path, &fields)
}

/// `fields` with `key` set to `value`.
fn with<'a>(fields: &[(&'a str, String)], key: &str, value: &str) -> Vec<(&'a str, String)> {
    fields.iter().map(|(k, v)| (*k, if *k == key { value.to_owned() } else { v.clone() })).collect()
}

fn directory<'a>(list: &'a Value, agency: &str) -> &'a Value {
    list["directories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["agency"] == agency)
        .unwrap_or_else(|| panic!("no directory {agency} in {list}"))
}

#[test]
fn i617_s20_s21_starttls_a_wrong_ca_the_settings_page_and_the_sync_command() {
    let pki_dir = tempfile::Builder::new().prefix("ipgo-ldap-tls-").tempdir().unwrap();
    let root = pki_dir.path();
    pki(root);
    // A second CA that issued nothing the directory uses.
    openssl(
        root,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "other-ca.key",
            "-out",
            "other-ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=Some Other CA",
        ],
    );
    let other_ca = root.join("other-ca.pem").display().to_string();
    let good_ca = root.join("ca.pem").display().to_string();
    let pw = root.join("reader.pw");
    std::fs::write(&pw, format!("{READER_PW}\n")).unwrap();
    let pw_s = pw.display().to_string();
    let slapd = Slapd::start_with(root, "akm-starttls", "server.pem", &directory_ldif(), true);
    let url = slapd.url();
    assert!(url.starts_with("ldap://"), "{url}");

    let mut builder = Server::builder().controllable_clock();
    for (k, v) in directory_env("AKM", &url, root, &pw) {
        builder = builder.env(&k, &v);
    }
    builder = builder.env("IPGO_DIRECTORY__AGENCIES__AKM__STARTTLS", "true");
    let server = builder.start();
    server.set_clock("2027-02-01T10:00:00+05:00");
    server.add_agency("AKM");
    server.add_agency("MIN");
    server.add_user("sysadm", "AKM", &["system_admin"]);
    server.add_user("clerk", "MIN", &["employee"]);
    let admin = server.signed_in("sysadm");

    // StartTLS: the first sign-in of a directory person makes the account.
    let ivanov = server.client();
    ivanov.login("ivanov", "Ivanov-Dir-1");
    let (_, me) = ivanov.get_json("/api/v1/me");
    assert_eq!(
        (me["agency"]["code"].as_str(), me["name_ru"].as_str()),
        (Some("AKM"), Some("Иванов Иван Иванович"))
    );

    // `ipgo directory sync`: one run now, its figures printed, recorded and logged.
    let out = server.cli(&["directory", "sync"], None);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("AKM: 2 found, 1 created, 0 updated"),
        "the summary of the run: {}",
        out.stdout
    );
    assert_eq!(account(&admin, "petrov")["status"], "active");
    let (status, list) = admin.get_json("/api/v1/directory-sync");
    assert_eq!(status, 200, "{list}");
    let akm = directory(&list, "AKM");
    assert_eq!(
        (akm["transport"].as_str(), akm["source"].as_str()),
        (Some("starttls"), Some("file"))
    );
    assert_eq!(akm["last_run"]["trigger"], "command", "{akm}");
    let entries = server.audit_entries();
    assert!(
        entries.iter().any(|e| e["route"] == "directory sync"
            && e["channel"] == "admin"
            && e["outcome"] == "ok"),
        "the command is in the access log"
    );

    // The settings page: a directory for MIN, as the system administrator types it.
    let csrf = admin.csrf().unwrap();
    let page = admin.get("/admin/directory-sync");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"settings-AKM\"") && page.body.contains("id=\"settings-new\""));
    let min = settings(&csrf, "MIN", &url, &good_ca, &pw_s);
    // Each wrong value comes back on its field, in words, with everything typed kept.
    for (field, value, key) in [
        ("starttls", "", "ldap-settings-plain"),
        ("ca_file", "/nonexistent/ca.pem", "ldap-settings-ca-unreadable"),
        ("user_filter", "(uid=x)", "ldap-settings-user-filter"),
        ("agency", "NOPE", "ldap-settings-agency"),
    ] {
        let res = post(&admin, "/admin/directory-sync/settings", &with(&min, field, value));
        assert_eq!(res.status, 400, "{field}: {}", res.body);
        // (up to a Fluent placeable such as {"{"}login{"}"}, which `ftl` reads unrendered)
        let words = ftl("ru", key);
        let words = words.split('{').next().unwrap();
        assert!(res.body.contains(&html_text(words)), "{field}: the reason in words");
        assert!(res.body.contains("aria-invalid=\"true\""), "{field}");
        assert!(
            res.body.contains(&format!("value=\"ou=people,{SUFFIX}\"")),
            "{field}: typed values kept"
        );
    }
    // Saved with a CA that did not issue the server's certificate: refused in words.
    let res = post(&admin, "/admin/directory-sync/settings", &with(&min, "ca_file", &other_ca));
    assert_eq!(res.status, 303, "{}", res.body);
    let (_, list) = admin.get_json("/api/v1/directory-sync");
    assert_eq!(directory(&list, "MIN")["source"], "page");
    let (status, body) = admin.post_json("/api/v1/directory-sync", &Value::Null);
    assert_eq!(status, 200, "{body}");
    let min_run = run_of(&body["runs"], "MIN");
    assert_eq!(min_run["error_key"], "ldap-error-certificate-untrusted", "{min_run}");
    assert_eq!(min_run["message"], ftl("ru", "ldap-error-certificate-untrusted"));
    assert_eq!(run_of(&body["runs"], "AKM")["error_key"], Value::Null);
    let out = server.cli(&["directory", "sync"], None);
    assert_eq!(out.code, 2, "a directory that could not be synchronised: {out:?}");
    assert!(
        out.stdout.contains(&format!(
            "MIN: not synchronised: {}",
            ftl("en", "ldap-error-certificate-untrusted")
        )),
        "{}",
        out.stdout
    );
    let page = admin.get("/admin/directory-sync");
    assert!(
        page.body.contains(&html_text(&ftl("ru", "ldap-error-certificate-untrusted"))),
        "{} {}",
        page.status,
        page.body
    );

    // AKM's own directory with the wrong CA (set on the page, in place of the file's): its
    // people cannot sign in, told so in words; local accounts sign in as ever.
    let akm_wrong = settings(&csrf, "AKM", &url, &other_ca, &pw_s);
    assert_eq!(post(&admin, "/admin/directory-sync/settings", &akm_wrong).status, 303);
    let (status, e) = server.client().try_login("ivanov", "Ivanov-Dir-1");
    assert_eq!(status, 503, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains(&ftl("ru", "directory-unreachable")),
        "{e}"
    );
    server.client().login("clerk", PASSWORD);
    assert_eq!(account(&admin, "ivanov")["status"], "active", "nothing lost");
    // The page's settings removed: the installation's apply again, at once.
    let res = admin
        .post_form("/admin/directory-sync/settings/remove", &[("csrf", &csrf), ("agency", "AKM")]);
    assert_eq!(res.status, 303, "{}", res.body);
    server.client().login("ivanov", "Ivanov-Dir-1");
    let (_, list) = admin.get_json("/api/v1/directory-sync");
    assert_eq!(directory(&list, "AKM")["source"], "file");

    // Only the system administrator changes settings (403, logged).
    let clerk = server.signed_in("clerk");
    let clerk_csrf = clerk.csrf().unwrap();
    let res = post(
        &clerk,
        "/admin/directory-sync/settings",
        &settings(&clerk_csrf, "MIN", &url, &good_ca, &pw_s),
    );
    assert_eq!(res.status, 403);
    let entries = server.audit_entries();
    assert!(
        entries
            .iter()
            .any(|e| e["operation"] == "ldap.edit" && e["actor"] == "clerk" && e["status"] == 403)
    );
    assert!(
        entries.iter().filter(|e| e["operation"] == "ldap.edit" && e["outcome"] == "ok").count()
            >= 3
    );
}
