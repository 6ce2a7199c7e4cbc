//! Signature verification throughput (I385 §57–§59): ipgo's full verdict — CMS parse,
//! signed attributes, message digest, signature value, chain at signing time and now,
//! CRLs — for RSA-2048 and ECDSA P-256 signatures made by `openssl cms -sign`, and for
//! GOST 34.10-2015-256, -512 and GOST 34.310-2004 signatures made by OpenSSL with the GOST
//! engine, beside `openssl cms -verify` on the same files (with the same trust store and
//! CRL checks; the GOST engine loaded for the GOST rows) in the same run, and `openssl
//! speed`'s bare verify rate as the cryptographic ceiling.
//!
//! Run: `cargo bench --bench signatures`. Prints figures; asserts nothing about speed.

#[path = "../tests/integration/gost/pki.rs"]
#[allow(dead_code)]
mod gost_pki;
#[path = "../tests/integration/signatures/pki.rs"]
#[allow(dead_code)]
mod pki;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::sign::verify::{Policy, verify};
use ipgo::sign::{Digest, Manifest, ManifestFile, cms, service};

/// Calls `f` repeatedly for about `budget`; returns calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> (f64, u64) {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    (n as f64 / start.elapsed().as_secs_f64(), n)
}

fn openssl_speed() -> (f64, f64, f64) {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "2", "rsa2048", "ecdsap256", "ecdsap384"])
        .stderr(Stdio::null())
        .output()
        .expect("openssl speed");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    (last("rsa 2048 bits"), last("256 bits ecdsa (nistp256)"), last("384 bits ecdsa (nistp384)"))
}

