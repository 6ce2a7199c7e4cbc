//! Web-layer protections (I385 §61; issue 2 items 2, 6, 9): CSRF token and Origin check on
//! every state-changing request, security headers and no inline script, TLS with HSTS and
//! `__Host-` cookies, no plain HTTP off loopback, health endpoints, translated errors.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::server::{BIN, ipgo_env};
use crate::common::{PASSWORD, Server, free_port, ftl};

fn server_with_admin() -> Server {
    let server = Server::start();
    server.add_agency("MINJUST");
    server.add_user("admin", "MINJUST", &["system_admin"]);
    server
}

fn new_agency(code: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"code": code, "name_ru": "Орган", "name_kk": "Орган"})).unwrap()
}

#[test]
fn i385_s61_state_changing_requests_need_the_session_csrf_token() {
    let server = server_with_admin();
    let admin = server.signed_in("admin");
    let csrf = admin.csrf().unwrap();
    let json = "application/json";

    let missing = admin.send("POST", "/api/v1/agencies", &[], Some((json, new_agency("AAA"))));
    assert_eq!((missing.status, missing.json()["code"].as_str()), (403, Some("csrf_failed")));
    let wrong = admin.send(
        "POST",
        "/api/v1/agencies",
        &[("x-csrf-token", &"0".repeat(64))],
        Some((json, new_agency("BBB"))),
    );
    assert_eq!((wrong.status, wrong.json()["code"].as_str()), (403, Some("csrf_failed")));

    // Another session's token is no good either.
    let other = server.signed_in("admin");
    let foreign = admin.send(
        "POST",
        "/api/v1/agencies",
        &[("x-csrf-token", &other.csrf().unwrap())],
        Some((json, new_agency("CCC"))),
    );
    assert_eq!(foreign.status, 403);

    let ok = admin.send(
        "POST",
        "/api/v1/agencies",
        &[("x-csrf-token", &csrf)],
        Some((json, new_agency("DDD"))),
    );
    assert_eq!(ok.status, 201, "{}", ok.body);

    // Nothing was created by the refused requests.
    let (_, agencies) = admin.get_json("/api/v1/agencies");
    let codes: Vec<&str> =
        agencies.as_array().unwrap().iter().filter_map(|a| a["code"].as_str()).collect();
    assert_eq!(codes, ["MINJUST", "DDD"]);

    // Sign-out needs the token too, and an HTML form needs its hidden field.
    let (status, _) = admin.send("DELETE", "/api/v1/session", &[], None).status_json();
    assert_eq!(status, 403);
    assert_eq!(admin.get_json("/api/v1/me").0, 200, "the refused sign-out changed nothing");
    let form = admin.post_form("/profile", &[("email", "x@gov.kz"), ("phone", ""), ("lang", "ru")]);
    assert_eq!(form.status, 403, "a form without the csrf field is refused");
    assert!(form.header("content-type").unwrap_or("").starts_with("text/html"));

    // Each refusal is in the access log.
    let denied = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["actor"] == "admin" && e["outcome"] == "denied" && e["status"] == 403)
        .count();
    assert!(denied >= 5, "refusals logged: {denied}");
}

trait StatusJson {
    fn status_json(self) -> (u16, serde_json::Value);
}

impl StatusJson for crate::common::Resp {
    fn status_json(self) -> (u16, serde_json::Value) {
        (self.status, self.json())
    }
}

