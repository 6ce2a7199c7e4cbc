//! Signatures on document versions over the API (I385 §57–§59), against the real server and
//! a real PKI made with openssl (`signatures/pki.rs`): the manifest to sign, signatures made
//! by `openssl cms -sign` accepted (201 `{valid:true, signer}`) or refused (422 naming the
//! reason), several signatures per version (§58), a changed stored byte invalidating every
//! signature of the version (§59), CRLs installed later (revoked later / invalid), and the
//! standing recomputed whenever it is read. Every verdict is compared with
//! `openssl cms -verify`.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::documents::post;
use crate::common::{Server, ftl};
use crate::signatures::pki::{Pki, openssl_accepts, openssl_sign, pki, unique, write_temp};

pub struct Portal {
    pub server: Server,
    pub doc: u64,
}

impl Portal {
    /// A server with the test CAs and CRLs trusted, agency MIN, an author, and `signers`
    /// (login, certificate) registered by the operator; one document with a text and two
    /// attachments readable by the whole agency.
    pub fn new(signers: &[(&str, &str)]) -> Portal {
        Portal::on(Server::start(), signers)
    }

    /// The same portal on a server the caller started (e.g. with a controllable clock).
    pub fn on(server: Server, signers: &[(&str, &str)]) -> Portal {
        let pki = pki();
        server.add_agency("MIN");
        server.add_agency("OTHER");
        server.add_user("author", "MIN", &["employee"]);
        server.add_user("outsider", "OTHER", &["employee"]);
        let p = |name: &str| pki.path(name).to_str().unwrap().to_owned();
        server.cli(&["trust", "add", &p("trusted.pem")], None).ok();
        server.cli(&["trust", "crl", &p("root/crl.pem")], None).ok();
        server.cli(&["trust", "crl", &p("inter/crl.pem")], None).ok();
        for (login, cert) in signers {
            server.add_user(login, "MIN", &["employee", "head"]);
            if !cert.is_empty() {
                server
                    .cli(&["cert", "register", "--login", login, &p(&format!("{cert}.pem"))], None)
                    .ok();
            }
        }
        let author = server.signed_in("author");
        let res = post(
            &author,
            &json!({"title": "Об утверждении Правил — жоба", "text": "Бірінші бап.\nПервая статья.",
                "access": "agency"}),
            &[
                ("Қосымша 1.pdf", pdf()),
                ("ескерту.txt", "Ескерту: жобаға түсініктеме.\n".repeat(40).into_bytes()),
            ],
        );
        assert_eq!(res.status, 201, "{}", res.body);
        let doc = res.json()["id"].as_u64().unwrap();
        Portal { server, doc }
    }

    pub fn manifest(&self, client: &Client, n: u32) -> Vec<u8> {
        let res = client.get(&format!("/api/v1/documents/{}/versions/{n}/manifest", self.doc));
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(res.header("content-type").unwrap().starts_with("text/plain"));
        res.body.into_bytes()
    }

    pub fn submit(
        &self,
        client: &Client,
        n: u32,
        sig: Vec<u8>,
        content_type: &str,
    ) -> (u16, Value) {
        let token = client.csrf().unwrap();
        let res = client.send(
            "POST",
            &format!("/api/v1/documents/{}/versions/{n}/signatures", self.doc),
            &[("x-csrf-token", token.as_str())],
            Some((content_type, sig)),
        );
        (res.status, res.json())
    }

    pub fn list(&self, client: &Client, n: u32) -> Vec<Value> {
        let (status, body) =
            client.get_json(&format!("/api/v1/documents/{}/versions/{n}/signatures", self.doc));
        assert_eq!(status, 200, "{body}");
        body["signatures"].as_array().unwrap().clone()
    }

    /// Signs this version's manifest as `login` with `openssl cms -sign` and submits it.
    pub fn sign(&self, login: &str, cert: &str, extra: &[&str]) -> (u16, Value, Vec<u8>, Vec<u8>) {
        let pki = pki();
        let client = self.server.signed_in(login);
        let manifest = self.manifest(&client, 1);
        let path = write_temp(pki, &manifest);
        let sig = openssl_sign(pki, cert, &path, "sha256", extra);
        let (status, body) = self.submit(&client, 1, sig.clone(), "application/pkcs7-signature");
        (status, body, sig, manifest)
    }
}