fn main() {
    let pki = pki::pki();
    let manifest = Manifest {
        document_id: 1,
        version: 1,
        title: "Бенчмарк".into(),
        text: Digest::of(&[7u8; 200_000]),
        files: (1..=5)
            .map(|i| ManifestFile {
                name: format!("Қосымша {i}.pdf"),
                digest: Digest::of(&[i; 64]),
            })
            .collect(),
    }
    .render();
    let m = pki::write_temp(pki, &manifest);

    let data = tempfile::tempdir().unwrap();
    let mut config = ipgo::config::Config::default();
    config.storage.data_dir = data.path().to_path_buf();
    let app = ipgo::app::App::open(config).unwrap();
    let op = Actor {
        who: Who::Operator { os_user: "bench".into() },
        origin: Origin::new(Channel::Admin, "local".into(), "ADMIN", "bench".into(), "b".into()),
    };
    service::add_cas(&app, &op, &pki.read("trusted.pem")).unwrap();
    service::add_crl(&app, &op, &pki.read("root/crl.pem")).unwrap();
    service::add_crl(&app, &op, &pki.read("inter/crl.pem")).unwrap();
    let trust = app.trust.get(&app.db).unwrap();
    let policy = Policy::default();
    let budget = Duration::from_secs(3);

    println!("signature verification, one thread, {} s per figure", budget.as_secs());
    println!(
        "manifest {} bytes; chain: user → issuing CA (RSA-2048) → root (P-384); 2 CRLs",
        manifest.len()
    );
    println!();
    println!(
        "{:<34} {:>14} {:>14} {:>18}",
        "signature", "ipgo verdict/s", "ipgo CMS/s", "openssl cms -verify/s"
    );
    for (label, who) in [("RSA-2048 PKCS#1 v1.5, SHA-256", "rsa"), ("ECDSA P-256, SHA-256", "p256")]
    {
        let sig = pki::openssl_sign(pki, who, &m, "sha256", &[]);
        let sig_path = pki::write_temp(pki, &sig);
        let now = jiff::Timestamp::now();
        let verdict = verify(&trust, &manifest, &sig, &[], now, &policy);
        assert!(verdict.is_valid(), "{verdict:?}");
        let (full, _) = rate(budget, || {
            let v = verify(&trust, &manifest, &sig, &[], now, &policy);
            std::hint::black_box(v);
        });
        let (cms_only, _) = rate(budget, || {
            let parsed = cms::parse(&sig).unwrap();
            std::hint::black_box(cms::check(&parsed, &manifest, &[], 2048).unwrap());
        });
        let mut openssl_ok = true;
        let (openssl, _) = rate(budget, || {
            openssl_ok &= Command::new("openssl")
                .current_dir(&pki.dir)
                .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                .arg(&sig_path)
                .arg("-content")
                .arg(&m)
                .args(["-CAfile", "trusted+crls.pem", "-crl_check_all", "-out", "/dev/null"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
        });
        assert!(openssl_ok, "openssl refused the benchmark signature");
        println!("{label:<34} {full:>14.0} {cms_only:>14.0} {openssl:>18.0}");
    }
    gost_rows(&manifest, &op, budget);
    let (rsa, p256, p384) = openssl_speed();
    println!();
    println!("baseline, bare verify operations (openssl speed, no CMS, no chain):");
    println!(
        "  RSA-2048 {rsa:.0}/s, ECDSA P-256 {p256:.0}/s, ECDSA P-384 (the test root) {p384:.0}/s"
    );
    println!();
    println!(
        "ipgo verdict = CMS + chain (webpki, twice) + CRLs; ipgo CMS = parse, digest, signature only;"
    );
    println!(
        "openssl cms -verify = one process per verification (what a script around openssl pays)."
    );
}

/// The GOST rows: the GOST test PKI (root GOST 2012-512, issuing CAs GOST 2012-256 and
/// GOST 34.310-2004, a GOST-signed CRL each), one user per algorithm.
fn gost_rows(manifest: &[u8], op: &Actor, budget: Duration) {
    let pki = gost_pki::gost_pki();
    let data = tempfile::tempdir().unwrap();
    let mut config = ipgo::config::Config::default();
    config.storage.data_dir = data.path().to_path_buf();
    let app = ipgo::app::App::open(config).unwrap();
    service::add_cas(&app, op, &pki.read("trusted.pem")).unwrap();
    for ca in ["root", "ca256", "ca2001"] {
        service::add_crl(&app, op, &pki.read(&format!("{ca}/crl.pem"))).unwrap();
    }
    let trust = app.trust.get(&app.db).unwrap();
    let policy = Policy::default();
    let content = gost_pki::write_temp(pki, manifest);
    for (label, who, algorithm) in [
        ("GOST 34.10-2015-256 (TC26 A)", "u256a", "gost2012_256"),
        ("GOST 34.10-2015-512 (TC26 A)", "u512a", "gost2012_512"),
        ("GOST 34.310-2004 (CryptoPro A)", "u2001a", "gost2001"),
    ] {
        let sig = gost_pki::cms_sign(pki, who, algorithm, manifest, &[]);
        let sig_path = gost_pki::write_temp(pki, &sig);
        let now = jiff::Timestamp::now();
        let verdict = verify(&trust, manifest, &sig, &[], now, &policy);
        assert!(verdict.is_valid(), "{verdict:?}");
        let (full, _) = rate(budget, || {
            std::hint::black_box(verify(&trust, manifest, &sig, &[], now, &policy));
        });
        let (cms_only, _) = rate(budget, || {
            let parsed = cms::parse(&sig).unwrap();
            std::hint::black_box(cms::check(&parsed, manifest, &[], 2048).unwrap());
        });
        let line = format!(
            "cms -verify -binary -inform DER -in {} -content {} -CAfile trusted+crls.pem \
             -crl_check_all -out /dev/null",
            sig_path.display(),
            content.display()
        );
        let args: Vec<&str> = line.split_whitespace().collect();
        let mut openssl_ok = true;
        let (openssl, _) = rate(budget, || {
            openssl_ok &= pki.openssl_status("", &args).status.success();
        });
        assert!(openssl_ok, "openssl with the GOST engine refused the benchmark signature");
        println!("{label:<34} {full:>14.0} {cms_only:>14.0} {openssl:>18.0}");
    }
}
