//! GOST end to end through the real server (I385 §16–§19, §23, §57–§59): the GOST CAs and
//! GOST-signed CRLs imported with `ipgo trust`, heads' GOST certificates registered with
//! `ipgo cert register`; a head signs a document version with GOST 34.10-2015-512 under
//! the NCA's identifiers (as NCALayer sends it), a draft act is signed by its developer
//! (GOST 2015-256), approved with GOST 34.310-2004 (NCA identifiers, GOST 34.311-95 hash)
//! and voted on with signed ballots; a certificate revoked by the GOST-signed CRL is
//! refused naming the revocation. One server for the whole scenario.

use serde_json::{Value, json};

use super::kazakh;
use super::pki::{GostPki, cms_sign, gost_pki, unique};
use crate::common::Server;
use crate::common::client::Client;
use crate::common::documents::{file, meta, post, post_parts};

/// Who signs with which key: (login, agency, PKI user, `genpkey` algorithm).
const HEADS: &[(&str, &str, &str, &str)] = &[
    ("devhead", "DEV", "u256a", "gost2012_256"),
    ("finhead", "FIN", "u2001a", "gost2001"),
    ("ecohead", "ECO", "u512a", "gost2012_512"),
    ("revhead", "ECO", "revoked", "gost2012_512"),
];

fn head(login: &str) -> (&'static str, &'static str) {
    let (_, _, who, algorithm) = HEADS.iter().find(|h| h.0 == login).unwrap();
    (who, algorithm)
}

/// A CMS over `content` by `login`'s GOST key, under the NCA's identifiers when `kazakh`.
fn sign(pki: &GostPki, login: &str, content: &[u8], kazakh: bool) -> Vec<u8> {
    let (who, algorithm) = head(login);
    let standard = cms_sign(pki, who, algorithm, content, &[]);
    if !kazakh {
        return standard;
    }
    kazakh::cms(pki, &standard, content, algorithm, &format!("{who}.key"), None)
}

fn post_cms(client: &Client, path: &str, cms: Vec<u8>) -> (u16, Value) {
    let csrf = client.csrf().unwrap();
    let res = client.send(
        "POST",
        path,
        &[("x-csrf-token", &csrf)],
        Some(("application/pkcs7-signature", cms)),
    );
    (res.status, res.json())
}

fn manifest(client: &Client, doc: u64, version: u64) -> Vec<u8> {
    let res = client.get(&format!("/api/v1/documents/{doc}/versions/{version}/manifest"));
    assert_eq!(res.status, 200, "{}", res.body);
    res.body.into_bytes()
}

fn start(pki: &GostPki) -> Server {
    let server = Server::builder().env("IPGO_DRAFTS__CHANCELLERY_AGENCY", "KPM").start();
    for agency in ["DEV", "FIN", "ECO", "KPM"] {
        server.add_agency(agency);
    }
    server.add_user("dev", "DEV", &["employee"]);
    server.add_user("fin", "FIN", &["employee"]);
    server.add_user("okdo", "KPM", &["employee", "okdo_officer"]);
    let path = |name: &str| pki.path(name).to_str().unwrap().to_owned();
    server.cli(&["trust", "add", &path("trusted.pem")], None).ok();
    for (login, agency, who, _) in HEADS {
        server.add_user(login, agency, &["employee", "head"]);
        // Registered before the CRLs are installed: the revoked one registers too.
        server
            .cli(&["cert", "register", "--login", login, &path(&format!("{who}.pem"))], None)
            .ok();
    }
    for ca in ["root", "ca256", "ca2001"] {
        server.cli(&["trust", "crl", &path(&format!("{ca}/crl.pem"))], None).ok();
    }
    let listing = server.cli(&["trust", "list"], None).ok();
    assert!(listing.stdout.contains("GOST Test CA (34.310-2004)"), "{}", listing.stdout);
    server
}