/// A small PDF as a PDF writer ends one.
fn pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    out.extend(b"% appendix one\n".repeat(300));
    out.extend(b"1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

fn trusted_with_crls(pki: &Pki, crl: &std::path::Path) -> String {
    let name = format!("trusted+crl-{}.pem", unique());
    let mut all = pki.read("trusted.pem");
    all.extend(pki.read("root/crl.pem"));
    all.extend(std::fs::read(crl).unwrap());
    std::fs::write(pki.path(&name), all).unwrap();
    name
}

#[test]
fn i385_59_openssl_signatures_by_registered_certificates_are_accepted_and_listed() {
    let pki = pki();
    let portal = Portal::new(&[("head.rsa", "rsa"), ("head.p256", "p256"), ("head.p384", "p384")]);
    let client = portal.server.signed_in("head.rsa");
    let manifest = portal.manifest(&client, 1);
    let text = String::from_utf8(manifest.clone()).unwrap();
    assert!(text.starts_with("IPGO-SIGNING-MANIFEST 1\n"), "{text}");
    assert!(text.contains(&format!("document: {}\n", portal.doc)));
    assert!(text.contains("name=Қосымша 1.pdf\n") && text.contains("files: 2\n"), "{text}");

    // Detached with signed attributes, attached (-nodetach), and without attributes.
    let cases: [(&str, &str, &[&str]); 3] = [
        ("head.rsa", "rsa", &[]),
        ("head.p256", "p256", &["-nodetach"]),
        ("head.p384", "p384", &["-noattr"]),
    ];
    for (login, cert, extra) in cases {
        let (status, body, sig, signed) = portal.sign(login, cert, extra);
        assert_eq!(status, 201, "{login} {extra:?}: {body}");
        assert_eq!(body["valid"], true);
        assert_eq!(body["status"], "valid");
        assert!(body["signer"]["subject"].as_str().unwrap().contains(&format!("User {cert}")));
        assert!(body["signer"]["iin"].as_str().unwrap().starts_with("IIN8801013"), "{body}");
        assert!(body["signer"]["issuer"].as_str().unwrap().contains("Test Issuing CA"));
        assert!(body["signing_time"].is_string());
        assert_eq!(signed, manifest, "every signer gets the same bytes");
        assert!(openssl_accepts(pki, &sig, &manifest, Some("trusted+crls.pem"), &[]));
    }

    // §58: several signatures on one version, each with its status.
    let list = portal.list(&client, 1);
    assert_eq!(list.len(), 3, "{list:?}");
    assert!(list.iter().all(|s| s["status"] == "valid" && s["valid"] == true), "{list:?}");

    // The same certificate cannot sign the same version twice.
    let (status, body, _, _) = portal.sign("head.rsa", "rsa", &[]);
    assert_eq!(status, 409, "{body}");

    // NCALayer returns base64: accepted as the body too (another document, same signer).
    let other_doc = {
        let author = portal.server.signed_in("author");
        let res = post(&author, &json!({"title": "Екінші", "text": "x"}), &[]);
        res.json()["id"].as_u64().unwrap()
    };
    let c = portal.server.signed_in("head.p256");
    let m = c.get(&format!("/api/v1/documents/{other_doc}/versions/1/manifest")).body;
    let sig = openssl_sign(pki, "p256", &write_temp(pki, m.as_bytes()), "sha256", &[]);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&sig);
    let token = c.csrf().unwrap();
    let res = c.send(
        "POST",
        &format!("/api/v1/documents/{other_doc}/versions/1/signatures"),
        &[("x-csrf-token", token.as_str())],
        Some(("text/plain", b64.into_bytes())),
    );
    assert_eq!(res.status, 201, "{}", res.body);

    // Every accepted signature is in the access log with its signer.
    let entries = portal.server.audit_entries();
    let submits: Vec<&Value> =
        entries.iter().filter(|e| e["operation"] == "signature.submit").collect();
    assert_eq!(submits.iter().filter(|e| e["outcome"] == "ok").count(), 4, "{submits:?}");
    assert!(submits.iter().any(|e| e["detail"]["subject"].as_str().unwrap_or("").contains("p384")));
}