#[test]
fn i385_s61_a_foreign_origin_is_refused_even_with_a_valid_token() {
    let server = server_with_admin();
    let admin = server.signed_in("admin");
    let csrf = admin.csrf().unwrap();
    let body = || Some(("application/json", new_agency("EEE")));

    for (header, value) in [("origin", "http://evil.example"), ("referer", "http://evil.example/x")]
    {
        let res = admin.send(
            "POST",
            "/api/v1/agencies",
            &[("x-csrf-token", &csrf), (header, value)],
            body(),
        );
        assert_eq!(res.status, 403, "{header}: {}", res.body);
        assert_eq!(res.json()["code"], "origin_mismatch", "{header}");
    }
    // Same host, other port or scheme, is another origin.
    let other_port = format!("http://127.0.0.1:{}", server.port + 1);
    let res = admin.send(
        "POST",
        "/api/v1/agencies",
        &[("x-csrf-token", &csrf), ("origin", &other_port)],
        body(),
    );
    assert_eq!(res.json()["code"], "origin_mismatch");

    // Sign-in from a foreign page is refused too (login CSRF).
    let visitor = server.client();
    let res = visitor.send(
        "POST",
        "/api/v1/session",
        &[("origin", "http://evil.example")],
        Some((
            "application/json",
            serde_json::to_vec(&json!({"login": "admin", "password": PASSWORD})).unwrap(),
        )),
    );
    assert_eq!((res.status, res.json()["code"].as_str()), (403, Some("origin_mismatch")));
    assert!(res.set_cookie("ipgo_session").is_none());

    // The portal's own origin passes.
    let own = server.base_url();
    let res = admin.send(
        "POST",
        "/api/v1/agencies",
        &[("x-csrf-token", &csrf), ("origin", &own)],
        body(),
    );
    assert_eq!(res.status, 201, "{}", res.body);

    let logged = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["detail"]["origin"] == "http://evil.example")
        .count();
    assert!(logged >= 2, "foreign origins are logged: {logged}");
}

/// Every `<script>` has a `src`, and no element carries an inline event handler.
fn assert_no_inline_script(html: &str, page: &str) {
    for tag in html.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap_or("");
        assert!(open.contains("src="), "{page}: inline <script{open}>");
    }
    let lower = html.to_ascii_lowercase();
    for handler in [" onclick=", " onload=", " onsubmit=", " onerror=", "javascript:"] {
        assert!(!lower.contains(handler), "{page}: inline handler {handler}");
    }
}

#[test]
fn pages_carry_security_headers_and_no_inline_script() {
    let server = server_with_admin();
    let visitor = server.client();
    let admin = server.signed_in("admin");
    let pages = [
        ("/login", visitor.get("/login")),
        ("/", admin.get("/")),
        ("/directory", admin.get("/directory")),
        ("/admin/users", admin.get("/admin/users")),
        ("/no-such-page", admin.get("/no-such-page")),
        ("/audit (denied)", admin.get("/audit")),
    ];
    for (name, res) in &pages {
        let csp = res.header("content-security-policy").unwrap_or_else(|| panic!("{name}: no CSP"));
        let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert_eq!(script_src.trim(), "script-src 'self'", "{name}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{name}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{name}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{name}: {csp}");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"), "{name}");
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{name}");
        assert_eq!(res.header("referrer-policy"), Some("same-origin"), "{name}");
        assert!(res.header("strict-transport-security").is_none(), "{name}: no HSTS on plain HTTP");
        assert!(res.header("content-type").unwrap_or("").starts_with("text/html"), "{name}");
        assert_no_inline_script(&res.body, name);
    }
    assert_eq!(pages[4].1.status, 404);
    assert_eq!(pages[5].1.status, 403);
    // The script the pages load is served as a script, from this origin.
    let js = visitor.get("/static/app.js");
    assert_eq!(js.status, 200);
    assert!(js.header("content-type").unwrap().starts_with("text/javascript"));
    assert!(js.header("etag").is_some());
    let again = visitor.send(
        "GET",
        "/static/app.js",
        &[("if-none-match", js.header("etag").unwrap())],
        None,
    );
    assert_eq!(again.status, 304);
}

