//! GOST signatures (I385 §55–§59, the Kazakh NCA's algorithms) against an independent
//! implementation: OpenSSL with Debian's GOST engine makes the keys, certificates, CRLs and
//! CMS signatures (`gost/pki.rs`) — GOST 2001 ≡ GOST 34.310-2004 on every CryptoPro curve,
//! GOST 2012-256 ≡ GOST 34.10-2015-256 on the TC26 and CryptoPro curves, GOST 2012-512 on
//! TC26 A, B, C — and the portal's verdict must equal `openssl cms -verify` with the engine
//! on every case: signed attributes or none, detached or attached, several messages, and a
//! one-bit change of the message, the signature, the key or the certificate. The same
//! signatures re-encoded under the NCA's identifiers (`gost/kazakh.rs`) keep their verdict.
//! `gost/server.rs` runs the signing workflows end to end through the real server.

#[path = "gost/kazakh.rs"]
pub mod kazakh;
#[path = "gost/pki.rs"]
pub mod pki;
#[path = "gost/server.rs"]
mod server;

use std::sync::Arc;

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::config::Config;
use ipgo::sign::service as sign;
use ipgo::sign::verify::Policy;
use ipgo::sign::{Manifest, Reason, Verdict};

use pki::{GostPki, USERS, cms_sign, gost_pki, openssl_accepts};

fn operator() -> Actor {
    Actor {
        who: Who::Operator { os_user: "test".into() },
        origin: Origin::new(Channel::Admin, "local".into(), "ADMIN", "test".into(), "test".into()),
    }
}

/// A data directory whose trust store holds the GOST CAs and CRLs, imported through the
/// same service the administrator uses (each CA's and CRL's GOST signature checked there).
struct Store {
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

impl Store {
    fn new(pki: &GostPki) -> Store {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.storage.data_dir = dir.path().to_path_buf();
        let app = App::open(config).unwrap();
        sign::add_cas(&app, &operator(), &pki.read("trusted.pem")).unwrap();
        for ca in ["root", "ca256", "ca2001"] {
            sign::add_crl(&app, &operator(), &pki.read(&format!("{ca}/crl.pem"))).unwrap();
        }
        Store { app, _dir: dir }
    }