#[test]
fn i385_57_each_bad_case_is_refused_naming_its_reason_and_openssl_agrees() {
    let pki = pki();
    let portal = Portal::new(&[
        ("signer", "rsa"),
        ("expired", ""),
        ("revoked", ""),
        ("untrusted", ""),
        ("nosign", ""),
        ("notreg", ""),
    ]);
    // Registration itself refuses what cannot sign; those certificates stay unregistered.
    for who in ["expired", "revoked", "untrusted", "nosign"] {
        let cert = pki.path(&format!("{who}.pem"));
        let out =
            portal.server.cli(&["cert", "register", "--login", who, cert.to_str().unwrap()], None);
        assert_ne!(out.code, 0, "{who} registered: {}", out.stdout);
    }

    let client = portal.server.signed_in("signer");
    let lang = client.get_json("/api/v1/me").1["lang"].as_str().unwrap_or("ru").to_owned();
    let manifest = portal.manifest(&client, 1);
    let m = write_temp(pki, &manifest);
    let mut changed = manifest.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x01;
    let changed_path = write_temp(pki, &changed);
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("expired", "expired", openssl_sign(pki, "expired", &m, "sha256", &[]), "expired"),
        ("revoked", "revoked", openssl_sign(pki, "revoked", &m, "sha256", &[]), "revoked"),
        (
            "untrusted CA",
            "untrusted",
            openssl_sign(pki, "untrusted", &m, "sha256", &[]),
            "untrusted_chain",
        ),
        (
            "no signing key usage",
            "nosign",
            openssl_sign(pki, "nosign", &m, "sha256", &[]),
            "key_usage",
        ),
        (
            "not registered",
            "notreg",
            openssl_sign(pki, "notreg", &m, "sha256", &[]),
            "not_registered",
        ),
        (
            "a changed manifest byte",
            "signer",
            openssl_sign(pki, "rsa", &changed_path, "sha256", &[]),
            "digest_mismatch",
        ),
        (
            "a changed manifest byte, attached",
            "signer",
            openssl_sign(pki, "rsa", &changed_path, "sha256", &["-nodetach"]),
            "content_mismatch",
        ),
        (
            "someone else's registered certificate",
            "notreg",
            openssl_sign(pki, "rsa", &m, "sha256", &[]),
            "not_registered",
        ),
    ];
    for (what, login, sig, reason) in cases {
        let c = portal.server.signed_in(login);
        let (status, body) = portal.submit(&c, 1, sig.clone(), "application/pkcs7-signature");
        assert_eq!(status, 422, "{what}: {body}");
        assert_eq!(body["code"], "signature_rejected", "{what}: {body}");
        assert_eq!(body["detail"], reason, "{what}: {body}");
        let key = format!("sign-reason-{}", reason.replace('_', "-"));
        assert!(
            body["message"].as_str().unwrap().contains(&ftl(&lang, &key)),
            "{what}: the message explains the reason: {body}"
        );
        // OpenSSL knows no accounts: it accepts what only registration refuses (a portal
        // rule) and refuses every other case.
        let openssl = openssl_accepts(pki, &sig, &manifest, Some("trusted+crls.pem"), &[]);
        assert_eq!(openssl, reason == "not_registered", "{what}: openssl says {openssl}");
    }
    assert!(portal.list(&client, 1).is_empty(), "nothing refused was stored");
    let refused = portal
        .server
        .audit_entries()
        .into_iter()
        .filter(|e| e["operation"] == "signature.submit" && e["status"] == 422)
        .count();
    assert_eq!(refused, 8, "each refusal is logged with its reason");
}

/// Finds the blob files of the data directory.
fn blobs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(blobs(&p));
        } else if p.file_name().unwrap().len() == 64 {
            out.push(p);
        }
    }
    out
}