/// HEAD is GET without a body (RFC 9110 §9.3.2), logged as HEAD; a method the route does not
/// answer is 405 with `Allow` (issue 20 point 1: undeclared methods), an unknown path 404.
#[test]
fn head_answers_like_get_without_a_body_and_other_methods_are_405() {
    let server = server_with_admin();
    let admin = server.signed_in("admin");
    let get = admin.get("/api/v1/agencies");
    let (status, headers, body) = admin.send_raw("HEAD", "/api/v1/agencies", &[], None);
    assert_eq!(status, 200);
    assert!(body.is_empty(), "no body for HEAD: {} bytes", body.len());
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(header("content-type"), get.header("content-type"));
    let (status, _, body) = server.client().send_raw("HEAD", "/login", &[], None);
    assert_eq!((status, body.len()), (200, 0), "a page too");
    let csrf = admin.csrf().unwrap();
    let del = admin.send("DELETE", "/api/v1/agencies", &[("x-csrf-token", &csrf)], None);
    assert_eq!(del.status, 405, "{}", del.body);
    let allow = del.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "Allow: {allow}");
    assert_eq!(admin.send("HEAD", "/no-such-page", &[], None).status, 404);
    let heads = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["method"] == "HEAD" && e["route"] == "/api/v1/agencies")
        .count();
    assert_eq!(heads, 1, "the HEAD request is in the access log as HEAD");
}

#[test]
fn tls_serves_https_with_hsts_and_a_host_prefixed_secure_cookie() {
    let server = Server::builder().tls().start();
    assert!(server.certificate().exists(), "self-signed certificate made on first start");
    server.add_agency("MINJUST");
    server.add_user("aliya", "MINJUST", &["employee"]);
    let client = server.client();
    assert!(client.base.starts_with("https://"));

    let page = client.get("/login");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("strict-transport-security"), Some("max-age=31536000"));

    let res = client.send(
        "POST",
        "/api/v1/session",
        &[],
        Some((
            "application/json",
            serde_json::to_vec(&json!({"login": "aliya", "password": PASSWORD})).unwrap(),
        )),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let cookie = res.set_cookie("__Host-ipgo_session").expect("__Host- session cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert!(res.set_cookie("ipgo_session").is_none(), "no unprefixed session cookie over TLS");
    client.set_csrf(res.json()["csrf"].as_str());
    assert_eq!(client.get_json("/api/v1/me").0, 200);
    let pre = client.get("/login").set_cookie("ipgo_pre").map(str::to_owned);
    assert!(pre.is_none_or(|c| c.contains("Secure")), "every cookie is Secure over TLS");

    // The TLS port does not speak plain HTTP.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "plain HTTP answered on the TLS port");

    // The certificate is reused on the next start.
    let before = std::fs::read(server.certificate()).unwrap();
    let mut server = server;
    server.restart();
    assert_eq!(std::fs::read(server.certificate()).unwrap(), before);
    assert_eq!(server.client().get("/healthz").status, 200);
}

/// What `openssl x509` reads in a PEM certificate: subject, issuer, validity (Unix seconds),
/// subject alternative names, serial.
struct X509 {
    subject: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    alt_names: String,
    extensions: String,
    serial: String,
}

fn x509(pem: &[u8]) -> X509 {
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-issuer", "-serial", "-dates", "-dateopt"])
        .args(["iso_8601", "-nameopt", "RFC2253", "-ext"])
        .arg("subjectAltName,basicConstraints,keyUsage,extendedKeyUsage")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl (run tests/setup.sh)");
    child.stdin.take().unwrap().write_all(pem).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .trim()
            .to_owned()
    };
    let time = |name: &str| {
        let t: jiff::Timestamp = field(name).replace(' ', "T").parse().unwrap();
        t.as_second()
    };
    let alt_names = text
        .lines()
        .skip_while(|l| !l.contains("Subject Alternative Name"))
        .nth(1)
        .unwrap_or("")
        .trim()
        .to_owned();
    X509 {
        subject: field("subject="),
        issuer: field("issuer="),
        not_before: time("notBefore="),
        not_after: time("notAfter="),
        alt_names,
        extensions: text.clone(),
        serial: field("serial="),
    }
}

/// The certificate the server presents in the TLS handshake (PEM), as `openssl s_client`
/// receives it.
fn served_certificate(server: &Server) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{}", server.port)])
        .args(["-servername", "portal.akimat.example.kz"])
        .stdin(Stdio::null())
        .output()
        .expect("openssl s_client");
    let text = String::from_utf8_lossy(&out.stdout);
    let begin = text.find("-----BEGIN CERTIFICATE-----").expect("a certificate served");
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    text[begin..end].as_bytes().to_vec()
}

