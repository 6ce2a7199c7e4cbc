//! Digital signatures end to end (I385 §57–§59) against a real PKI that the tests make
//! with `openssl` (root and intermediate CAs, CRLs, users with RSA-2048, EC P-256/P-384 and
//! Ed25519 keys, expired, not-yet-valid, revoked, untrusted, non-signing and unregistered
//! certificates). Signatures come from `openssl cms -sign` (and GnuTLS `certtool` for
//! Ed25519, which OpenSSL 3.0 cannot put into CMS); every verdict is compared with
//! `openssl cms -verify` (`certtool --p7-verify` for Ed25519) on the same inputs.
//!
//! Self-contained: the PKI (`pki.rs`) is built once per test run under
//! `CARGO_TARGET_TMPDIR`; `cli.rs` drives the `ipgo` binary.

#[path = "signatures/cli.rs"]
mod cli;
#[path = "signatures/pki.rs"]
pub mod pki;

use std::sync::Arc;

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::config::Config;
use ipgo::sign::service as sign;
use ipgo::sign::verify::Policy;
use ipgo::sign::{Manifest, Reason, Verdict};

use pki::*;

// ---------------------------------------------------------------------------------------
// The portal

fn operator() -> Actor {
    Actor {
        who: Who::Operator { os_user: "test".into() },
        origin: Origin::new(Channel::Admin, "local".into(), "ADMIN", "test".into(), "test".into()),
    }
}

pub struct Portal {
    pub app: Arc<App>,
    _dir: tempfile::TempDir,
}

impl Portal {
    /// A fresh data directory with the test roots trusted and `crls` installed.
    pub fn new(pki: &Pki, crls: &[&str]) -> Portal {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.storage.data_dir = dir.path().to_path_buf();
        let app = App::open(config).unwrap();
        let op = operator();
        sign::add_cas(&app, &op, &pki.read("trusted.pem")).unwrap();
        for crl in crls {
            sign::add_crl(&app, &op, &pki.read(crl)).unwrap();
        }
        ipgo::portal::directory::service::create_agency(
            &app,
            &op,
            ipgo::portal::directory::service::NewAgency {
                code: "MCRIAP".into(),
                name_kk: "ЦДИАӨМ".into(),
                name_ru: "МЦРИАП".into(),
                name_en: "MDDIAI".into(),
                ..Default::default()
            },
        )
        .unwrap();
        Portal { app, _dir: dir }
    }

    pub fn add_user(&self, login: &str) -> u64 {
        let input = ipgo::portal::directory::model::NewUser {
            login: login.into(),
            agency: "MCRIAP".into(),
            ..Default::default()
        };
        ipgo::portal::directory::service::create_user(&self.app, &operator(), input)
            .unwrap()
            .user
            .id
    }

    pub fn verify(&self, user: Option<u64>, content: &[u8], sig: &[u8]) -> Verdict {
        sign::verify_for_user(&self.app, user, content, sig).unwrap()
    }
}

pub fn manifest_bytes(title: &str, attachment: &[u8]) -> Vec<u8> {
    Manifest {
        document_id: 42,
        version: 3,
        title: title.into(),
        text: ipgo::sign::Digest::of("Об утверждении Правил".as_bytes()),
        files: vec![ipgo::sign::ManifestFile {
            name: "Қосымша 1.pdf".into(),
            digest: ipgo::sign::Digest::of(attachment),
        }],
    }
    .render()
}

// ---------------------------------------------------------------------------------------
// The cases

struct Case {
    name: &'static str,
    sig: Vec<u8>,
    /// The content the portal expects the signature to cover.
    content: Vec<u8>,
    expected: Option<Reason>,
    /// Whether the reference tool must agree (false only for rules that are this
    /// portal's own policy, named in the case).
    reference: Reference,
}

