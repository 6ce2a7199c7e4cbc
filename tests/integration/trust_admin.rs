//! Trust administration in the browser's way — forms, uploads, redirects (I385 §57, §6.8):
//! the trust store page (CAs with validity, CRLs with their age), registration
//! certificates (a person asks, an administrator confirms, revokes, destroys), and CRLs
//! fetched on a schedule from an HTTP server inside the "closed network" that the test
//! starts (Python's `http.server`, a real process).

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::common::client::{Client, Resp};
use crate::common::documents::{Part, multipart};
use crate::common::{Server, ftl, wait_for};
use crate::document_signatures::Portal;
use crate::signatures::pki::{pki, unique};

/// A multipart upload of one `file` (and more text fields) from a page's form: the CSRF
/// token travels in the action's query string, as the browser sends it.
fn upload(client: &Client, action: &str, fields: &[(&str, &str)], file: Vec<u8>) -> Resp {
    let mut parts: Vec<Part> = fields
        .iter()
        .map(|(name, value)| Part {
            name,
            file_name: None,
            content_type: "text/plain",
            bytes: value.as_bytes().to_vec(),
        })
        .collect();
    parts.push(Part {
        name: "file",
        file_name: Some("upload.pem"),
        content_type: "application/octet-stream",
        bytes: file,
    });
    // The token is the form's first field, as the page sends it.
    parts.insert(0, crate::common::documents::csrf(&client.csrf().unwrap_or_default()));
    let (content_type, body) = multipart(&parts);
    client.send("POST", action, &[], Some((&content_type, body)))
}

/// An url-encoded form with the session's token, as the pages post them.
fn submit(client: &Client, action: &str, fields: &[(&str, &str)]) -> Resp {
    let token = client.csrf().unwrap_or_default();
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    client.post_form(action, &all)
}

fn lang_of(client: &Client) -> String {
    client.get_json("/api/v1/me").1["lang"].as_str().unwrap_or("ru").to_owned()
}