/// Seconds until the served certificate expires, as `/metrics` reports it.
fn metrics_expiry(client: &crate::common::client::Client) -> i64 {
    let metrics = client.get("/metrics");
    assert_eq!(metrics.status, 200);
    let line = metrics
        .body
        .lines()
        .find_map(|l| l.strip_prefix("ipgo_tls_certificate_expiry_seconds "))
        .expect("the certificate's expiry in /metrics");
    line.parse().unwrap()
}

const DAY: i64 = 24 * 3600;

#[test]
fn the_first_boot_certificate_is_named_after_the_host_bounded_renewed_and_announced() {
    let names = r#"["portal", "10.1.2.3", "127.0.0.1"]"#;
    let mut server = Server::builder()
        .tls()
        .env("IPGO_SERVER__PUBLIC_URL", "https://portal.akimat.example.kz:8443/")
        .env("IPGO_TLS__SELF_SIGNED_NAMES", names)
        .start();
    let started = jiff::Timestamp::now().as_second();
    let pem = std::fs::read(server.certificate()).unwrap();
    let first = x509(&pem);
    // Named after the host the administrator gave (public_url), covering the names
    // configured, issued to itself, for a year from now.
    assert_eq!(
        first.subject, "O=ipgo (self-signed),CN=portal.akimat.example.kz",
        "{}",
        first.extensions
    );
    assert_eq!(first.issuer, first.subject);
    assert!(!first.extensions.contains("rcgen"), "{}", first.extensions);
    assert_eq!(
        first.alt_names,
        "DNS:portal.akimat.example.kz, DNS:portal, IP Address:10.1.2.3, IP Address:127.0.0.1"
    );
    assert!(first.extensions.contains("CA:FALSE"), "{}", first.extensions);
    assert!(first.extensions.contains("TLS Web Server Authentication"), "{}", first.extensions);
    assert!((first.not_before - started).abs() < 15 * 60, "starts now: {}", first.not_before);
    assert!((first.not_after - first.not_before - 365 * DAY).abs() < 15 * 60, "one year");
    // It is the certificate served, and /metrics announces its expiry.
    assert_eq!(x509(&served_certificate(&server)).serial, first.serial);
    let before_renewal = server.client();
    let expiry = metrics_expiry(&before_renewal);
    assert!((expiry - (first.not_after - started)).abs() < 120, "{expiry}");
    assert!(!server.stderr().contains("--renew-tls"), "a new certificate needs no advice");

    // Renewed with `ipgo init --renew-tls` (here for 20 days) while the server runs: the
    // new pair is written, the running server keeps serving (and reporting) the old one
    // until it restarts.
    let mut env = server.settings();
    env.push(("IPGO_TLS__SELF_SIGNED_DAYS".into(), "20".into()));
    let out = ipgo_env(&server.data, &["init", "--renew-tls"], None, &env).ok();
    assert!(out.stdout.contains("portal.akimat.example.kz"), "{}", out.stdout);
    assert!(out.stdout.contains("systemctl restart ipgo"), "{}", out.stdout);
    let renewed = x509(&std::fs::read(server.certificate()).unwrap());
    assert_ne!(renewed.serial, first.serial);
    assert_eq!(
        (renewed.subject.as_str(), renewed.alt_names.as_str()),
        (first.subject.as_str(), first.alt_names.as_str())
    );
    assert!((renewed.not_after - renewed.not_before - 20 * DAY).abs() < 15 * 60);
    assert_eq!(x509(&served_certificate(&server)).serial, first.serial);
    assert!((metrics_expiry(&before_renewal) - 365 * DAY).abs() < DAY);
    server.restart();
    assert_eq!(x509(&served_certificate(&server)).serial, renewed.serial);
    assert!((metrics_expiry(&server.client()) - 20 * DAY).abs() < DAY);
    // Within 30 days of its end the start-up says so, and how to renew.
    let log = server.stderr();
    assert!(log.contains("expires") && log.contains("ipgo init --renew-tls"), "{log}");

    // A certificate made by an earlier version (rcgen's defaults: 1975 to 4096, subject
    // "rcgen self signed cert") is kept — workstations may trust it — but reported.
    let old =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(server.certificate(), old.cert.pem()).unwrap();
    std::fs::write(server.certificate().with_extension("key"), old.signing_key.serialize_pem())
        .unwrap();
    server.restart();
    let log = server.stderr();
    assert!(log.contains("valid until 4096") && log.contains("ipgo init --renew-tls"), "{log}");
    assert!(log.contains("portal.akimat.example.kz"), "names it does not cover: {log}");
    let out = ipgo_env(&server.data, &["init", "--renew-tls"], None, &server.settings()).ok();
    assert!(out.stdout.contains("365"), "{}", out.stdout);
    server.restart();
    let bounded = x509(&served_certificate(&server));
    assert_eq!(bounded.subject, first.subject);
    assert!((bounded.not_after - bounded.not_before - 365 * DAY).abs() < 15 * 60);

    // With the agency's certificate configured there is nothing to renew here.
    let mut env = server.settings();
    env.push(("IPGO_TLS__CERT".into(), "/etc/ipgo/tls/server.crt".into()));
    env.push(("IPGO_TLS__KEY".into(), "/etc/ipgo/tls/server.key".into()));
    let out = ipgo_env(&server.data, &["init", "--renew-tls"], None, &env);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("agency's CA"), "{}", out.stderr);
}

