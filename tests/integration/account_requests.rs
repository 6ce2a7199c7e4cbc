//! Account requests end to end (I617 §20) through the real server on a clock the test
//! controls: an HR officer asks for a newcomer's account, the system administrator approves
//! it, the account is created with a one-time password that the newcomer signs in with and
//! must change; a request for a login that exists is refused with its stable code and a
//! translated message; a refusal tells the reason; a leaver's account is disabled by the
//! server on the date asked and not a day before; every step is told by mail delivered to
//! a real SMTP server; forbidden steps are refused with 403 and logged.

use serde_json::{Value, json};

use crate::common::smtp::Smtp;
use crate::common::{Server, entries_for, ftl, wait_for};

fn id(v: &Value) -> u64 {
    v["id"].as_u64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn newcomer(login: &str) -> Value {
    json!({
        "kind": "newcomer",
        "login": login,
        "name_kk": "Нұрлан Асқарұлы Бекov",
        "name_ru": "Беков Нурлан Аскарович",
        "position_ru": "Главный специалист",
        "email": format!("{login}@ipgo.test"),
        "roles": ["employee", "plan_responsible"],
    })
}

#[test]
fn i617_s20_account_requests_create_accounts_and_disable_leavers_on_their_date() {
    let smtp = Smtp::start();
    let server = Server::builder().controllable_clock().mail_to(smtp.port).start();
    server.set_clock("2027-01-11T10:00:00+05:00");
    server.add_agency("MIN");
    server.add_agency("AKM");
    for (login, agency, role) in [
        ("kadry", "MIN", "hr_officer"),
        ("hr.akm", "AKM", "hr_officer"),
        ("clerk", "MIN", "employee"),
        ("leaver", "MIN", "employee"),
        ("early", "MIN", "employee"),
        ("sysadm", "AKM", "system_admin"),
        ("support", "AKM", "support_admin"),
    ] {
        server.add_user_with_email(login, agency, &[role]);
    }
    let (hr, sysadm, support) =
        (server.signed_in("kadry"), server.signed_in("sysadm"), server.signed_in("support"));

    // The accounts page offers "new account" only to whom may create one: support staff see
    // the accounts but create none (the link led them to a 403; found by crawling the demo).
    let link = "href=\"/admin/users/new\"";
    let page = support.get("/admin/users");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(link), "support is offered a form it may not use");
    assert_eq!(support.get("/admin/users/new").status, 403);
    assert!(sysadm.get("/admin/users").body.contains(link), "the administrator creates accounts");

    // Only an HR officer files, for their own agency.
    let (status, _) =
        server.signed_in("clerk").post_json("/api/v1/account-requests", &newcomer("x.new"));
    assert_eq!(status, 403, "an employee files no account request");

    // A login that exists is refused at once, with its code and the translated message.
    let (status, e) = hr.post_json("/api/v1/account-requests", &newcomer("clerk"));
    assert_eq!(
        (status, e["code"].as_str(), e["field"].as_str()),
        (409, Some("conflict"), Some("login")),
        "{e}"
    );
    assert!(
        e["message"].as_str().unwrap().contains(&ftl("ru", "account-request-login-taken")),
        "{e}"
    );
    let (status, e) =
        hr.post_json("/api/v1/account-requests", &json!({"login": "n.bekov", "name_ru": "Беков"}));
    assert_eq!((status, e["field"].as_str()), (400, Some("name_kk")), "{e}");

    // Filed: the system administrator hears of it; the same login twice is refused.
    let (status, r) = hr.post_json("/api/v1/account-requests", &newcomer("n.bekov"));
    assert_eq!((status, r["status"].as_str()), (201, Some("pending")), "{r}");
    let request = id(&r);
    smtp.wait_for_mail("sysadm@ipgo.test", "n.bekov");
    let (status, e) = hr.post_json("/api/v1/account-requests", &newcomer("n.bekov"));
    assert_eq!((status, e["field"].as_str()), (409, Some("login")), "{e}");

    // Another agency's HR officer does not even learn the request exists; neither the HR
    // officer nor the support administrator approves: only the system administrator, who
    // creates accounts.
    let approve = format!("/api/v1/account-requests/{request}/approve");
    assert_eq!(
        server.signed_in("hr.akm").get_json(&format!("/api/v1/account-requests/{request}")).0,
        404
    );
    assert_eq!(hr.post_json(&approve, &json!({})).0, 403);
    assert_eq!(support.post_json(&approve, &json!({})).0, 403);
    let (status, seen) = support.get_json(&format!("/api/v1/account-requests/{request}"));
    assert_eq!((status, seen["can"]["approve"].as_bool()), (200, Some(false)), "{seen}");

    // Approved: the account exists with the roles asked and a one-time password shown once.
    let (status, done) = sysadm.post_json(&approve, &json!({}));
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["request"]["status"], "approved");
    let otp = done["one_time_password"].as_str().expect("a one-time password").to_owned();
    let mail = smtp.wait_for_mail("kadry@ipgo.test", "n.bekov");
    assert!(!mail["body"].as_str().unwrap().contains(&otp), "the password is never mailed");
    let (status, e) = sysadm.post_json(&approve, &json!({}));
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "approved once: {e}");
    let (status, again) = sysadm.get_json(&format!("/api/v1/account-requests/{request}"));
    assert_eq!(status, 200);
    assert!(again.get("one_time_password").is_none(), "not stored: {again}");

    // The newcomer's first sign-in: the one-time password, then a password of their own.
    let newbie = server.client();
    let (status, body) = newbie.try_login("n.bekov", &otp);
    assert_eq!((status, body["must_change_password"].as_bool()), (200, Some(true)), "{body}");
    let (status, body) = newbie.post_json(
        "/api/v1/me/password",
        &json!({"current_password": otp, "new_password": "Zhana-Kupiya-2027"}),
    );
    assert_eq!(status, 200, "{body}");
    newbie.set_csrf(body["csrf"].as_str());
    let (status, me) = newbie.get_json("/api/v1/me");
    assert_eq!(status, 200, "{me}");
    let roles = me.to_string();
    assert!(roles.contains("plan_responsible") && roles.contains("MIN"), "{me}");

    // Refused with a reason the HR officer reads.
    let (_, second) = hr.post_json("/api/v1/account-requests", &newcomer("a.second"));
    let refuse = format!("/api/v1/account-requests/{}/refuse", id(&second));
    let (status, e) = sysadm.post_json(&refuse, &json!({"reason": " "}));
    assert_eq!((status, e["field"].as_str()), (400, Some("reason")), "{e}");
    let (status, r) =
        sysadm.post_json(&refuse, &json!({"reason": "Нет приказа о приёме на работу."}));
    assert_eq!((status, r["status"].as_str()), (200, Some("refused")), "{r}");
    let mail = smtp.wait_for_mail("kadry@ipgo.test", "Отказано");
    assert!(mail["body"].as_str().unwrap().contains("Нет приказа"), "{mail}");

    // A leaver: another agency's account is unknown here, a past date refused.
    let (status, e) = server.signed_in("hr.akm").post_json(
        "/api/v1/account-requests",
        &json!({"kind": "leaver", "login": "leaver", "disable_on": "2027-01-13"}),
    );
    assert_eq!((status, e["field"].as_str()), (400, Some("login")), "{e}");
    let (status, e) = hr.post_json(
        "/api/v1/account-requests",
        &json!({"kind": "leaver", "login": "leaver", "disable_on": "2027-01-10"}),
    );
    assert_eq!((status, e["field"].as_str()), (400, Some("disable_on")), "{e}");
    let (status, r) = hr.post_json(
        "/api/v1/account-requests",
        &json!({"kind": "leaver", "login": "leaver", "disable_on": "2027-01-13"}),
    );
    assert_eq!((status, r["status"].as_str()), (201, Some("pending")), "{r}");
    let leaving = id(&r);
    let (_, r) = hr.post_json(
        "/api/v1/account-requests",
        &json!({"kind": "leaver", "login": "early", "disable_on": "2027-01-12"}),
    );
    let leaving_early = id(&r);
    let disabled = |hr: &crate::common::client::Client, request: u64| {
        wait_for("a leaver disabled", 20, || {
            let (_, r) = hr.get_json(&format!("/api/v1/account-requests/{request}"));
            (r["status"] == "disabled").then_some(r)
        })
    };

    // The evening before, the account still works (the job ran: the leaver due that day is
    // disabled); on the day the server disables it.
    // (Sessions are signed in again after each jump: the jump outlasts their idle time.)
    server.set_clock("2027-01-12T23:50:00+05:00");
    let hr = server.signed_in("kadry");
    disabled(&hr, leaving_early);
    let leaver = server.signed_in("leaver");
    assert_eq!(leaver.get_json("/api/v1/me").0, 200, "not a day before");
    let (_, r) = hr.get_json(&format!("/api/v1/account-requests/{leaving}"));
    assert_eq!(r["status"], "pending");
    server.set_clock("2027-01-13T00:05:00+05:00");
    let r = disabled(&hr, leaving);
    assert!(r["steps"][0]["by"].is_null(), "the server did it: {r}");
    assert_eq!(leaver.get_json("/api/v1/me").0, 401, "the session ended");
    assert_eq!(server.client().try_login("leaver", crate::common::PASSWORD).0, 401);
    smtp.wait_for_mail("kadry@ipgo.test", "отключена");

    // The pages: the list, and a refused form shown again with what was typed.
    let page = hr.get("/account-requests");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("n.bekov") && page.body.contains("Учётная запись создана"));
    let page = hr.post_form(
        "/account-requests",
        &[
            ("csrf", &hr.csrf().unwrap()),
            ("kind", "newcomer"),
            ("login", "clerk"),
            ("name_kk", "Әлия Нұрқызы"),
            ("name_ru", "Алия Нуровна"),
            ("email", "aliya@ipgo.test"),
            ("roles", "employee"),
        ],
    );
    assert_eq!(page.status, 409);
    assert!(
        page.body.contains("Алия Нуровна") && page.body.contains("aria-invalid"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&ftl("ru", "account-request-login-taken")));
    // Issue 21 point 1 (Form::settle): the message under the login's own label, in the
    // summary with that label, the focus on the login; the leaver form untouched.
    let by_field = format!(
        "<label for=\"f-newcomer-login\">{}</label><span class=\"field-error\" id=\"f-newcomer-login-error\">",
        ftl("ru", "account-requests-login")
    );
    assert!(page.body.contains(&by_field), "{}", page.body);
    assert!(page.body.contains("id=\"f-newcomer-login\" name=\"login\" aria-invalid=\"true\""));
    assert!(page.body.contains("autofocus") && page.body.contains("error-summary"));
    assert!(page.body.contains("id=\"f-newcomer-email\" name=\"email\" value=\"aliya@ipgo.test\""));
    assert!(!page.body.contains("f-leaver-login-error"));

    // Refusals are in the access log under their operations.
    let entries = server.audit_entries();
    let denied = entries_for(&entries, "POST", &approve);
    assert!(
        denied.iter().any(|e| e["actor"] == "support"
            && e["outcome"] == "denied"
            && e["operation"] == "account_request.decide"),
        "{denied:?}"
    );
    let filed = entries_for(&entries, "POST", "/api/v1/account-requests");
    assert!(filed.iter().any(|e| e["actor"] == "clerk" && e["outcome"] == "denied"), "{filed:?}");
}