#[test]
fn i385_59_a_changed_byte_of_a_stored_attachment_invalidates_every_signature_of_the_version() {
    let portal = Portal::new(&[("head.a", "rsa"), ("head.b", "p256")]);
    for (login, cert) in [("head.a", "rsa"), ("head.b", "p256")] {
        assert_eq!(portal.sign(login, cert, &[]).0, 201);
    }
    let client = portal.server.signed_in("head.a");
    assert!(portal.list(&client, 1).iter().all(|s| s["status"] == "valid"));

    let files = blobs(&portal.server.data.join("blobs"));
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        let original = std::fs::read(file).unwrap();
        let mut bytes = original.clone();
        let at = bytes.len() - 20;
        bytes[at] ^= 0x01;
        std::fs::write(file, &bytes).unwrap();
        let list = portal.list(&client, 1);
        assert_eq!(list.len(), 2);
        for s in &list {
            assert_eq!(s["status"], "invalid", "{s}");
            assert_eq!(s["reason"], "digest_mismatch", "{s}");
        }
        // Put back: the standing is computed on every read, so it is valid again.
        std::fs::write(file, &original).unwrap();
        assert!(portal.list(&client, 1).iter().all(|s| s["status"] == "valid"));
    }
}

#[test]
fn i385_58_a_crl_installed_later_marks_signatures_revoked_later_or_invalid() {
    let pki = pki();
    let (early, late) = (format!("early{}", unique()), format!("late{}", unique()));
    pki.issue(&early, "p256", "v3_sign");
    pki.issue(&late, "rsa", "v3_sign");
    let portal = Portal::new(&[("head.early", early.as_str()), ("head.late", late.as_str())]);
    // The CA revokes `early` before it signs; the portal's CRL does not know yet.
    pki.revoke(&early);
    let (status, body, early_sig, manifest) = portal.sign("head.early", &early, &[]);
    assert_eq!(status, 201, "accepted: the CRL in force lists nothing: {body}");
    let (status, _, late_sig, _) = portal.sign("head.late", &late, &[]);
    assert_eq!(status, 201);
    // Revocation dates have a one-second resolution.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    pki.revoke(&late);
    let crl = pki.issuing_crl(&format!("crl-{}.pem", unique()));

    let out = portal.server.cli(&["trust", "crl", crl.to_str().unwrap()], None).ok();
    assert!(out.stdout.contains("is now revoked_later"), "{}", out.stdout);
    assert!(out.stdout.contains("is now invalid"), "{}", out.stdout);

    let client = portal.server.signed_in("author");
    let list = portal.list(&client, 1);
    let by_subject = |name: &str| {
        list.iter()
            .find(|s| s["signer"]["subject"].as_str().unwrap().contains(name))
            .unwrap_or_else(|| panic!("{name} in {list:?}"))
            .clone()
    };
    let late_view = by_subject(&late);
    assert_eq!(late_view["status"], "revoked_later", "{late_view}");
    assert_eq!(late_view["reason"], "revoked");
    assert!(late_view["revoked_at"].as_str().unwrap() > late_view["submitted"].as_str().unwrap());
    let early_view = by_subject(&early);
    assert_eq!(early_view["status"], "invalid", "revoked before it was accepted: {early_view}");
    assert_eq!(early_view["reason"], "revoked");

    // OpenSSL with the new CRL refuses both (it has no notion of "revoked later").
    let bundle = trusted_with_crls(pki, &crl);
    assert!(!openssl_accepts(pki, &early_sig, &manifest, Some(&bundle), &[]));
    assert!(!openssl_accepts(pki, &late_sig, &manifest, Some(&bundle), &[]));

    // The signer and the author are told once: a newer CRL listing the same certificates
    // changes nothing more.
    let newer = pki.issuing_crl(&format!("crl-{}.pem", unique()));
    let out = portal.server.cli(&["trust", "crl", newer.to_str().unwrap()], None).ok();
    assert!(!out.stdout.contains("is now"), "{}", out.stdout);
    let revoked: Vec<Value> = portal
        .server
        .audit_entries()
        .into_iter()
        .filter(|e| e["operation"] == "signature.revoked")
        .collect();
    assert_eq!(revoked.len(), 2, "{revoked:?}");
    assert!(revoked.iter().any(|e| e["detail"]["status"] == "revoked_later"));
}

