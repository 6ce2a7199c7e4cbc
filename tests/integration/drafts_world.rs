//! The world of the draft-approval tests (issue 7; I385 §11–§25): a developer ministry,
//! three approving ones, the Chancellery and a stranger, heads with signing certificates of
//! a real test PKI, mail to a real SMTP server; and the steps other workflows' tests reuse
//! (a draft created, signed by its developer, approved).
use std::process::Command;

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::documents::{file, meta, post_parts};
use crate::common::smtp::Smtp;
use crate::common::{PASSWORD, Server};
use crate::signatures::pki::{person, pki};

/// A portal with a developer ministry, three approving ones, the Chancellery and a
/// stranger; heads with registered signing certificates; mail to a real SMTP server.
pub(crate) struct World {
    pub(crate) server: Server,
    pub(crate) smtp: Smtp,
    pub(crate) tag: String,
}

pub(crate) const AGENCIES: &[&str] = &["DEV", "FIN", "ECO", "JUS", "KPM", "OTHER"];

pub(crate) fn world(tag: &str) -> World {
    world_with(tag, true)
}

/// `public_url`: links in mail point at `https://portal.ipgo.test` (then browsers on the
/// test's loopback address fail the Origin check, as they should).
pub(crate) fn world_with(tag: &str, public_url: bool) -> World {
    world_built(tag, public_url, Server::builder())
}

/// The same portal on a server whose clock the test moves.
pub(crate) fn world_with_clock(tag: &str) -> World {
    world_built(tag, true, Server::builder().controllable_clock())
}

pub(crate) fn world_built(
    tag: &str,
    public_url: bool,
    builder: crate::common::server::ServerBuilder,
) -> World {
    let smtp = Smtp::start();
    let mut builder = builder.mail_to(smtp.port).env("IPGO_DRAFTS__CHANCELLERY_AGENCY", "KPM");
    if public_url {
        builder = builder.env("IPGO_SERVER__PUBLIC_URL", "https://portal.ipgo.test");
    }
    let server = builder.start();
    for a in AGENCIES {
        server.add_agency(a);
    }
    let people: &[(&str, &str, &[&str])] = &[
        ("dev", "DEV", &["employee"]),
        ("devhead", "DEV", &["employee", "head"]),
        ("fin", "FIN", &["employee"]),
        ("finhead", "FIN", &["employee", "head"]),
        ("ecohead", "ECO", &["employee", "head"]),
        ("jushead", "JUS", &["employee", "head"]),
        ("okdo", "KPM", &["employee", "okdo_officer"]),
        ("stranger", "OTHER", &["employee", "head"]),
    ];
    let p = pki();
    server
        .cli(
            &[
                "trust",
                "add",
                p.path("root/cert.pem").to_str().unwrap(),
                p.path("inter/cert.pem").to_str().unwrap(),
            ],
            None,
        )
        .ok();
    server.cli(&["trust", "crl", p.path("root/crl.pem").to_str().unwrap()], None).ok();
    server.cli(&["trust", "crl", p.path("inter/crl.pem").to_str().unwrap()], None).ok();
    for (login, agency, roles) in people {
        let email = format!("{login}@ipgo.test");
        let mut args = vec![
            "user",
            "add",
            "--login",
            login,
            "--agency",
            agency,
            "--email",
            &email,
            "--password-stdin",
        ];
        for r in *roles {
            args.push("--role");
            args.push(r);
        }
        server.cli(&args, Some(PASSWORD)).ok();
        if login.ends_with("head") || *login == "stranger" {
            let (cert, _) = person(&format!("{tag}-{login}"));
            server.cli(&["cert", "register", "--login", login, cert.to_str().unwrap()], None).ok();
        }
    }
    World { server, smtp, tag: tag.to_owned() }
}

impl World {
    pub(crate) fn client(&self, login: &str) -> Client {
        self.server.signed_in(login)
    }

    /// Signs `content` as `login` with `openssl cms` (detached, DER, SHA-256).
    pub(crate) fn sign(&self, login: &str, content: &[u8]) -> Vec<u8> {
        let (cert, key) = person(&format!("{}-{login}", self.tag));
        openssl_cms_sign(&cert, &key, content)
    }

    pub(crate) fn sign_version(
        &self,
        login: &str,
        client: &Client,
        doc: u64,
        version: u64,
    ) -> Vec<u8> {
        let manifest = client.get(&format!("/api/v1/documents/{doc}/versions/{version}/manifest"));
        assert_eq!(manifest.status, 200, "{}", manifest.body);
        self.sign(login, manifest.body.as_bytes())
    }
}

/// A detached DER CMS signature over `content` with `openssl cms` (SHA-256).
pub(crate) fn openssl_cms_sign(
    cert: &std::path::Path,
    key: &std::path::Path,
    content: &[u8],
) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("content");
    std::fs::write(&input, content).unwrap();
    let out = dir.path().join("sig.der");
    let status = Command::new("openssl")
        .args(["cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256"])
        .arg("-in")
        .arg(&input)
        .arg("-signer")
        .arg(cert)
        .arg("-inkey")
        .arg(key)
        .arg("-out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

pub(crate) fn post_cms(client: &Client, path: &str, cms: Vec<u8>) -> (u16, Value) {
    let csrf = client.csrf().unwrap();
    let res = client.send(
        "POST",
        path,
        &[("x-csrf-token", &csrf)],
        Some(("application/pkcs7-signature", cms)),
    );
    (res.status, res.json())
}

pub(crate) fn create_draft(w: &World, title: &str) -> Value {
    let dev = w.client("dev");
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[
            meta(
                &json!({"title": title, "text": "Бірінші бап.\nЕкінші бап.\n", "approving": ["FIN", "ECO", "JUS"]}),
            ),
            file("Жоба.txt", "Нормативтік құқықтық акт жобасының мәтіні".as_bytes().to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let draft = res.json();
    assert_eq!(draft["stage"], "awaiting_developer_signature");
    draft
}

pub(crate) fn developer_signs(w: &World, draft: &Value) -> Value {
    let id = draft["id"].as_u64().unwrap();
    let head = w.client("devhead");
    let cms = w.sign_version(
        "devhead",
        &head,
        draft["document_id"].as_u64().unwrap(),
        draft["version"].as_u64().unwrap(),
    );
    let (status, body) = post_cms(&head, &format!("/api/v1/drafts/{id}/developer-signature"), cms);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], "on_approval");
    body
}

pub(crate) fn approve(w: &World, id: u64, register_as: &str, head: &str) -> Value {
    let c = w.client(register_as);
    let (status, body) = c.post_json(
        &format!("/api/v1/drafts/{id}/letter"),
        &json!({"number": format!("01-{head}/77")}),
    );
    assert_eq!(status, 200, "{body}");
    let h = w.client(head);
    let cms = w.sign_version(
        head,
        &h,
        body["document_id"].as_u64().unwrap(),
        body["version"].as_u64().unwrap(),
    );
    let (status, body) = post_cms(&h, &format!("/api/v1/drafts/{id}/approval"), cms);
    assert_eq!(status, 200, "{body}");
    body
}