#[test]
fn i385_57_the_administrator_keeps_the_trust_store_from_its_page() {
    let pki = pki();
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("admin", "MIN", &["system_admin"]);
    server.add_user("clerk", "MIN", &["employee"]);
    let admin = server.signed_in("admin");
    let lang = lang_of(&admin);
    let page = admin.get("/admin/trust");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&ftl(&lang, "trust-no-cas")), "an empty store says so");
    assert!(page.body.contains("href=\"/admin/trust\""), "the navigation leads here");

    let res = upload(&admin, "/admin/trust/cas", &[], pki.read("trusted.pem"));
    assert_eq!(
        (res.status, res.header("location")),
        (303, Some("/admin/trust?done=done-trust-ca#cas"))
    );
    for crl in ["root/crl.pem", "inter/crl.pem"] {
        let res = upload(&admin, "/admin/trust/crls", &[], pki.read(crl));
        assert_eq!(res.status, 303, "{crl}: {}", res.body);
    }
    let page = admin.get("/admin/trust?done=done-trust-crl");
    for expected in [
        "Test Root CA (P-384)".to_owned(),
        "Test Issuing CA (RSA)".to_owned(),
        ftl(&lang, "trust-role-root"),
        ftl(&lang, "done-trust-crl"),
        ftl(&lang, "time-just-now"),
    ] {
        assert!(page.body.contains(&expected), "{expected:?} not on the trust page");
    }
    let zero_hours = ftl(&lang, "trust-crl-age").replace("{ $hours }", "0");
    assert!(!page.body.contains(&zero_hours), "never \"0 h ago\" (issue 21 point 6)");
    assert_eq!(page.body.matches("class=\"ca\" data-state=\"valid\"").count(), 2);
    assert_eq!(page.body.matches("class=\"crl\" data-stale=\"false\"").count(), 2);
    let year = jiff::Timestamp::now().strftime("%Y").to_string();
    assert!(page.body.contains(&year), "validity dates are shown");

    // Monitoring sees when the trust store needs attention (I617 §24): CA expiry and the
    // next update of every CRL in force, counting down from now.
    let metrics = admin.get("/metrics");
    assert_eq!(metrics.status, 200);
    let values = |name: &str| -> Vec<f64> {
        metrics
            .body
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect()
    };
    let cas = values("ipgo_trusted_ca_expiry_seconds");
    assert_eq!(cas.len(), 2, "{}", metrics.body);
    assert!(cas.iter().all(|s| *s > 86_400.0), "the test CAs are valid for long: {cas:?}");
    let crls = values("ipgo_crl_next_update_seconds");
    assert_eq!(crls.len(), 2, "{}", metrics.body);
    assert!(crls.iter().all(|s| *s > 0.0), "fresh CRLs are not overdue: {crls:?}");
    assert!(metrics.body.contains("Test Root CA (P-384)"), "labelled by subject");

    // Bad input is explained and changes nothing.
    let res = upload(&admin, "/admin/trust/crls", &[], b"not a CRL".to_vec());
    assert_eq!(res.status, 400);
    assert!(res.body.contains(&ftl(&lang, "sign-import-not-crl")), "{}", res.body);
    let res = upload(&admin, "/admin/trust/cas", &[], pki.read("rsa.pem"));
    assert_eq!(res.status, 400);
    assert!(res.body.contains(&ftl(&lang, "sign-import-not-ca")));

    // Everybody may see which CAs are trusted; only the administrator changes them.
    let clerk = server.signed_in("clerk");
    let page = clerk.get("/admin/trust");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/admin/trust/cas?csrf"), "no upload form for a clerk");
    let res = upload(&clerk, "/admin/trust/cas", &[], pki.read("rogue/cert.pem"));
    assert_eq!(res.status, 403);
    let (status, body) = clerk.get_json("/api/v1/trust");
    assert_eq!(status, 200);
    assert_eq!(body["cas"].as_array().unwrap().len(), 2);
    assert_eq!(body["crls"].as_array().unwrap().len(), 2);

    // Removing the issuing CA.
    let fingerprint = body["cas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "intermediate")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = submit(&admin, &format!("/admin/trust/cas/{fingerprint}/remove"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(admin.get_json("/api/v1/trust").1["cas"].as_array().unwrap().len(), 1);
    let ops: Vec<String> = server
        .audit_entries()
        .iter()
        .map(|e| e["operation"].as_str().unwrap_or("").to_owned())
        .collect();
    for op in ["trust.ca_add", "trust.crl_add", "trust.ca_remove"] {
        assert!(ops.iter().any(|o| o == op), "{op} logged");
    }
}