#[test]
fn i385_16_23_57_gost_heads_sign_a_version_approve_a_draft_and_vote_and_a_revoked_one_is_refused() {
    let pki = gost_pki();
    let server = start(pki);

    // A document version signed by a head with GOST 2015-512, NCA encoding.
    let dev = server.signed_in("dev");
    let res = post(
        &dev,
        &json!({"title": "Ереже жобасы", "text": "Бірінші бап.", "access": "all"}),
        &[("Қосымша.txt", "Мәтін".as_bytes().to_vec())],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let doc = res.json()["id"].as_u64().unwrap();
    let eco = server.signed_in("ecohead");
    let content = manifest(&eco, doc, 1);
    let (status, body) = post_cms(
        &eco,
        &format!("/api/v1/documents/{doc}/versions/1/signatures"),
        sign(pki, "ecohead", &content, true),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["valid"], true, "{body}");
    let listed = eco.get_json(&format!("/api/v1/documents/{doc}/versions/1/signatures")).1;
    let first = &listed["signatures"][0];
    assert_eq!(first["status"], "valid", "{listed}");
    assert!(listed.to_string().contains("BIN123456789012"), "the BIN is shown: {listed}");

    // The revoked head: refused, naming the revocation.
    let rev = server.signed_in("revhead");
    let content = manifest(&rev, doc, 1);
    let (status, body) = post_cms(
        &rev,
        &format!("/api/v1/documents/{doc}/versions/1/signatures"),
        sign(pki, "revhead", &content, true),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"], "revoked", "{body}");

    // A draft act: developer signature (GOST 2015-256), approval (GOST 34.310-2004, NCA
    // encoding, GOST 34.311-95 hash), then a vote with signed ballots.
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[
            meta(
                &json!({"title": "О порядке ГОСТ", "text": "Бірінші бап.\n", "approving": ["FIN", "ECO"]}),
            ),
            file("Жоба.txt", "Нормативтік құқықтық акт жобасы".as_bytes().to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let draft = res.json();
    let id = draft["id"].as_u64().unwrap();
    let (draft_doc, version) =
        (draft["document_id"].as_u64().unwrap(), draft["version"].as_u64().unwrap());
    let devhead = server.signed_in("devhead");
    let content = manifest(&devhead, draft_doc, version);
    let (status, body) = post_cms(
        &devhead,
        &format!("/api/v1/drafts/{id}/developer-signature"),
        sign(pki, "devhead", &content, false),
    );
    assert_eq!((status, body["stage"].as_str()), (200, Some("on_approval")), "{body}");

    // FIN approves with GOST 34.310-2004, ECO with GOST 2015-512 (both NCA encoding).
    let fin = server.signed_in("fin");
    let finhead = server.signed_in("finhead");
    for (registrar, head, client) in [(&fin, "finhead", &finhead), (&eco, "ecohead", &eco)] {
        let letter = json!({"number": format!("01-{head}/77")});
        let (status, body) = registrar.post_json(&format!("/api/v1/drafts/{id}/letter"), &letter);
        assert_eq!(status, 200, "{body}");
        let content = manifest(client, draft_doc, version);
        let (status, body) = post_cms(
            client,
            &format!("/api/v1/drafts/{id}/approval"),
            sign(pki, head, &content, true),
        );
        assert_eq!(status, 200, "{head}: {body}");
    }
    let view = finhead.get_json(&format!("/api/v1/drafts/{id}")).1;
    assert_eq!(view["stage"], "at_chancellery", "{view}");
    let approvals = view["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2, "{view}");
    assert!(approvals.iter().all(|a| a["signature_status"] == "valid"), "{view}");

    let okdo = server.signed_in("okdo");
    let (status, body) =
        okdo.post_json(&format!("/api/v1/drafts/{id}/chancellery"), &json!({"accepted": true}));
    assert_eq!((status, body["stage"].as_str()), (200, Some("for_decision")), "{body}");
    let (status, body) = okdo
        .post_json(&format!("/api/v1/drafts/{id}/vote"), &json!({"heads": ["finhead", "ecohead"]}));
    assert_eq!((status, body["stage"].as_str()), (200, Some("voting")), "{body}");
    for (login, client, choice) in [("finhead", &finhead, "for"), ("ecohead", &eco, "against")] {
        let ballot = client.get(&format!("/api/v1/drafts/{id}/ballot?choice={choice}"));
        assert_eq!(ballot.status, 200, "{}", ballot.body);
        let (status, body) = post_cms(
            client,
            &format!("/api/v1/drafts/{id}/ballot?choice={choice}"),
            sign(pki, login, ballot.body.as_bytes(), true),
        );
        assert_eq!(status, 200, "{login}: {body}");
    }
    let view = okdo.get_json(&format!("/api/v1/drafts/{id}")).1;
    assert_eq!(
        (view["vote"]["for"].as_u64(), view["vote"]["against"].as_u64()),
        (Some(1), Some(1)),
        "{view}"
    );
}

/// Sign-in over mutual TLS goes through the same chain validation: an ECDSA authentication
/// certificate issued by a GOST 34.310-2004 CA under a GOST 2012-512 root (every link
/// and CRL a GOST signature) signs in. (A GOST end-entity key cannot sign the handshake;
/// see `web/client_cert.rs`.)
#[test]
fn i385_61_an_authentication_certificate_under_gost_cas_signs_in_over_mutual_tls() {
    let pki = gost_pki();
    let name = format!("auth{}", unique());
    pki.issue_p256(&name, "ca2001", "v3_auth");
    let server = Server::builder().tls().start();
    server.add_agency("MIN");
    server.add_user("head", "MIN", &["employee", "head"]);
    let path = |n: &str| pki.path(n).to_str().unwrap().to_owned();
    server.cli(&["trust", "add", &path("trusted.pem")], None).ok();
    for ca in ["root", "ca256", "ca2001"] {
        server.cli(&["trust", "crl", &path(&format!("{ca}/crl.pem"))], None).ok();
    }
    server.cli(&["cert", "register", "--login", "head", &path(&format!("{name}.pem"))], None).ok();
    let client = Client::with_certificate(
        &server,
        &pki.read(&format!("{name}.pem")),
        &pki.read(&format!("{name}.key")),
    );
    let (status, body) = client.post_json("/api/v1/session/certificate", &Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["login"], "head");
}