    fn verify(&self, content: &[u8], sig: &[u8]) -> Verdict {
        let trust = self.app.trust.get(&self.app.db).unwrap();
        sign::verify_with(
            &trust,
            &[],
            None,
            content,
            sig,
            jiff::Timestamp::now(),
            &Policy::default(),
        )
    }
}

fn manifest(n: usize) -> Vec<u8> {
    Manifest {
        document_id: 7 + n as u64,
        version: 1,
        title: format!("Об утверждении Правил № {n} — Ережелерді бекіту туралы"),
        text: ipgo::sign::Digest::of("Бірінші бап. Первая статья.".repeat(n * 40 + 1).as_bytes()),
        files: vec![ipgo::sign::ManifestFile {
            name: format!("Қосымша {n}.pdf"),
            digest: ipgo::sign::Digest::of(&vec![n as u8; 1000 * n + 1]),
        }],
    }
    .render()
}

/// Byte ranges of a CMS to change: the signature value's last byte, a bit of the signer
/// certificate's public key, a bit of its subject name.
fn flip_signature(sig: &[u8]) -> Vec<u8> {
    let parsed = ipgo::sign::cms::parse(sig).unwrap();
    let value = parsed.signer.signature.as_bytes();
    let at = find(sig, value) + value.len() - 1;
    let mut out = sig.to_vec();
    out[at] ^= 0x01;
    out
}

fn flip_in_certificate(sig: &[u8], key: bool) -> Vec<u8> {
    let parsed = ipgo::sign::cms::parse(sig).unwrap();
    let cert = &parsed.certificates.iter().find(|c| !c.is_ca()).unwrap().cert;
    let tbs = cert.tbs_certificate();
    let part = if key {
        tbs.subject_public_key_info().subject_public_key.raw_bytes().to_vec()
    } else {
        use der::Encode;
        tbs.subject().to_der().unwrap()
    };
    let at = find(sig, &part) + part.len() - 3;
    let mut out = sig.to_vec();
    out[at] ^= 0x01;
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("part of the message")
}

struct Case {
    name: String,
    sig: Vec<u8>,
    content: Vec<u8>,
}

/// Every user × 2 messages × {attributes, none} × {detached, attached}, and for each a
/// changed message, signature, key and certificate; plus the revoked user.
fn cases(pki: &'static GostPki) -> Vec<Case> {
    let mut jobs = Vec::new();
    for (who, _, algorithm, _) in USERS.iter().copied().chain([("revoked", "", "gost2012_512", "")])
    {
        for n in [1, 2] {
            for (mode, extra) in [
                ("attrs", &[][..]),
                ("attrs attached", &["-nodetach"][..]),
                ("noattr", &["-noattr"][..]),
                ("noattr attached", &["-noattr", "-nodetach"][..]),
            ] {
                jobs.push((who, algorithm, n, mode, extra));
            }
        }
    }
    let made: Vec<Vec<Case>> = std::thread::scope(|s| {
        let chunks: Vec<_> = jobs.chunks(jobs.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for &(who, algorithm, n, mode, extra) in chunk {
                        let content = manifest(n);
                        let sig = cms_sign(pki, who, algorithm, &content, extra);
                        let name = format!("{who} message {n} {mode}");
                        let mut changed = content.clone();
                        changed[content.len() / 2] ^= 0x01;
                        out.push(Case {
                            name: format!("{name}: changed message"),
                            sig: sig.clone(),
                            content: changed,
                        });
                        out.push(Case {
                            name: format!("{name}: changed signature"),
                            sig: flip_signature(&sig),
                            content: content.clone(),
                        });
                        out.push(Case {
                            name: format!("{name}: changed key"),
                            sig: flip_in_certificate(&sig, true),
                            content: content.clone(),
                        });
                        out.push(Case {
                            name: format!("{name}: changed certificate"),
                            sig: flip_in_certificate(&sig, false),
                            content: content.clone(),
                        });
                        out.push(Case { name, sig, content });
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    made.into_iter().flatten().collect()
}

#[test]
fn i385_57_59_gost_verdicts_equal_openssl_with_the_gost_engine_on_every_generated_case() {
    let pki = gost_pki();
    let store = Store::new(pki);
    let started = std::time::Instant::now();
    let cases = cases(pki);
    let generated = started.elapsed();
    // The reference verdicts, two processes at a time.
    let reference: Vec<bool> = std::thread::scope(|s| {
        let half = cases.len().div_ceil(2);
        let handles: Vec<_> = cases
            .chunks(half)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| openssl_accepts(pki, &c.sig, &c.content))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for (case, theirs) in cases.iter().zip(&reference) {
        let verdict = store.verify(&case.content, &case.sig);
        let ours = verdict.is_valid();
        if ours {
            valid += 1
        } else {
            invalid += 1
        }
        if ours != *theirs {
            failures.push(format!("{}: ipgo {verdict:?}, openssl valid={theirs}", case.name));
        }
        let untouched = !case.name.contains(": changed");
        let revoked = case.name.starts_with("revoked");
        if untouched && !revoked && !ours {
            failures.push(format!("{}: a good signature refused: {verdict:?}", case.name));
        }
        if revoked && verdict.reason() != Some(Reason::Revoked) && untouched {
            failures.push(format!("{}: expected revoked, got {verdict:?}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 400, "{} cases", cases.len());
    assert_eq!(valid, USERS.len() * 8, "every untouched signature of a good user");
    eprintln!(
        "{} GOST cases ({valid} valid, {invalid} invalid) agree with openssl; generated in {:?}, \
         all checked in {:?}",
        cases.len(),
        generated,
        started.elapsed()
    );
}

#[test]
fn gost_signatures_keep_their_verdict_under_the_kazakh_identifiers() {
    let pki = gost_pki();
    let store = Store::new(pki);
    let content = manifest(3);
    let mut checked = 0;
    for (who, ca, algorithm, paramset) in USERS.iter().copied() {
        let (ca_key, ca_algorithm) = match ca {
            "ca256" => ("ca256/key.pem", "gost2012_256"),
            _ => ("ca2001/key.pem", "gost2001"),
        };
        // The NCA names curves of parameter set A only (for 256 bits: TC26 A).
        let kazakh_cert = (paramset == "A" && algorithm != "gost2012_256" || paramset == "TCA")
            .then(|| {
                let der = ipgo::sign::x509::read_certificates(&pki.read(&format!("{who}.pem")))
                    .unwrap()[0]
                    .der
                    .clone();
                kazakh::certificate(pki, &der, algorithm, ca_key, ca_algorithm)
            });
        for extra in [&[][..], &["-noattr"][..], &["-nodetach"][..]] {
            let standard = cms_sign(pki, who, algorithm, &content, extra);
            assert!(store.verify(&content, &standard).is_valid(), "{who} {extra:?}");
            let key = format!("{who}.key");
            let relabelled = kazakh::cms(pki, &standard, &content, algorithm, &key, None);
            let verdict = store.verify(&content, &relabelled);
            assert!(verdict.is_valid(), "{who} {extra:?} under Kazakh identifiers: {verdict:?}");
            let report = verdict.report().unwrap();
            assert!(report.signature_algorithm.starts_with("gost"), "{report:?}");
            // The layout follows the identifier: the Kazakh label with the OpenSSL byte
            // order (or the reverse) is refused.
            let mut wrong = relabelled.clone();
            let parsed = ipgo::sign::cms::parse(&relabelled).unwrap();
            let value = parsed.signer.signature.as_bytes().to_vec();
            let at = find(&wrong, &value);
            let back: Vec<u8> = value.iter().rev().copied().collect();
            wrong[at..at + value.len()].copy_from_slice(&back);
            assert_eq!(
                store.verify(&content, &wrong).reason(),
                Some(Reason::BadSignature),
                "{who}"
            );
            // A changed message is refused either way.
            let mut changed = content.clone();
            changed[10] ^= 1;
            assert!(!store.verify(&changed, &relabelled).is_valid());
            if let Some(cert) = &kazakh_cert {
                // Certificate, key and signature all under the NCA's identifiers.
                let all = kazakh::cms(pki, &standard, &content, algorithm, &key, Some(cert));
                let verdict = store.verify(&content, &all);
                assert!(verdict.is_valid(), "{who} {extra:?} all Kazakh: {verdict:?}");
                let mut flipped = all.clone();
                let pos = find(&flipped, &cert[cert.len() - 20..]);
                flipped[pos] ^= 1;
                assert!(!store.verify(&content, &flipped).is_valid(), "{who}: changed certificate");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, USERS.len() * 3);
}

#[test]
fn gost_certificates_and_crls_go_through_the_trust_store_checks() {
    let pki = gost_pki();
    let store = Store::new(pki);
    let listing = sign::trust_listing(&store.app, &operator()).unwrap();
    assert_eq!(listing.cas.len(), 3, "the GOST root and both issuing CAs were imported");
    assert_eq!(listing.crls.len(), 3, "each GOST CRL's signature verified at import");
    // A GOST CRL with a changed signature is refused at import.
    let (der, _) = ipgo::sign::x509::read_crl(&pki.read("ca2001/crl.pem")).unwrap();
    let mut bad = der.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let err = sign::add_crl(&store.app, &operator(), &bad).unwrap_err();
    assert_eq!(err.detail_key, Some("sign-import-bad-signature"));
    // A GOST user certificate registers (chain at registration) and shows its IIN and BIN.
    use ipgo::portal::directory::{model::NewUser, service as directory};
    let agency = directory::NewAgency {
        code: "MIN".into(),
        name_kk: "Министрлік".into(),
        name_ru: "Министерство".into(),
        name_en: "Ministry".into(),
        ..Default::default()
    };
    directory::create_agency(&store.app, &operator(), agency).unwrap();
    let head = NewUser { login: "head".into(), agency: "MIN".into(), ..Default::default() };
    let user = directory::create_user(&store.app, &operator(), head).unwrap().user.id;
    let record =
        sign::register_certificate(&store.app, &operator(), user, &pki.read("u2001a.pem")).unwrap();
    assert!(
        record.summary.iin.as_deref().is_some_and(|i| i.starts_with("IIN8801013")),
        "{record:?}"
    );
    assert_eq!(record.summary.bin.as_deref(), Some("BIN123456789012"));
}