#[test]
fn i385_57_a_person_asks_to_register_and_the_administrator_confirms_revokes_and_destroys() {
    let pki = pki();
    let portal = Portal::new(&[("head.a", "")]);
    let server = &portal.server;
    server.add_user("admin", "MIN", &["system_admin"]);
    let head = server.signed_in("head.a");
    let lang = lang_of(&head);
    assert!(head.get("/profile").body.contains("href=\"/certificates\""));

    // The holder uploads their certificate: it waits for the administrator.
    let res = upload(&head, "/certificates", &[], pki.read("p384.pem"));
    assert_eq!(
        res.header("location"),
        Some("/certificates?done=done-certificate-requested"),
        "{}",
        res.body
    );
    let mine = head.get("/certificates");
    assert!(mine.body.contains(&ftl(&lang, "certificate-status-pending")));
    assert!(mine.body.contains("User p384"));
    let (status, body, _, _) = portal.sign("head.a", "p384", &[]);
    assert_eq!((status, body["detail"].as_str()), (422, Some("registration_pending")));

    // The administrator sees the request first and confirms it.
    let admin = server.signed_in("admin");
    let page = admin.get("/admin/certificates");
    assert_eq!(page.status, 200);
    let fingerprint = page
        .body
        .split("data-fingerprint=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(page.body.contains("head.a") && page.body.contains("data-status=\"pending\""));
    let res = submit(&admin, &format!("/admin/certificates/{fingerprint}/confirm"), &[]);
    assert_eq!(res.header("location"), Some("/admin/certificates?done=done-certificate-confirmed"));
    let (status, body, _, _) = portal.sign("head.a", "p384", &[]);
    assert_eq!(status, 201, "{body}");

    // An active registration cannot be destroyed before it is revoked.
    let destroy = format!("/admin/certificates/{fingerprint}/destroy");
    let res = submit(&admin, &destroy, &[("confirm", "yes")]);
    assert_eq!(res.status, 409);
    assert!(res.body.contains(&ftl(&lang_of(&admin), "sign-destroy-revoke-first")));
    // The holder cannot destroy anything.
    assert_eq!(submit(&head, &destroy, &[("confirm", "yes")]).status, 403);

    let res = submit(
        &admin,
        &format!("/admin/certificates/{fingerprint}/revoke"),
        &[("reason", "token lost")],
    );
    assert_eq!(res.status, 303);
    let list = portal.list(&head, 1);
    assert_eq!(list[0]["status"], "revoked_later", "{list:?}");
    assert_eq!(list[0]["reason"], "registration_revoked");

    // Destruction (I385 §6.8): the certificate is gone, the revoked record stays.
    assert_eq!(submit(&admin, &destroy, &[]).status, 400, "the box must be ticked");
    let res = submit(&admin, &destroy, &[("confirm", "yes")]);
    assert_eq!(res.header("location"), Some("/admin/certificates?done=done-certificate-destroyed"));
    let (_, body) = admin.get_json("/api/v1/certificates?login=head.a");
    let record = &body["certificates"][0];
    assert_eq!(record["status"], "revoked");
    assert!(record["destroyed_at"].is_string(), "{record}");
    assert_eq!(record["summary"]["subject"], "");
    assert!(record.get("der").is_none());
    let page = admin.get("/admin/certificates");
    assert!(!page.body.contains("User p384"), "nothing of the holder's certificate is shown");
    let destroyed: Vec<Value> = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["operation"] == "certificate.destroy" && e["outcome"] == "ok")
        .collect();
    assert_eq!(destroyed.len(), 1);
    assert_eq!(destroyed[0]["detail"]["fingerprint"], fingerprint.as_str());
    assert_eq!(destroyed[0]["actor"], "admin");
    // Signatures made with it still show the revoked registration; it never registers again.
    assert_eq!(portal.list(&head, 1)[0]["status"], "revoked_later");
    let res = upload(&head, "/certificates", &[], pki.read("p384.pem"));
    assert_eq!(res.status, 409);
    // The administrator registers another one directly (active at once).
    let res = upload(&admin, "/admin/certificates", &[("login", "head.a")], pki.read("rsa.pem"));
    assert_eq!(
        res.header("location"),
        Some("/admin/certificates?done=done-certificate-registered")
    );
    assert!(head.get("/certificates").body.contains(&ftl(&lang, "certificate-status-active")));
}

/// Python's `http.server` serving `dir` on a free port (stopped when dropped).
struct HttpServer {
    child: Child,
    port: u16,
}