/// Runs `ipgo ARGS`, which must exit by itself within 30 s; returns (code, stderr).
fn run_expecting_exit(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            return (status.code().unwrap_or(-1), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ipgo {args:?} kept running: it should have refused to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn plain_http_is_refused_on_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let listen = format!("0.0.0.0:{}", free_port());
    let (code, stderr) = run_expecting_exit(&["serve", "--data", data, "--listen", &listen]);
    assert_ne!(code, 0);
    assert!(stderr.contains("refusing to listen") && stderr.contains("without TLS"), "{stderr}");
    let (code, stderr) = run_expecting_exit(&["demo", "--data", data, "--listen", &listen]);
    assert_ne!(code, 0);
    assert!(stderr.contains("loopback"), "{stderr}");
}

#[test]
fn health_and_readiness_answer_json_for_monitoring() {
    let server = Server::start();
    let client = server.client();
    let (status, body) = client.get_json("/healthz");
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = client.get_json("/readyz");
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")), "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    assert!(body["checks"]["disk"]["free_mb"].as_u64().is_some());

    // Below the disk floor the appliance reports itself not ready.
    let low = Server::builder().env("IPGO_STORAGE__DISK_FLOOR_MB", "999999999").start();
    let (status, body) = low.client().get_json("/readyz");
    assert_eq!((status, body["status"].as_str()), (503, Some("not_ready")), "{body}");
    assert_eq!(body["checks"]["disk"]["status"], "low");
}

#[test]
fn errors_are_explained_in_kazakh_russian_and_english() {
    let server = Server::start();
    let client = server.client();
    let mut seen = Vec::new();
    for lang in ["kk", "ru", "en"] {
        let res = client.send("GET", "/api/v1/me", &[("accept-language", lang)], None);
        let body = res.json();
        assert_eq!((res.status, body["code"].as_str()), (401, Some("unauthenticated")));
        assert_eq!(body["message"].as_str().unwrap(), ftl(lang, "error-unauthenticated"), "{lang}");
        seen.push(body["message"].as_str().unwrap().to_owned());

        let page = client.get(&format!("/no-such-page?lang={lang}"));
        assert_eq!(page.status, 404);
        assert!(page.body.contains(&format!("<html lang=\"{lang}\">")), "{lang}");
        assert!(page.body.contains(&ftl(lang, "error-not-found")), "{lang}: {}", page.body);
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "three different languages: {seen:?}");

    // Malformed input is a translated 400 that names what is wrong.
    let res = client.send(
        "POST",
        "/api/v1/session",
        &[("accept-language", "kk")],
        Some(("application/json", b"{\"login\": 5}".to_vec())),
    );
    assert_eq!(
        (res.status, res.json()["code"].as_str()),
        (400, Some("invalid_input")),
        "{}",
        res.body
    );
    assert_eq!(res.json()["message"].as_str().unwrap(), ftl("kk", "error-invalid-input"));
}