#[test]
fn standings_follow_the_trust_store_when_it_changes() {
    let portal = Portal::new(&[("head.a", "p384")]);
    assert_eq!(portal.sign("head.a", "p384", &[]).0, 201);
    let client = portal.server.signed_in("head.a");
    let root = pki().path("root/cert.pem");
    let fingerprint = {
        let out = portal.server.cli(&["trust", "list"], None).ok().stdout;
        out.lines()
            .find(|l| l.starts_with("root\t") && l.contains("Test Root CA"))
            .and_then(|l| l.split('\t').nth(1))
            .unwrap()
            .to_owned()
    };
    portal.server.cli(&["trust", "remove", &fingerprint], None).ok();
    let list = portal.list(&client, 1);
    assert_eq!(list[0]["status"], "invalid", "{list:?}");
    assert_eq!(list[0]["reason"], "untrusted_chain");
    portal.server.cli(&["trust", "add", root.to_str().unwrap()], None).ok();
    assert_eq!(portal.list(&client, 1)[0]["status"], "valid");
}

#[test]
fn only_readers_of_the_document_see_its_manifest_and_sign_it() {
    let portal = Portal::new(&[("head.a", "rsa")]);
    let outsider = portal.server.signed_in("outsider");
    let doc = portal.doc;
    for path in [
        format!("/api/v1/documents/{doc}/versions/1/manifest"),
        format!("/api/v1/documents/{doc}/versions/1/signatures"),
    ] {
        // A.11: a document one may not read is not found.
        assert_eq!(outsider.get(&path).status, 404, "{path}");
    }
    let (status, _) =
        portal.submit(&outsider, 1, b"\x30\x00".to_vec(), "application/pkcs7-signature");
    assert_eq!(status, 404);
    let head = portal.server.signed_in("head.a");
    assert_eq!(head.get(&format!("/api/v1/documents/{doc}/versions/9/manifest")).status, 404);
    assert_eq!(head.get(&format!("/api/v1/documents/{doc}/versions/9/signatures")).status, 404);
    // Garbage is refused as malformed, not as a server error.
    let (status, body) = portal.submit(&head, 1, b"hello".to_vec(), "application/pkcs7-signature");
    assert_eq!((status, body["detail"].as_str()), (422, Some("malformed")), "{body}");
}