impl HttpServer {
    fn start(dir: &std::path::Path) -> HttpServer {
        let port = crate::common::free_port();
        let child = Command::new("python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        wait_for("the CRL server", 30, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        });
        HttpServer { child, port }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn i385_57_crls_are_fetched_on_a_schedule_from_a_server_in_the_closed_network() {
    let pki = pki();
    let name = format!("fetched{}", unique());
    pki.issue(&name, "p256", "v3_sign");
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("inter.crl"), pki.read("inter/crl.pem")).unwrap();
    let http = HttpServer::start(site.path());
    let urls = json!([
        format!("http://127.0.0.1:{}/inter.crl", http.port),
        format!("http://127.0.0.1:{}/missing.crl", http.port),
    ])
    .to_string();
    let server = Server::builder()
        .env("IPGO_SIGNATURES__CRL_URLS", &urls)
        .env("IPGO_SIGNATURES__CRL_FETCH_INTERVAL_SECONDS", "1")
        .start();
    server.add_agency("MIN");
    server.add_user("admin", "MIN", &["system_admin"]);
    let p = |n: &str| pki.path(n).to_str().unwrap().to_owned();
    server.cli(&["trust", "add", &p("trusted.pem")], None).ok();
    server.cli(&["trust", "crl", &p("root/crl.pem")], None).ok();

    // The issuing CA's CRL arrives by itself; the missing one is reported.
    let admin = server.signed_in("admin");
    let inter_sha = crate::common::documents::sha256(&der_of_crl(&pki.read("inter/crl.pem")));
    wait_for("the fetched CRL", 30, || {
        let (_, body) = admin.get_json("/api/v1/trust");
        body["crls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["sha256"] == inter_sha.as_str())
            .then_some(())
    });
    // Both URLs are attempted in each round, one after the other.
    let body = wait_for("both URLs tried", 30, || {
        let (_, body) = admin.get_json("/api/v1/trust");
        (body["fetches"].as_array().unwrap().len() == 2).then_some(body)
    });
    let fetches = body["fetches"].as_array().unwrap();
    let outcome = |file: &str| {
        fetches
            .iter()
            .find(|f| f["url"].as_str().unwrap().ends_with(file))
            .map(|f| f["outcome"].as_str().unwrap().to_owned())
    };
    assert!(matches!(outcome("inter.crl").as_deref(), Some("installed" | "unchanged")));
    assert_eq!(outcome("missing.crl").as_deref(), Some("failed"));
    let page = admin.get("/admin/trust");
    assert!(page.body.contains("missing.crl") && page.body.contains("data-outcome=\"failed\""));
    let installs: Vec<Value> = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["operation"] == "trust.crl_add" && e["actor"] == "system:crl-fetch")
        .collect();
    assert!(!installs.is_empty(), "the scheduled install is in the access log");

    // A signature, then the CA revokes the certificate and publishes a new CRL: the next
    // scheduled fetch installs it and the signature shows as revoked later.
    server.add_user("author", "MIN", &["employee"]);
    server.add_user("head", "MIN", &["employee", "head"]);
    server.cli(&["cert", "register", "--login", "head", &p(&format!("{name}.pem"))], None).ok();
    let portal = Portal { server, doc: 0 };
    let doc = {
        let author = portal.server.signed_in("author");
        let res = crate::common::documents::post(&author, &json!({"title": "Жоспар"}), &[]);
        res.json()["id"].as_u64().unwrap()
    };
    let portal = Portal { doc, ..portal };
    assert_eq!(portal.sign("head", &name, &[]).0, 201);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    pki.revoke(&name);
    let crl = pki.issuing_crl(&format!("crl-{}.pem", unique()));
    std::fs::write(site.path().join("inter.crl"), std::fs::read(&crl).unwrap()).unwrap();
    let head = portal.server.signed_in("head");
    wait_for("the signature to show as revoked later", 30, || {
        (portal.list(&head, 1)[0]["status"] == "revoked_later").then_some(())
    });
}

fn der_of_crl(pem: &[u8]) -> Vec<u8> {
    ipgo::sign::x509::read_crl(pem).unwrap().0
}

/// Issue 21 point 6: a CRL issued less than an hour ago reads "just now" (kk/ru/en), never
/// "0 h ago"; on the test-controlled clock three hours later it reads "3 h ago".
#[test]
fn i385_57_a_fresh_crl_reads_just_now_and_its_age_in_hours_later() {
    let pki = pki();
    let server = Server::builder().controllable_clock().start();
    server.add_agency("MIN");
    server.add_user("admin", "MIN", &["system_admin"]);
    let admin = server.signed_in("admin");
    let lang = lang_of(&admin);
    let res = upload(&admin, "/admin/trust/cas", &[], pki.read("trusted.pem"));
    assert_eq!(res.status, 303, "{}", res.body);
    let crl = pki.issuing_crl(&format!("crl-{}.pem", unique()));
    let res = upload(&admin, "/admin/trust/crls", &[], std::fs::read(&crl).unwrap());
    assert_eq!(res.status, 303, "{}", res.body);
    let hours = |n: &str| ftl(&lang, "trust-crl-age").replace("{ $hours }", n);
    let page = admin.get("/admin/trust");
    assert!(page.body.contains(&ftl(&lang, "time-just-now")), "{}", page.body);
    assert!(!page.body.contains(&hours("0")), "never \"0 h ago\"");
    server.advance_clock("3h");
    // Three idle hours end the session: sign in again on the moved clock.
    let admin = server.signed_in("admin");
    let page = admin.get("/admin/trust");
    assert!(page.body.contains(&hours("3")), "{}", page.body);
    assert!(!page.body.contains(&ftl(&lang, "time-just-now")));
}
