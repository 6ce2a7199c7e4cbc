//! The command line: `ipgo trust …`, `ipgo cert …`, `ipgo sign`, directly on a data
//! directory and through a running server's admin socket.

use std::path::Path;
use std::process::{Command, Stdio};

use super::manifest_bytes;
use super::pki::*;
use ipgo::sign::{Reason, Verdict};

fn ipgo(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipgo"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("IPGO_LOG", "warn")
        .output()
        .unwrap()
}

fn ipgo_ok(data: &Path, args: &[&str]) -> String {
    let out = ipgo(data, args);
    assert!(
        out.status.success(),
        "ipgo {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cli_trust_cert_and_sign_work_on_the_data_directory() {
    let pki = pki();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let p = |name: &str| pki.path(name).to_str().unwrap().to_owned();
    let added = ipgo_ok(d, &["trust", "add", &p("root/cert.pem"), &p("inter/cert.pem")]);
    assert!(added.contains("root added") && added.contains("intermediate added"), "{added}");
    ipgo_ok(d, &["trust", "crl", &p("root/crl.pem")]);
    ipgo_ok(d, &["trust", "crl", &p("inter/crl.pem")]);
    let list = ipgo_ok(d, &["trust", "list"]);
    assert!(list.contains("Test Root CA") && list.contains("crl\t"), "{list}");
    ipgo_ok(
        d,
        &["agency", "add", "--code", "MCRIAP", "--name-ru", "МЦРИАП", "--name-kk", "ЦДИАӨМ"],
    );
    ipgo_ok(d, &["user", "add", "--login", "signer", "--agency", "MCRIAP"]);

    // `ipgo sign` with PKCS#12 files (modern AES and legacy 3DES/RC2 encryption).
    let manifest = manifest_bytes("CLI", b"cli");
    let m = write_temp(pki, &manifest);
    for (who, legacy) in [("rsa", false), ("p256", true), ("ed25519", false)] {
        let p12 = pki.path(&format!("{who}-{}.p12", unique()));
        let mut args = vec![
            "pkcs12",
            "-export",
            "-inkey",
            &format!("{who}.key"),
            "-in",
            &format!("{who}.pem"),
            "-certfile",
            "inter/cert.pem",
            "-passout",
            "pass:Secret-123",
            "-out",
            p12.to_str().unwrap(),
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        if legacy {
            args.push("-legacy".into());
        }
        run(Command::new("openssl").args(&args).current_dir(&pki.dir));
        let sig = pki.path(&format!("{who}-{}.p7s", unique()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ipgo"))
            .args(["sign", "--password-stdin", "--p12"])
            .arg(&p12)
            .arg("--manifest")
            .arg(&m)
            .arg("--out")
            .arg(&sig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"Secret-123\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ipgo sign ({who}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sig_bytes = std::fs::read(&sig).unwrap();
        let accepted = if who == "ed25519" {
            certtool_accepts(pki, &sig_bytes, &manifest)
        } else {
            openssl_accepts(pki, &sig_bytes, &manifest, Some("trusted+crls.pem"), &[])
        };
        assert!(accepted, "the reference tool refuses ipgo sign's {who} signature");

        // Not registered yet, then registered through the CLI, then valid.
        let verify = |d: &Path| {
            ipgo(
                d,
                &[
                    "trust",
                    "verify",
                    "--json",
                    "--login",
                    "signer",
                    "--manifest",
                    m.to_str().unwrap(),
                    "--signature",
                    sig.to_str().unwrap(),
                ],
            )
        };
        let out = verify(d);
        assert_eq!(out.status.code(), Some(3));
        let verdict: Verdict = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(verdict.reason(), Some(Reason::NotRegistered));
        let reg = ipgo_ok(d, &["cert", "register", "--login", "signer", &p(&format!("{who}.pem"))]);
        assert!(reg.contains("(active)"), "{reg}");
        let out = verify(d);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        let verdict: Verdict = serde_json::from_slice(&out.stdout).unwrap();
        assert!(verdict.is_valid());
    }
    let certs = ipgo_ok(d, &["cert", "list", "--login", "signer"]);
    assert_eq!(certs.lines().count(), 3, "{certs}");
    ipgo_ok(d, &["cert", "revoke", "--reason", "left the agency", &p("rsa.pem")]);
    assert!(ipgo_ok(d, &["cert", "list"]).contains("\trevoked\t"));
    // Wrong PKCS#12 password: a clear refusal, no output file.
    let out = Command::new(env!("CARGO_BIN_EXE_ipgo"))
        .args(["sign", "--p12", "/nonexistent.p12", "--manifest"])
        .arg(&m)
        .args(["--out", "/tmp/never-written.p7s"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// Kills the server we started when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM for a clean shutdown of our own child, then reap it.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

#[test]
fn cli_trust_and_cert_work_through_a_running_server() {
    let pki = pki();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_ipgo"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(d)
            .env("IPGO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let socket = d.join("admin.sock");
    let started = std::time::Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(started.elapsed().as_secs() < 30, "the server did not open its admin socket");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let p = |name: &str| pki.path(name).to_str().unwrap().to_owned();
    // The database is the server's now: these succeed only through the admin socket.
    ipgo_ok(d, &["trust", "add", &p("trusted.pem")]);
    ipgo_ok(d, &["trust", "crl", &p("root/crl.pem")]);
    ipgo_ok(d, &["trust", "crl", &p("inter/crl.pem")]);
    ipgo_ok(
        d,
        &["agency", "add", "--code", "MCRIAP", "--name-ru", "МЦРИАП", "--name-kk", "ЦДИАӨМ"],
    );
    ipgo_ok(d, &["user", "add", "--login", "head", "--agency", "MCRIAP"]);
    ipgo_ok(d, &["cert", "register", "--login", "head", &p("p256.pem")]);
    let manifest = manifest_bytes("Server", b"server");
    let m = write_temp(pki, &manifest);
    let sig = write_temp(pki, &openssl_sign(pki, "p256", &m, "sha256", &[]));
    let out = ipgo_ok(
        d,
        &[
            "trust",
            "verify",
            "--login",
            "head",
            "--manifest",
            m.to_str().unwrap(),
            "--signature",
            sig.to_str().unwrap(),
        ],
    );
    assert!(out.starts_with("valid\n"), "{out}");
    let list = ipgo_ok(d, &["trust", "list"]);
    assert_eq!(list.lines().filter(|l| l.starts_with("crl\t")).count(), 2, "{list}");
    // A refused import is a clear error with a non-zero exit, and changes nothing.
    let out = ipgo(d, &["trust", "add", &p("rsa.pem")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a certification authority"));
    assert_eq!(ipgo_ok(d, &["trust", "list"]), list);
}