/// `ipgo verify-package FILE [ARGS]` (no data directory): exit code and output.
fn verify_package(file: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(crate::common::server::BIN)
        .arg("verify-package")
        .arg(file)
        .args(args)
        .env("IPGO_LOG", "warn")
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The package with one byte of member `victim` changed (every other member copied as is).
fn with_changed_member(package: &[u8], victim: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let method = f.compression();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == victim {
            let at = bytes.len() / 2;
            // Hex and text members stay printable; binary ones just change.
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        }
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        out.start_file(name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn member_names(package: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned()).collect()
}

fn member(package: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn i385_59_an_evidence_package_verifies_offline_and_a_changed_byte_in_any_member_is_named() {
    let pki = pki();
    let portal = Portal::new(&[("head.a", "rsa"), ("head.b", "p256")]);
    for (login, cert) in [("head.a", "rsa"), ("head.b", "p256")] {
        assert_eq!(portal.sign(login, cert, &[]).0, 201);
    }
    let client = portal.server.signed_in("author");
    let (status, headers, package) = crate::common::documents::download(
        &client,
        &format!("/api/v1/documents/{}/versions/1/evidence", portal.doc),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&package));
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(header("content-type").as_deref(), Some("application/vnd.etsi.asic-e+zip"));
    assert_eq!(header("x-content-sha256"), Some(crate::common::documents::sha256(&package)));
    let names = member_names(&package);
    assert_eq!(names[0], "mimetype", "ASiC: mimetype first");
    assert_eq!(member(&package, "mimetype"), b"application/vnd.etsi.asic-e+zip");
    for expected in [
        "signing-manifest.txt",
        "document/text.txt",
        "document/files/1/ескерту.txt",
        "document/files/2/Қосымша 1.pdf",
        "META-INF/manifest.xml",
        "META-INF/verification-report.json",
        "META-INF/access-log.jsonl",
        "META-INF/package.json",
        "META-INF/package.sig",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.ends_with(".p7s")).count(), 2);
    assert_eq!(names.iter().filter(|n| n.starts_with("META-INF/crls/")).count(), 2, "{names:?}");
    assert!(names.iter().filter(|n| n.starts_with("META-INF/certificates/")).count() >= 4);
    let log = String::from_utf8(member(&package, "META-INF/access-log.jsonl")).unwrap();
    assert!(log.contains("\"document.create\"") && log.contains("\"signature.submit\""), "{log}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.zip");
    std::fs::write(&path, &package).unwrap();
    let (code, out) = verify_package(&path, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches(": valid by ").count(), 2, "{out}");

    // Standard tools check the signatures too: each covers signing-manifest.txt.
    let manifest = member(&package, "signing-manifest.txt");
    for name in names.iter().filter(|n| n.ends_with(".p7s")) {
        let sig = member(&package, name);
        assert!(openssl_accepts(pki, &sig, &manifest, Some("trusted+crls.pem"), &[]), "{name}");
    }
    // Pinned roots and appliance key: the right ones pass, foreign ones fail.
    let index: Value = serde_json::from_slice(&member(&package, "META-INF/package.json")).unwrap();
    let key = index["appliance_public_key"].as_str().unwrap();
    let root = pki.path("root/cert.pem");
    let (code, out) =
        verify_package(&path, &["--trust", root.to_str().unwrap(), "--appliance-key", key]);
    assert_eq!(code, 0, "{out}");
    let rogue = pki.path("rogue/cert.pem");
    let (code, out) = verify_package(&path, &["--trust", rogue.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("untrusted_chain"), "{out}");
    let (code, out) = verify_package(&path, &["--appliance-key", &"ab".repeat(32)]);
    assert_ne!(code, 0, "{out}");

    // One changed byte in any member is found and named.
    for victim in &names {
        let changed = with_changed_member(&package, victim);
        let bad = dir.path().join("changed.zip");
        std::fs::write(&bad, &changed).unwrap();
        let (code, out) = verify_package(&bad, &[]);
        assert_eq!(code, 3, "{victim}: {out}");
        let named = out.lines().any(|l| l.starts_with("FAIL") && l.contains(victim.as_str()));
        let index_itself = victim.starts_with("META-INF/package.");
        assert!(
            named || (index_itself && out.contains("META-INF/package.json: its signature")),
            "{victim} not named:\n{out}"
        );
    }
}

#[test]
fn i385_58_a_signature_stays_valid_when_its_certificate_expires_or_the_crl_ages_after_acceptance() {
    let pki = pki();
    let name = format!("brief{}", unique());
    // An hour of validity for both, then the portal's clock moves two hours on: no real
    // waiting, and no race with a slow machine between issuing and signing.
    let until = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    pki.issue_until(&name, "p256", &until.strftime("%Y%m%d%H%M%SZ").to_string());
    let server = Server::builder().controllable_clock().start();
    let portal = Portal::on(server, &[("head.brief", name.as_str()), ("head.rsa", "rsa")]);
    // A CRL due again in an hour, as if the next one never came into the closed network.
    let crl = pki.issuing_crl_with(&format!("crl-{}.pem", unique()), &["-crlsec", "3600"]);
    portal.server.cli(&["trust", "crl", crl.to_str().unwrap()], None).ok();
    let (status, body, _, _) = portal.sign("head.brief", &name, &[]);
    assert_eq!(status, 201, "{body}");
    portal.server.advance_clock("2h");
    // Both the certificate and the CRL have run out since: the signature was made and
    // accepted while both were good, so it stays valid.
    let client = portal.server.signed_in("author");
    let list = portal.list(&client, 1);
    assert_eq!(list[0]["status"], "valid", "{list:?}");
    // A new signature now is refused: the CRL is stale.
    let (status, body, _, _) = portal.sign("head.rsa", "rsa", &[]);
    assert_eq!((status, body["detail"].as_str()), (422, Some("crl_stale")), "{body}");
}

#[test]
fn the_document_page_shows_manifest_and_signatures_and_takes_a_signature_file_without_javascript() {
    let pki = pki();
    let portal = Portal::new(&[("head.a", "rsa"), ("head.b", "p256")]);
    assert_eq!(portal.sign("head.a", "rsa", &[]).0, 201);
    let client = portal.server.signed_in("head.b");
    let lang = client.get_json("/api/v1/me").1["lang"].as_str().unwrap().to_owned();
    let doc = portal.doc;
    let page = client.get(&format!("/documents/{doc}"));
    assert_eq!(page.status, 200);
    let manifest = portal.manifest(&client, 1);
    for line in String::from_utf8(manifest.clone()).unwrap().lines().skip(3) {
        assert!(page.body.contains(line), "the page shows the manifest line {line:?}");
    }
    for expected in [
        "User rsa".to_owned(),
        "IIN8801013".to_owned(),
        "Test Issuing CA (RSA)".to_owned(),
        ftl(&lang, "signature-status-valid"),
        format!("/documents/{doc}/versions/1/manifest?download=1"),
        format!("/documents/{doc}/versions/1/evidence"),
        format!("action=\"/documents/{doc}/versions/1/signatures\""),
    ] {
        assert!(page.body.contains(&expected), "{expected:?} not on the page");
    }
    assert!(!page.body.contains("?csrf="), "no token in any address of the page");
    let download = client.get(&format!("/documents/{doc}/versions/1/manifest?download=1"));
    assert_eq!(download.body.as_bytes(), manifest.as_slice());
    assert!(download.header("content-disposition").unwrap().starts_with("attachment"));

    // The form without JavaScript: multipart, the CSRF token its first field.
    let upload = |sig: Vec<u8>| {
        let part = crate::common::documents::Part {
            name: "signature",
            file_name: Some("manifest.p7s"),
            content_type: "application/pkcs7-signature",
            bytes: sig,
        };
        let path = format!("/documents/{doc}/versions/1/signatures");
        crate::common::documents::post_form_parts(&client, &path, vec![part])
    };
    let m = write_temp(pki, &manifest);
    let res = upload(openssl_sign(pki, "p256", &m, "sha256", &["-nodetach"]));
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        res.header("location"),
        Some(format!("/documents/{doc}?version=1&done=done-signed#signatures").as_str())
    );
    let page = client.get(&format!("/documents/{doc}"));
    assert_eq!(page.body.matches("data-status=\"valid\"").count(), 2);
    // A refusal is an explained page, not a bare code.
    let res = upload(openssl_sign(pki, "rsa", &m, "sha256", &[]));
    assert_eq!(res.status, 422);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert!(res.body.contains(&ftl(&lang, "sign-reason-not-registered")), "{}", res.body);
    // Without the token the upload is refused.
    let part = crate::common::documents::Part {
        name: "signature",
        file_name: Some("x.p7s"),
        content_type: "application/octet-stream",
        bytes: b"x".to_vec(),
    };
    let (content_type, body) = crate::common::documents::multipart(&[part]);
    let res = client.send(
        "POST",
        &format!("/documents/{doc}/versions/1/signatures"),
        &[],
        Some((&content_type, body)),
    );
    assert_eq!(res.status, 403);

    // A changed stored byte: the page says so for every signature, with the reason.
    let file = blobs(&portal.server.data.join("blobs")).remove(0);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let page = client.get(&format!("/documents/{doc}"));
    assert_eq!(page.body.matches("data-status=\"invalid\"").count(), 2);
    assert_eq!(page.body.matches("data-reason=\"digest_mismatch\"").count(), 2);
    assert!(page.body.contains(&ftl(&lang, "sign-reason-digest-mismatch")));
}