#[derive(Clone, Copy, PartialEq)]
enum Reference {
    OpenSsl,
    Certtool,
    /// A portal rule the reference tools do not have; the tool's verdict is asserted to
    /// differ so that the difference stays deliberate.
    PolicyOnly,
}

#[test]
fn i385_57_59_every_certificate_case_gets_its_reason_and_openssl_agrees() {
    let pki = pki();
    let portal = Portal::new(pki, &["root/crl.pem", "inter/crl.pem"]);
    let signer_id = portal.add_user("a.nurlanova");
    for who in ["rsa", "p256", "p384", "ed25519", "expired", "future", "revoked", "nosign", "weak"]
    {
        // Register what registration accepts; the rest are refused before registration
        // matters (their verdicts come from the certificate itself).
        let _ = sign::register_certificate(
            &portal.app,
            &operator(),
            signer_id,
            &pki.read(&format!("{who}.pem")),
        );
    }
    let manifest = manifest_bytes("Проект приказа", b"%PDF-1.7 attachment");
    let m = write_temp(pki, &manifest);
    let mut tampered = manifest.clone();
    let at = tampered.len() - 3;
    tampered[at] ^= 0x01;
    let other = manifest_bytes("Проект приказа", b"%PDF-1.7 attachment, changed");
    let gost = {
        // An openssl signature whose SignerInfo names GOST 34.310-2004
        // (1.2.398.3.10.1.1.1.2) instead of rsaEncryption: same length, so the DER stays
        // well-formed.
        let mut sig = openssl_sign(pki, "rsa", &m, "sha256", &[]);
        let rsa = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
        let gost = [0x06, 0x09, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x01, 0x02];
        let pos = sig.windows(rsa.len()).rposition(|w| w == rsa).expect("rsaEncryption");
        sig[pos..pos + rsa.len()].copy_from_slice(&gost);
        sig
    };
    let two_signers =
        openssl_sign(pki, "rsa", &m, "sha256", &["-signer", "p256.pem", "-inkey", "p256.key"]);

    use Reference::*;
    let ok =
        |name, sig, r| Case { name, sig, content: manifest.clone(), expected: None, reference: r };
    let bad = |name, sig, reason, r| Case {
        name,
        sig,
        content: manifest.clone(),
        expected: Some(reason),
        reference: r,
    };
    let cases = vec![
        ok("rsa pkcs1 sha256 detached", openssl_sign(pki, "rsa", &m, "sha256", &[]), OpenSsl),
        ok(
            "rsa pkcs1 sha256 attached",
            openssl_sign(pki, "rsa", &m, "sha256", &["-nodetach"]),
            OpenSsl,
        ),
        ok(
            "rsa pkcs1 no attributes",
            openssl_sign(pki, "rsa", &m, "sha256", &["-noattr"]),
            OpenSsl,
        ),
        ok("rsa pkcs1 sha384", openssl_sign(pki, "rsa", &m, "sha384", &[]), OpenSsl),
        ok("rsa pkcs1 sha512", openssl_sign(pki, "rsa", &m, "sha512", &[]), OpenSsl),
        ok(
            "rsa pss sha256",
            openssl_sign(pki, "rsa", &m, "sha256", &["-keyopt", "rsa_padding_mode:pss"]),
            OpenSsl,
        ),
        ok(
            "rsa pss sha512 no attributes",
            openssl_sign(pki, "rsa", &m, "sha512", &["-keyopt", "rsa_padding_mode:pss", "-noattr"]),
            OpenSsl,
        ),
        ok("ecdsa p256 sha256", openssl_sign(pki, "p256", &m, "sha256", &[]), OpenSsl),
        ok("ecdsa p256 attached", openssl_sign(pki, "p256", &m, "sha256", &["-nodetach"]), OpenSsl),
        ok(
            "ecdsa p256 no attributes",
            openssl_sign(pki, "p256", &m, "sha256", &["-noattr"]),
            OpenSsl,
        ),
        ok("ecdsa p256 sha512", openssl_sign(pki, "p256", &m, "sha512", &[]), OpenSsl),
        ok("ecdsa p384 sha384", openssl_sign(pki, "p384", &m, "sha384", &[]), OpenSsl),
        ok("ed25519 with attributes", certtool_sign(pki, "ed25519", &m, true), Certtool),
        ok("ed25519 no attributes", certtool_sign(pki, "ed25519", &m, false), Certtool),
        bad(
            "expired certificate",
            openssl_sign(pki, "expired", &m, "sha256", &[]),
            Reason::Expired,
            OpenSsl,
        ),
        bad(
            "not yet valid certificate",
            openssl_sign(pki, "future", &m, "sha256", &[]),
            Reason::NotYetValid,
            OpenSsl,
        ),
        bad(
            "revoked certificate",
            openssl_sign(pki, "revoked", &m, "sha256", &[]),
            Reason::Revoked,
            OpenSsl,
        ),
        bad(
            "untrusted CA",
            openssl_sign(pki, "untrusted", &m, "sha256", &[]),
            Reason::UntrustedChain,
            OpenSsl,
        ),
        bad(
            "no signing key usage",
            openssl_sign(pki, "nosign", &m, "sha256", &[]),
            Reason::KeyUsage,
            OpenSsl,
        ),
        bad(
            "not registered",
            openssl_sign(pki, "notreg", &m, "sha256", &[]),
            Reason::NotRegistered,
            PolicyOnly,
        ),
        bad("GOST signature algorithm on an RSA key", gost, Reason::BadSignature, OpenSsl),
        bad(
            "RSA-1024 key",
            openssl_sign(pki, "weak", &m, "sha256", &[]),
            Reason::WeakKey,
            PolicyOnly,
        ),
        bad("two signers in one message", two_signers, Reason::MultipleSigners, PolicyOnly),
        bad("not CMS at all", b"%PDF-1.7 not a signature".to_vec(), Reason::Malformed, OpenSsl),
        Case {
            name: "changed byte, signed attributes",
            sig: openssl_sign(pki, "rsa", &m, "sha256", &[]),
            content: tampered.clone(),
            expected: Some(Reason::DigestMismatch),
            reference: OpenSsl,
        },
        Case {
            name: "changed byte, no attributes",
            sig: openssl_sign(pki, "p256", &m, "sha256", &["-noattr"]),
            content: tampered.clone(),
            expected: Some(Reason::BadSignature),
            reference: OpenSsl,
        },
        Case {
            name: "changed attachment, ed25519",
            sig: certtool_sign(pki, "ed25519", &m, true),
            content: other.clone(),
            expected: Some(Reason::DigestMismatch),
            reference: Certtool,
        },
        Case {
            name: "attached content is another manifest",
            sig: openssl_sign(pki, "p384", &m, "sha384", &["-nodetach"]),
            content: other.clone(),
            expected: Some(Reason::ContentMismatch),
            reference: OpenSsl,
        },
    ];

    let mut failures = Vec::new();
    for case in &cases {
        let verdict = portal.verify(Some(signer_id), &case.content, &case.sig);
        if verdict.reason() != case.expected {
            failures.push(format!("{}: expected {:?}, got {verdict:?}", case.name, case.expected));
            continue;
        }
        let ours = verdict.is_valid();
        let theirs = match case.reference {
            Reference::OpenSsl | Reference::PolicyOnly => {
                openssl_accepts(pki, &case.sig, &case.content, Some("trusted+crls.pem"), &[])
            }
            Reference::Certtool => certtool_accepts(pki, &case.sig, &case.content),
        };
        match case.reference {
            Reference::PolicyOnly if theirs == ours => failures.push(format!(
                "{}: expected the reference tool to differ (a portal rule), both say {ours}",
                case.name
            )),
            Reference::OpenSsl | Reference::Certtool if theirs != ours => failures.push(format!(
                "{}: we say valid={ours}, the reference tool says {theirs}",
                case.name
            )),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn i385_59_any_changed_byte_of_the_signed_manifest_invalidates() {
    let pki = pki();
    let portal = Portal::new(pki, &["root/crl.pem", "inter/crl.pem"]);
    let manifest = manifest_bytes("Хаттама", b"scan");
    let m = write_temp(pki, &manifest);
    let sigs = [
        openssl_sign(pki, "rsa", &m, "sha256", &[]),
        openssl_sign(pki, "p256", &m, "sha256", &["-noattr"]),
    ];
    for sig in &sigs {
        assert!(portal.verify(None, &manifest, sig).is_valid());
    }
    // Every byte position, flipped one at a time.
    for i in 0..manifest.len() {
        let mut changed = manifest.clone();
        changed[i] ^= 0x20;
        for sig in &sigs {
            let verdict = portal.verify(None, &changed, sig);
            assert!(
                matches!(verdict.reason(), Some(Reason::DigestMismatch | Reason::BadSignature)),
                "byte {i}: {verdict:?}"
            );
        }
    }
    // And a changed byte of the signature itself.
    let mut sig = sigs[0].clone();
    let last = sig.len() - 1;
    sig[last] ^= 0x01;
    assert_eq!(portal.verify(None, &manifest, &sig).reason(), Some(Reason::BadSignature));
}

#[test]
fn i385_57_revocation_needs_a_fresh_crl_for_every_ca_of_the_chain() {
    let pki = pki();
    let manifest = manifest_bytes("Жоспар", b"plan");
    let m = write_temp(pki, &manifest);
    let sig = openssl_sign(pki, "p256", &m, "sha256", &[]);

    let none = Portal::new(pki, &[]);
    assert_eq!(none.verify(None, &manifest, &sig).reason(), Some(Reason::RevocationUnknown));
    assert!(
        !openssl_accepts(pki, &sig, &manifest, Some("trusted+root-crl.pem"), &[]),
        "openssl lacks the CA's CRL too"
    );

    let only_leaf_ca = Portal::new(pki, &["inter/crl.pem"]);
    assert_eq!(
        only_leaf_ca.verify(None, &manifest, &sig).reason(),
        Some(Reason::RevocationUnknown)
    );

    let stale = Portal::new(pki, &["root/crl.pem", "inter/crl-stale.pem"]);
    let verdict = stale.verify(None, &manifest, &sig);
    assert_eq!(verdict.reason(), Some(Reason::CrlStale), "{verdict:?}");
    assert!(!openssl_accepts(pki, &sig, &manifest, Some("trusted+stale-crl.pem"), &[]));

    // A grace period lets a late CRL serve; the verdict names the CRLs it used.
    let report = ipgo::sign::service::verify_with(
        &stale.app.trust.get(&stale.app.db).unwrap(),
        &[],
        None,
        &manifest,
        &sig,
        jiff::Timestamp::now(),
        &Policy { crl_grace: jiff::SignedDuration::from_hours(24 * 365 * 10), ..Policy::default() },
    );
    let report = report.report().unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(report.crls.len(), 2);

    // Without the CRL requirement, a missing CRL does not block.
    let relaxed = Policy { require_crl: false, ..Policy::default() };
    let verdict = ipgo::sign::service::verify_with(
        &none.app.trust.get(&none.app.db).unwrap(),
        &[],
        None,
        &manifest,
        &sig,
        jiff::Timestamp::now(),
        &relaxed,
    );
    assert!(verdict.is_valid(), "{verdict:?}");
}

#[test]
fn i385_57_validity_is_checked_at_signing_time_and_now() {
    let pki = pki();
    let portal = Portal::new(pki, &["root/crl.pem", "inter/crl.pem"]);
    let manifest = manifest_bytes("Отчёт", b"report");
    let m = write_temp(pki, &manifest);
    let sig = openssl_sign(pki, "rsa", &m, "sha256", &[]);
    let trust = portal.app.trust.get(&portal.app.db).unwrap();
    let at = |now: jiff::Timestamp| {
        ipgo::sign::service::verify_with(
            &trust,
            &[],
            None,
            &manifest,
            &sig,
            now,
            &Policy::default(),
        )
    };
    let now = jiff::Timestamp::now();
    assert!(at(now).is_valid());
    assert!(openssl_accepts(pki, &sig, &manifest, None, &[]));
    // Verified two years on: the certificate has expired since (signed while valid).
    let later = at(now + jiff::SignedDuration::from_hours(24 * 730));
    assert_eq!(later.reason(), Some(Reason::Expired), "{later:?}");
    assert!(!openssl_accepts(
        pki,
        &sig,
        &manifest,
        None,
        &["-attime", &(now.as_second() + 730 * 86400).to_string()]
    ));
    // A signingTime ahead of the server's clock.
    let earlier = at(now - jiff::SignedDuration::from_mins(30));
    assert_eq!(earlier.reason(), Some(Reason::SigningTimeInvalid), "{earlier:?}");
}

#[test]
fn i385_57_registration_confirmation_and_local_revocation() {
    let pki = pki();
    let portal = Portal::new(pki, &["root/crl.pem", "inter/crl.pem"]);
    let manifest = manifest_bytes("Шешім", b"decision");
    let m = write_temp(pki, &manifest);
    let sig = openssl_sign(pki, "p384", &m, "sha384", &[]);
    let owner = portal.add_user("owner");
    let other = portal.add_user("other");
    assert_eq!(portal.verify(Some(owner), &manifest, &sig).reason(), Some(Reason::NotRegistered));

    // The owner asks; it waits for an administrator.
    let identity =
        ipgo::portal::directory::service::identity(&portal.app, owner, false).unwrap().unwrap();
    let owner_actor = Actor {
        who: Who::User(identity),
        origin: Origin::new(Channel::Http, "127.0.0.1".into(), "POST", "t".into(), "t".into()),
    };
    let requested =
        sign::register_certificate(&portal.app, &owner_actor, owner, &pki.read("p384.pem"))
            .unwrap();
    assert_eq!(requested.status, ipgo::sign::store::CertStatus::Pending);
    assert_eq!(
        portal.verify(Some(owner), &manifest, &sig).reason(),
        Some(Reason::RegistrationPending)
    );
    // Nobody may register a certificate for someone else without the right.
    let err = sign::register_certificate(&portal.app, &owner_actor, other, &pki.read("rsa.pem"))
        .unwrap_err();
    assert_eq!(err.code, ipgo::error::Code::Forbidden);
    // A user cannot confirm their own request.
    assert!(sign::confirm_certificate(&portal.app, &owner_actor, &requested.fingerprint).is_err());

    sign::confirm_certificate(&portal.app, &operator(), &requested.fingerprint).unwrap();
    let verdict = portal.verify(Some(owner), &manifest, &sig);
    assert!(verdict.is_valid(), "{verdict:?}");
    // Valid for its owner only.
    assert_eq!(portal.verify(Some(other), &manifest, &sig).reason(), Some(Reason::NotRegistered));
    let taken = sign::register_certificate(&portal.app, &operator(), other, &pki.read("p384.pem"))
        .unwrap_err();
    assert_eq!(taken.code, ipgo::error::Code::Conflict);

    // The owner revokes their own registration (lost token).
    sign::revoke_certificate(&portal.app, &owner_actor, &requested.fingerprint, "token lost")
        .unwrap();
    assert_eq!(
        portal.verify(Some(owner), &manifest, &sig).reason(),
        Some(Reason::RegistrationRevoked)
    );
    // Every step is in the access log.
    portal.app.audit.flush_blocking();
    let ops: Vec<String> = {
        let mut ops = Vec::new();
        ipgo::audit::query::export(
            &portal.app.db,
            portal.app.config.data_dir(),
            &portal.app.audit.public_key(),
            &Default::default(),
            |e| {
                ops.push(e.operation.clone());
                Ok(())
            },
        )
        .unwrap();
        ops
    };
    for op in [
        "trust.ca_add",
        "trust.crl_add",
        "certificate.request",
        "certificate.confirm",
        "certificate.revoke",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} not logged: {ops:?}");
    }
}

#[test]
fn i385_57_trust_store_refuses_what_it_cannot_trust() {
    let pki = pki();
    let portal = Portal::new(pki, &["root/crl.pem", "inter/crl.pem"]);
    let op = operator();
    let app = &portal.app;
    let key = |e: ipgo::error::Error| e.detail_key.unwrap_or("-");
    // A user certificate is no CA; garbage is no certificate.
    assert_eq!(
        key(sign::add_cas(app, &op, &pki.read("rsa.pem")).unwrap_err()),
        "sign-import-not-ca"
    );
    assert_eq!(key(sign::add_cas(app, &op, b"hello").unwrap_err()), "sign-import-not-certificate");
    // An intermediate whose root is unknown.
    let fresh = Portal::new(pki, &[]);
    let fresh_op = operator();
    ipgo::sign::service::remove_ca(
        &fresh.app,
        &fresh_op,
        &ipgo::sign::x509::read_certificates(&pki.read("root/cert.pem")).unwrap()[0].fingerprint(),
    )
    .unwrap();
    ipgo::sign::service::remove_ca(
        &fresh.app,
        &fresh_op,
        &ipgo::sign::x509::read_certificates(&pki.read("inter/cert.pem")).unwrap()[0].fingerprint(),
    )
    .unwrap();
    assert_eq!(
        key(sign::add_cas(&fresh.app, &fresh_op, &pki.read("inter/cert.pem")).unwrap_err()),
        "sign-import-issuer-unknown"
    );
    // A CRL from a CA that is not trusted, an older CRL than the one in force.
    assert_eq!(
        key(sign::add_crl(app, &op, &pki.read("rogue/cert.pem")).unwrap_err()),
        "sign-import-not-crl"
    );
    let rogue_crl = {
        Pki::gencrl(&pki.dir, "rogue", "crl.pem", &[]);
        pki.read("rogue/crl.pem")
    };
    assert_eq!(
        key(sign::add_crl(app, &op, &rogue_crl).unwrap_err()),
        "sign-import-crl-issuer-unknown"
    );
    assert_eq!(
        key(sign::add_crl(app, &op, &pki.read("inter/crl-old.pem")).unwrap_err()),
        "sign-import-crl-older"
    );
    // The same CRL again changes nothing.
    let (_, new) = sign::add_crl(app, &op, &pki.read("inter/crl.pem")).unwrap();
    assert!(!new);
    // A certificate that cannot sign is refused at registration with the reason's message.
    let user = portal.add_user("x.user");
    let err = sign::register_certificate(app, &op, user, &pki.read("nosign.pem")).unwrap_err();
    assert_eq!(key(err), "sign-reason-key-usage");
    let err = sign::register_certificate(app, &op, user, &pki.read("untrusted.pem")).unwrap_err();
    assert_eq!(key(err), "sign-reason-untrusted-chain");
    // Nobody but administrators changes the trust store.
    let identity = ipgo::portal::directory::service::identity(app, user, false).unwrap().unwrap();
    let employee = Actor {
        who: Who::User(identity),
        origin: Origin::new(Channel::Http, "127.0.0.1".into(), "POST", "t".into(), "t".into()),
    };
    let err = sign::add_cas(app, &employee, &pki.read("rogue/cert.pem")).unwrap_err();
    assert_eq!(err.code, ipgo::error::Code::Forbidden);
}
