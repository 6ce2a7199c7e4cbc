//! The TLS listener examined by a tool written by others: `testssl.sh` (Debian's `testssl`)
//! runs its full default scan against `ipgo serve` with a certificate issued by an agency CA
//! made here by openssl — the configuration the admin guide asks for in production
//! (R365 §6: protected channels; issue "hardening", point 4).
//!
//! The run fails on any finding rated MEDIUM or worse, and checks the figures an auditor asks
//! for by name: only TLS 1.2 and 1.3, HSTS, the server's own cipher order.

use crate::common::Server;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Makes an agency CA and a server certificate for 127.0.0.1 issued by it, naming the CA's
/// CRL (an appliance's certificate comes from the agency's CA, which publishes a CRL).
/// Returns (chain, key, ca).
fn agency_certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
    run(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-sha256",
        "-days",
        "3650",
        "-subj",
        "/C=KZ/O=Akimat of the region/CN=Akimat Root CA",
        "-addext",
        "basicConstraints=critical,CA:true",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "ca.pem",
    ]);
    run(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key"]);
    run(&[
        "req",
        "-new",
        "-key",
        "server.key",
        "-subj",
        "/C=KZ/O=Akimat of the region/CN=localhost",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:false\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n\
         crlDistributionPoints=URI:http://pki.akimat.example.kz/root.crl\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "365",
        "-sha256",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ]);
    let chain = [
        std::fs::read_to_string(dir.join("server.crt")).unwrap(),
        std::fs::read_to_string(dir.join("ca.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
    (dir.join("chain.pem"), dir.join("server.key"), dir.join("ca.pem"))
}

/// Runs testssl.sh against `url`, trusting `ca`; returns its findings (flat JSON).
fn testssl(url: &str, ca: &Path, dir: &Path) -> Vec<Value> {
    let json = dir.join("testssl.json");
    let mut child = Command::new("testssl")
        .args(["--quiet", "--color", "0", "--warnings", "batch", "--ip", "127.0.0.1", "--add-ca"])
        .arg(ca)
        .arg("--jsonfile")
        .arg(&json)
        .arg(url)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("testssl (Debian package testssl.sh; tests/setup-tls-audit.sh installs it)");
    let deadline = Instant::now() + Duration::from_secs(900);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "testssl did not finish within 15 minutes");
        std::thread::sleep(Duration::from_millis(500));
    }
    let text = std::fs::read_to_string(&json).expect("testssl wrote its JSON findings");
    serde_json::from_str::<Vec<Value>>(&text).expect("testssl JSON is a list of findings")
}

fn finding<'a>(findings: &'a [Value], id: &str) -> &'a Value {
    findings.iter().find(|f| f["id"] == id).unwrap_or_else(|| {
        let ids: Vec<&str> = findings.iter().filter_map(|f| f["id"].as_str()).collect();
        panic!("testssl reported nothing for {id}; it reported {ids:?}")
    })
}

#[test]
fn testssl_finds_nothing_rated_medium_or_worse_on_the_tls_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (chain, key, ca) = agency_certificate(dir.path());
    let server = Server::builder().tls_files(&chain, &key, &ca).start();
    assert_eq!(server.client().get("/login").status, 200, "served with the agency's certificate");

    // By name, as workstations reach it (an IP address is not a valid SNI host name).
    let url = format!("https://localhost:{}/login", server.port);
    let findings = testssl(&url, &ca, dir.path());
    assert!(findings.len() > 50, "a full scan reports many checks: {}", findings.len());
    assert!(
        !findings.iter().any(|f| f["id"] == "scanProblem"),
        "the scan ran to the end: {findings:?}"
    );

    let serious: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("MEDIUM" | "HIGH" | "CRITICAL")))
        .map(|f| format!("{} [{}]: {}", f["id"], f["severity"], f["finding"]))
        .collect();
    assert!(serious.is_empty(), "testssl findings rated MEDIUM or worse:\n{}", serious.join("\n"));

    for old in ["SSLv2", "SSLv3", "TLS1", "TLS1_1"] {
        let f = finding(&findings, old);
        assert!(f["finding"].as_str().unwrap().starts_with("not offered"), "{old}: {f}");
    }
    for current in ["TLS1_2", "TLS1_3"] {
        let f = finding(&findings, current);
        assert!(f["finding"].as_str().unwrap().starts_with("offered"), "{current}: {f}");
    }
    let hsts = finding(&findings, "HSTS_time");
    assert_eq!(hsts["severity"], "OK", "HSTS: {hsts}");
    assert!(hsts["finding"].as_str().unwrap().contains("31536000"), "a year of HSTS: {hsts}");
    let order = finding(&findings, "cipher_order");
    assert_eq!(order["severity"], "OK", "the server chooses the cipher: {order}");
    let trust = finding(&findings, "cert_chain_of_trust");
    assert_eq!(trust["severity"], "OK", "the chain to the agency CA is whole: {trust}");
}
