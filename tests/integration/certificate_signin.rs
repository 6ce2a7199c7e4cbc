//! Signing in with a certificate instead of a password (I385 §57, §61): mutual TLS against
//! the trust store, with real TLS clients (ureq over rustls) presenting certificates made
//! by openssl. The TLS layer admits only certificates that chain to a trusted root, are
//! valid, allow client authentication and are not revoked; the portal then requires the
//! certificate to be registered, active, to an active account.

use serde_json::Value;

use crate::common::client::Client;
use crate::common::{PASSWORD, Server, ftl};
use crate::signatures::pki::{pki, unique};

fn with_cert(server: &Server, name: &str) -> Client {
    let pki = pki();
    Client::with_certificate(
        server,
        &pki.read(&format!("{name}.pem")),
        &pki.read(&format!("{name}.key")),
    )
}

#[test]
fn i385_61_a_registered_certificate_signs_in_over_mutual_tls_and_others_are_refused() {
    let pki = pki();
    let (auth, stranger, pending, revoked, dropped, rogue) = (
        format!("auth{}", unique()),
        format!("authx{}", unique()),
        format!("authp{}", unique()),
        format!("authr{}", unique()),
        format!("authd{}", unique()),
        format!("authu{}", unique()),
    );
    for name in [&auth, &stranger, &pending, &revoked, &dropped] {
        pki.issue(name, "p256", "v3_auth");
    }
    pki.issue_from("rogue", &rogue, "p256", "v3_auth");
    pki.revoke(&revoked);
    let crl = pki.issuing_crl(&format!("crl-{}.pem", unique()));

    let server = Server::builder().tls().start();
    server.add_agency("MIN");
    server.add_user("head", "MIN", &["employee", "head"]);
    server.add_user("waiting", "MIN", &["employee"]);
    server.add_user("leaver", "MIN", &["employee"]);
    let p = |n: &str| pki.path(n).to_str().unwrap().to_owned();
    // Before any CA is trusted, no certificate is asked for: password sign-in as ever.
    let (status, _) = with_cert(&server, &auth).try_login("head", PASSWORD);
    assert_eq!(status, 200);
    server.cli(&["trust", "add", &p("trusted.pem")], None).ok();
    server.cli(&["trust", "crl", &p("root/crl.pem")], None).ok();
    server.cli(&["trust", "crl", crl.to_str().unwrap()], None).ok();
    server.cli(&["cert", "register", "--login", "head", &p(&format!("{auth}.pem"))], None).ok();
    server
        .cli(&["cert", "register", "--login", "leaver", &p(&format!("{dropped}.pem"))], None)
        .ok();

    // A registered authentication certificate: a session without a password.
    let client = with_cert(&server, &auth);
    let (status, body) = client.post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["login"], "head");
    client.set_csrf(body["csrf"].as_str());
    let (status, me) = client.get_json("/api/v1/me");
    assert_eq!((status, me["login"].as_str()), (200, Some("head")));
    let lang = me["lang"].as_str().unwrap().to_owned();
    let entries = server.audit_entries();
    let signin = entries
        .iter()
        .rev()
        .find(|e| e["operation"] == "session.create" && e["outcome"] == "ok")
        .unwrap();
    assert_eq!(signin["detail"]["method"], "certificate");
    assert_eq!(signin["actor"], "head");

    // The page offers it, and its form signs in too.
    let browser_like = with_cert(&server, &auth);
    let page = browser_like.get("/login");
    assert!(page.body.contains(&format!("User {auth}")), "the login page names the certificate");
    let token =
        page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let res =
        browser_like.post_form("/login/certificate", &[("csrf", token), ("next", "/documents")]);
    assert_eq!((res.status, res.header("location")), (303, Some("/documents")), "{}", res.body);
    assert_eq!(browser_like.get("/documents").status, 200);

    // Trusted but not registered; registered by its holder but not confirmed yet.
    let (status, body) =
        with_cert(&server, &stranger).post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 401, "{body}");
    assert!(body["message"].as_str().unwrap().contains(&ftl(&lang, "cert-signin-not-registered")));
    let waiting = server.signed_in("waiting");
    let part = crate::common::documents::Part {
        name: "file",
        file_name: Some("me.pem"),
        content_type: "application/octet-stream",
        bytes: pki.read(&format!("{pending}.pem")),
    };
    let res = crate::common::documents::post_form_parts(&waiting, "/certificates", vec![part]);
    assert_eq!(
        res.header("location"),
        Some("/certificates?done=done-certificate-requested"),
        "{}",
        res.body
    );
    let (status, body) =
        with_cert(&server, &pending).post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains(&ftl(&lang, "sign-reason-registration-pending"))
    );

    // A disabled account, and a registration revoked locally.
    server.cli(&["user", "disable", "--login", "leaver"], None).ok();
    let (status, body) =
        with_cert(&server, &dropped).post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains(&ftl(&lang, "cert-signin-account-disabled"))
    );

    // The TLS layer refuses what the trust store does not admit: revoked by the CA, from
    // an untrusted CA, or a signing-only certificate (no client authentication).
    for name in [revoked.as_str(), rogue.as_str(), "rsa"] {
        let result = with_cert(&server, name).try_post("/api/v1/session/certificate");
        assert!(result.is_err(), "{name}: the handshake must fail, got {result:?}");
    }
    // Without a certificate: the password, and a clear answer from the certificate route.
    let plain = server.client();
    let (status, body) = plain.post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 401);
    assert!(body["message"].as_str().unwrap().contains(&ftl(&lang, "cert-signin-none")));
    assert_eq!(plain.try_login("head", PASSWORD).0, 200);

    // Revoking the registration ends certificate sign-in for it.
    let fingerprint = crate::common::documents::sha256(
        &ipgo::sign::x509::read_certificates(&pki.read(&format!("{auth}.pem"))).unwrap()[0].der,
    );
    server
        .cli(&["cert", "revoke", "--reason", "token lost", "--fingerprint", &fingerprint], None)
        .ok();
    let (status, body) =
        with_cert(&server, &auth).post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains(&ftl(&lang, "sign-reason-registration-revoked"))
    );
}
