//! Sign-in, sign-out and sessions (I385 §6.1, §61; issue 2 item 6): the API contract,
//! identical refusals, lockout and throttling, forced change of a one-time password, and
//! every way a session ends (logout, idle and absolute timeout, disable, password change).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{PASSWORD, Server};

/// A server with agency `MINJUST` and the employee `aliya` (password [`PASSWORD`]).
fn server_with_aliya(builder: crate::common::ServerBuilder) -> Server {
    let server = builder.start();
    server.add_agency("MINJUST");
    server.add_user("aliya", "MINJUST", &["employee"]);
    server
}

#[test]
fn i385_s6_1_sign_in_me_and_sign_out_over_the_api() {
    let server = server_with_aliya(Server::builder());
    let client = server.client();

    let res = client.send(
        "POST",
        "/api/v1/session",
        &[],
        Some(("application/json", br#"{"login":"aliya","password":"Correct-Horse-42"}"#.to_vec())),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    let csrf = body["csrf"].as_str().expect("csrf token");
    assert!(csrf.len() >= 32, "CSRF token has at least 128 bits: {csrf}");
    assert_eq!(body["must_change_password"], false, "a --password-stdin password is not forced");
    assert_eq!(body["user"]["login"], "aliya");

    // Session cookie: 256-bit random token, HttpOnly, SameSite=Strict, host-only.
    let cookie = res.set_cookie("ipgo_session").expect("session cookie set");
    let token = cookie.split(';').next().unwrap().trim_start_matches("ipgo_session=");
    assert!(token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing in {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "host-only cookie: {cookie}");
    client.set_csrf(Some(csrf));

    let (status, me) = client.get_json("/api/v1/me");
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["login"], "aliya");
    assert_eq!(me["agency"]["code"], "MINJUST");
    assert_eq!(me["roles"], json!(["employee"]));

    // Keep the token to replay it after logout.
    let stolen = server.client();
    stolen.set_cookie("ipgo_session", token);
    assert_eq!(stolen.get_json("/api/v1/me").0, 200);

    let (status, body) = client.delete("/api/v1/session");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["signed_out"], true);
    assert_eq!(client.cookie("ipgo_session"), None, "logout removes the cookie");

    let (status, body) = stolen.get_json("/api/v1/me");
    assert_eq!(status, 401, "a logged-out session is dead server-side: {body}");
    assert_eq!(body["code"], "unauthenticated");
}

#[test]
fn wrong_password_unknown_login_and_disabled_account_get_the_identical_refusal() {
    let server = server_with_aliya(Server::builder());
    server.add_user("bolat", "MINJUST", &["employee"]);
    server.cli(&["user", "disable", "--login", "bolat"], None).ok();
    let client = server.client();

    let wrong_password = client.try_login("aliya", "Not-The-Password-1");
    let unknown_login = client.try_login("nobody.here", "Not-The-Password-1");
    let disabled = client.try_login("bolat", PASSWORD);
    assert_eq!(wrong_password.0, 401);
    assert_eq!(wrong_password.1["code"], "invalid_credentials");
    assert!(wrong_password.1["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(unknown_login, wrong_password, "unknown login must look like a wrong password");
    assert_eq!(disabled, wrong_password, "a disabled account must look like a wrong password");

    // The HTML form answers the same way for both (status and message).
    let page = client.get("/login");
    let token = hidden_field(&page.body, "csrf");
    let a = client.post_form(
        "/login",
        &[("csrf", &token), ("login", "aliya"), ("password", "Not-The-Password-1")],
    );
    let token = hidden_field(&a.body, "csrf");
    let b = client.post_form(
        "/login",
        &[("csrf", &token), ("login", "nobody.here"), ("password", "Not-The-Password-1")],
    );
    assert_eq!((a.status, b.status), (401, 401));
    let alert = |body: &str| {
        body.split("role=\"alert\">").nth(1).and_then(|s| s.split("</p>").next()).map(str::to_owned)
    };
    assert!(alert(&a.body).is_some_and(|m| !m.is_empty()), "the form explains the refusal");
    assert_eq!(alert(&a.body), alert(&b.body));

    // The real reason is only in the access log.
    let entries = server.audit_entries();
    let reasons: Vec<&str> = entries
        .iter()
        .filter(|e| e["operation"] == "session.create" && e["outcome"] == "denied")
        .filter_map(|e| e["detail"]["reason"].as_str())
        .collect();
    for reason in ["wrong_password", "unknown_login", "disabled"] {
        assert!(reasons.contains(&reason), "{reason} not logged: {reasons:?}");
    }
}

/// The value of a hidden form field in a page.
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn lockout_after_repeated_failures_is_enforced_identical_and_logged() {
    let server = server_with_aliya(
        Server::builder()
            .env("IPGO_LOGIN__MAX_FAILURES", "3")
            .env("IPGO_LOGIN__LOCKOUT_SECONDS", "3"),
    );
    let client = server.client();
    let refusal = client.try_login("aliya", "Wrong-Password-1");
    assert_eq!(refusal.0, 401);
    client.try_login("aliya", "Wrong-Password-2");
    client.try_login("aliya", "Wrong-Password-3");
    let locked_at = Instant::now();

    // Locked: even the right password is refused, with the very same answer.
    assert_eq!(client.try_login("aliya", PASSWORD), refusal, "locked account looks the same");
    let list = server.cli(&["user", "list"], None).ok().stdout;
    assert!(list.lines().any(|l| l.starts_with("aliya\t") && l.contains("locked")), "{list}");

    // After the lockout the right password works again and the failures are forgotten.
    let wait = Duration::from_millis(3500).saturating_sub(locked_at.elapsed());
    std::thread::sleep(wait);
    assert_eq!(client.try_login("aliya", PASSWORD).0, 200);
    let list = server.cli(&["user", "list"], None).ok().stdout;
    assert!(list.lines().any(|l| l.starts_with("aliya\t") && l.contains("active")), "{list}");

    // The log holds each failure, the lock, and the refused attempt while locked.
    let entries = server.audit_entries();
    let attempts: Vec<&serde_json::Value> =
        entries.iter().filter(|e| e["operation"] == "session.create").collect();
    let failures: Vec<u64> =
        attempts.iter().filter_map(|e| e["detail"]["failures"].as_u64()).collect();
    assert_eq!(failures, [1, 2, 3], "{attempts:#?}");
    let third = attempts.iter().find(|e| e["detail"]["failures"] == 3).unwrap();
    assert_eq!(third["detail"]["locked"], true);
    assert_eq!((third["outcome"].as_str(), third["status"].as_u64()), (Some("denied"), Some(401)));
    assert_eq!(third["actor"], "aliya", "the failure is recorded against the account");
    assert!(
        attempts.iter().any(|e| e["detail"]["reason"] == "locked" && e["outcome"] == "denied"),
        "the attempt while locked is logged: {attempts:#?}"
    );
    assert!(attempts.iter().any(|e| e["outcome"] == "ok"));
    assert!(server.stderr().contains("account locked"), "the lock is reported to the journal");
}

#[test]
fn sign_in_attempts_are_throttled_per_client_address() {
    let server =
        server_with_aliya(Server::builder().env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "3"));
    let client = server.client();
    for _ in 0..3 {
        assert_eq!(client.try_login("nobody", "Wrong-Password-1").0, 401);
    }
    let res = client.send(
        "POST",
        "/api/v1/session",
        &[],
        Some(("application/json", br#"{"login":"aliya","password":"Correct-Horse-42"}"#.to_vec())),
    );
    assert_eq!(res.status, 429, "{}", res.body);
    assert_eq!(res.json()["code"], "too_many_requests");
    assert!(res.header("retry-after").is_some());
    let entries = server.audit_entries();
    assert!(
        entries.iter().any(|e| e["detail"]["reason"] == "throttled" && e["status"] == 429),
        "throttling is logged"
    );
}

#[test]
fn a_one_time_password_must_be_changed_before_anything_else() {
    let server = Server::start();
    server.add_agency("MINJUST");
    let (_, otp) = server.add_user_otp("dana", "MINJUST", &["employee"]);
    let client = server.client();
    let (status, body) = client.try_login("dana", &otp);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["must_change_password"], true);

    // Everything but the password change, sign-out and "me" is blocked.
    for path in ["/api/v1/directory", "/api/v1/agencies", "/api/v1/groups"] {
        let (status, body) = client.get_json(path);
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("password_change_required")),
            "{path}"
        );
    }
    let page = client.get("/");
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/password"));
    let page = client.get("/directory");
    assert_eq!(page.status, 403, "HTML pages are blocked too");
    let (status, me) = client.get_json("/api/v1/me");
    assert_eq!((status, me["must_change_password"].as_bool()), (200, Some(true)));

    // Bad attempts are explained and change nothing.
    let (status, body) = client.post_json(
        "/api/v1/me/password",
        &json!({"current_password": otp, "new_password": "short"}),
    );
    assert_eq!((status, body["code"].as_str()), (400, Some("weak_password")), "{body}");
    assert_eq!(body["field"], "password");
    let (status, body) = client.post_json(
        "/api/v1/me/password",
        &json!({"current_password": "Not-The-OTP-123", "new_password": "Brand-New-Secret-7"}),
    );
    assert_eq!((status, body["code"].as_str()), (401, Some("invalid_credentials")), "{body}");

    let old_session = server.client();
    old_session.set_cookie("ipgo_session", &client.cookie("ipgo_session").unwrap());
    let (status, body) = client.post_json(
        "/api/v1/me/password",
        &json!({"current_password": otp, "new_password": "Brand-New-Secret-7"}),
    );
    assert_eq!(status, 200, "{body}");
    client.set_csrf(body["csrf"].as_str());
    assert_eq!(client.get_json("/api/v1/directory").0, 200, "unblocked after the change");
    assert_eq!(old_session.get_json("/api/v1/me").0, 401, "the change ended the old session");

    let fresh = server.client();
    assert_eq!(fresh.try_login("dana", &otp).0, 401, "the one-time password is spent");
    let (status, body) = fresh.try_login("dana", "Brand-New-Secret-7");
    assert_eq!((status, body["must_change_password"].as_bool()), (200, Some(false)));
}

#[test]
fn an_idle_session_expires() {
    let server =
        server_with_aliya(Server::builder().env("IPGO_SESSION__IDLE_TIMEOUT_SECONDS", "3"));
    let client = server.signed_in("aliya");
    // Use keeps it alive past the idle timeout...
    for _ in 0..5 {
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(client.get_json("/api/v1/me").0, 200);
    }
    // ...idleness ends it.
    std::thread::sleep(Duration::from_secs(5));
    let (status, body) = client.get_json("/api/v1/me");
    assert_eq!((status, body["code"].as_str()), (401, Some("session_expired")), "{body}");
    let (status, body) = client.get_json("/api/v1/me");
    assert_eq!(body["code"], "unauthenticated", "an expired session is gone for good ({status})");
}

#[test]
fn a_session_ends_at_the_absolute_timeout_however_busy() {
    let server = server_with_aliya(
        Server::builder()
            .env("IPGO_SESSION__ABSOLUTE_TIMEOUT_SECONDS", "3")
            .env("IPGO_SESSION__IDLE_TIMEOUT_SECONDS", "600"),
    );
    let client = server.signed_in("aliya");
    let signed_in = Instant::now();
    assert_eq!(client.get_json("/api/v1/me").0, 200);
    let expired_after = loop {
        std::thread::sleep(Duration::from_millis(500));
        let (status, body) = client.get_json("/api/v1/me");
        if status == 401 {
            assert_eq!(body["code"], "session_expired");
            break signed_in.elapsed();
        }
        assert!(signed_in.elapsed() < Duration::from_secs(10), "the session never expired");
    };
    assert!(expired_after >= Duration::from_secs(3), "expired too early: {expired_after:?}");
}

#[test]
fn disabling_an_account_ends_its_sessions_and_enabling_restores_sign_in() {
    let server = server_with_aliya(Server::builder());
    let client = server.signed_in("aliya");
    let out = server.cli(&["user", "disable", "--login", "aliya"], None).ok();
    assert!(out.stdout.contains("sessions have ended"), "{}", out.stdout);
    let (status, body) = client.get_json("/api/v1/me");
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")), "{body}");
    assert_eq!(server.client().try_login("aliya", PASSWORD).0, 401);
    server.cli(&["user", "enable", "--login", "aliya"], None).ok();
    assert_eq!(server.client().try_login("aliya", PASSWORD).0, 200);
}

#[test]
fn sessions_survive_a_restart_of_the_server() {
    let mut server = server_with_aliya(Server::builder());
    let client = server.signed_in("aliya");
    let cookie = client.cookie("ipgo_session").unwrap();
    server.restart();
    let again = server.client();
    again.set_cookie("ipgo_session", &cookie);
    let (status, me) = again.get_json("/api/v1/me");
    assert_eq!((status, me["login"].as_str()), (200, Some("aliya")), "{me}");
}

#[test]
fn the_html_form_signs_in_without_javascript_and_lands_on_the_dashboard() {
    let server = server_with_aliya(Server::builder());
    let client = server.client();
    let page = client.get("/login?lang=en");
    assert_eq!(page.status, 200);
    assert!(page.set_cookie("ipgo_pre").is_some(), "the form is protected before sign-in");
    let token = hidden_field(&page.body, "csrf");

    // Without the pre-session token the form is refused (login CSRF).
    let stranger = server.client();
    let res = stranger
        .post_form("/login", &[("csrf", &token), ("login", "aliya"), ("password", PASSWORD)]);
    assert_eq!(res.status, 403, "{}", res.body);

    let res = client.post_form(
        "/login",
        &[("csrf", &token), ("login", "aliya"), ("password", PASSWORD), ("next", "/profile")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/profile"));
    let dashboard = client.get("/");
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("name=\"csrf\""), "signed-in pages carry the token");
    assert!(dashboard.body.contains("action=\"/logout\""), "the dashboard offers sign-out");

    // Sign-out through the form ends the session.
    let csrf = hidden_field(&dashboard.body, "csrf");
    let res = client.post_form("/logout", &[("csrf", &csrf)]);
    assert_eq!((res.status, res.header("location")), (303, Some("/login")));
    assert_eq!(client.get("/").header("location"), Some("/login"));
}
