//! Digital signatures end to end (I385 §57–§59) against a real PKI that the tests make
//! with `openssl` (root and intermediate CAs, CRLs, users with RSA-2048, EC P-256/P-384 and
//! Ed25519 keys, expired, not-yet-valid, revoked, untrusted, non-signing and unregistered
//! certificates). Signatures come from `openssl cms -sign` (and GnuTLS `certtool` for
//! Ed25519, which OpenSSL 3.0 cannot put into CMS); every verdict is compared with
//! `openssl cms -verify` (`certtool --p7-verify` for Ed25519) on the same inputs.
//!
//! Self-contained: the PKI is built once per test run under `CARGO_TARGET_TMPDIR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::config::Config;
use ipgo::sign::service as sign;
use ipgo::sign::verify::Policy;
use ipgo::sign::{Manifest, Reason, Verdict};

// ---------------------------------------------------------------------------------------
// A real PKI made with openssl

const CA_CONFIG: &str = "\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
crlnumber = ./crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 7
[ policy_any ]
commonName = supplied
serialNumber = optional
[ v3_root ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_inter ]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_sign ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_nosign ]
basicConstraints = critical,CA:false
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn openssl(dir: &Path, args: &[&str]) {
    run(Command::new("openssl").args(args).current_dir(dir));
}

pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn make_ca(dir: &Path, name: &str, subject: &str, key_args: &[&str], issuer: Option<&str>) {
        let ca = dir.join(name);
        std::fs::create_dir_all(ca.join("newcerts")).unwrap();
        std::fs::write(ca.join("index.txt"), "").unwrap();
        std::fs::write(ca.join("serial"), "1000\n").unwrap();
        std::fs::write(ca.join("crlnumber"), "1000\n").unwrap();
        let mut genkey = vec!["genpkey", "-out", "key.pem"];
        genkey.extend_from_slice(key_args);
        openssl(&ca, &genkey);
        openssl(&ca, &["req", "-new", "-key", "key.pem", "-subj", subject, "-out", "req.pem"]);
        match issuer {
            None => openssl(
                &ca,
                &[
                    "ca",
                    "-batch",
                    "-config",
                    "../ca.cnf",
                    "-selfsign",
                    "-keyfile",
                    "key.pem",
                    "-in",
                    "req.pem",
                    "-out",
                    "cert.pem",
                    "-extensions",
                    "v3_root",
                    "-days",
                    "3650",
                ],
            ),
            Some(issuer) => openssl(
                &dir.join(issuer),
                &[
                    "ca",
                    "-batch",
                    "-config",
                    "../ca.cnf",
                    "-cert",
                    "cert.pem",
                    "-keyfile",
                    "key.pem",
                    "-in",
                    &format!("../{name}/req.pem"),
                    "-out",
                    &format!("../{name}/cert.pem"),
                    "-extensions",
                    "v3_inter",
                    "-days",
                    "1825",
                ],
            ),
        }
    }

    /// A user `name` issued by CA directory `ca`: `<name>.key`, `<name>.pem`.
    fn make_user(dir: &Path, ca: &str, name: &str, key_args: &[&str], extra: &[&str]) {
        let mut genkey = vec!["genpkey", "-out"];
        let key = format!("{name}.key");
        genkey.push(&key);
        genkey.extend_from_slice(key_args);
        openssl(dir, &genkey);
        let subject = format!("/CN=User {name}/serialNumber=IIN8801013{:05}", name.len());
        openssl(
            dir,
            &["req", "-new", "-key", &key, "-subj", &subject, "-out", &format!("{name}.req")],
        );
        let mut args = vec![
            "ca".to_string(),
            "-batch".into(),
            "-config".into(),
            "../ca.cnf".into(),
            "-cert".into(),
            "cert.pem".into(),
            "-keyfile".into(),
            "key.pem".into(),
            "-in".into(),
            format!("../{name}.req"),
            "-out".into(),
            format!("../{name}.pem"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        if !extra.contains(&"-extensions") {
            args.extend(["-extensions".into(), "v3_sign".into()]);
        }
        if !extra.contains(&"-enddate") {
            args.extend(["-days".into(), "365".into()]);
        }
        run(Command::new("openssl").args(&args).current_dir(dir.join(ca)));
    }

    fn gencrl(dir: &Path, ca: &str, out: &str, extra: &[&str]) {
        let mut args = vec![
            "ca",
            "-config",
            "../ca.cnf",
            "-gencrl",
            "-cert",
            "cert.pem",
            "-keyfile",
            "key.pem",
            "-out",
            out,
        ];
        args.extend_from_slice(extra);
        openssl(&dir.join(ca), &args);
    }

    fn build(dir: PathBuf) -> Pki {
        let rsa: &[&str] = &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
        let p256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
        let p384: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"];
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
        Pki::make_ca(&dir, "root", "/CN=Test Root CA (P-384)", p384, None);
        Pki::make_ca(&dir, "inter", "/CN=Test Issuing CA (RSA)", rsa, Some("root"));
        Pki::make_ca(&dir, "rogue", "/CN=Rogue Root CA", p256, None);
        Pki::make_user(&dir, "inter", "rsa", rsa, &[]);
        Pki::make_user(&dir, "inter", "p256", p256, &[]);
        Pki::make_user(&dir, "inter", "p384", p384, &[]);
        Pki::make_user(&dir, "inter", "ed25519", &["-algorithm", "ED25519"], &[]);
        Pki::make_user(&dir, "inter", "notreg", p256, &[]);
        Pki::make_user(&dir, "inter", "nosign", rsa, &["-extensions", "v3_nosign"]);
        Pki::make_user(
            &dir,
            "inter",
            "expired",
            rsa,
            &["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"],
        );
        Pki::make_user(
            &dir,
            "inter",
            "future",
            p256,
            &["-startdate", "20990101000000Z", "-enddate", "20991231000000Z"],
        );
        Pki::make_user(&dir, "inter", "revoked", rsa, &[]);
        Pki::make_user(&dir, "rogue", "untrusted", p256, &[]);
        Pki::make_user(
            &dir,
            "inter",
            "weak",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            &[],
        );
        // A CRL before the revocation (kept to prove an older CRL is refused), then one
        // listing the revoked certificate; a stale one for the stale-CRL case.
        Pki::gencrl(&dir, "inter", "crl-old.pem", &[]);
        openssl(
            &dir.join("inter"),
            &[
                "ca",
                "-config",
                "../ca.cnf",
                "-cert",
                "cert.pem",
                "-keyfile",
                "key.pem",
                "-revoke",
                "../revoked.pem",
                "-crl_reason",
                "keyCompromise",
            ],
        );
        Pki::gencrl(&dir, "inter", "crl.pem", &[]);
        Pki::gencrl(
            &dir,
            "inter",
            "crl-stale.pem",
            &["-crl_lastupdate", "20240101000000Z", "-crl_nextupdate", "20240108000000Z"],
        );
        Pki::gencrl(&dir, "root", "crl.pem", &[]);
        let cat = |out: &str, parts: &[&str]| {
            let mut all = Vec::new();
            for p in parts {
                all.extend(std::fs::read(dir.join(p)).unwrap());
            }
            std::fs::write(dir.join(out), all).unwrap();
        };
        cat("trusted.pem", &["root/cert.pem", "inter/cert.pem"]);
        // OpenSSL 3.0's `cms` has no -CRLfile: CRLs travel in the -CAfile bundle.
        cat("trusted+crls.pem", &["trusted.pem", "root/crl.pem", "inter/crl.pem"]);
        cat("trusted+stale-crl.pem", &["trusted.pem", "root/crl.pem", "inter/crl-stale.pem"]);
        cat("trusted+root-crl.pem", &["trusted.pem", "root/crl.pem"]);
        Pki { dir }
    }
}

/// The PKI shared by every test of this run.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Leftovers of earlier runs (a static is never dropped).
        if let Ok(entries) = std::fs::read_dir(base) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("signatures-pki-") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Pki::build(base.join(format!("signatures-pki-{}", std::process::id())))
    })
}

// ---------------------------------------------------------------------------------------
// Signatures made by the reference tools

/// `openssl cms -sign -binary -in manifest -signer <who>.pem -inkey <who>.key -outform DER
/// -md <md>` plus `extra` (`-nodetach`, `-noattr`, `-keyopt …`).
fn openssl_sign(pki: &Pki, who: &str, content: &Path, md: &str, extra: &[&str]) -> Vec<u8> {
    let out = pki.path(&format!("sig-{}.der", unique()));
    let (cert, key) = (format!("{who}.pem"), format!("{who}.key"));
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-in",
        content.to_str().unwrap(),
        "-signer",
        &cert,
        "-inkey",
        &key,
        "-outform",
        "DER",
        "-md",
        md,
        "-out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    openssl(&pki.dir, &args);
    std::fs::read(out).unwrap()
}

/// GnuTLS: Ed25519 into PKCS#7/CMS, with signed attributes when `attrs`.
fn certtool_sign(pki: &Pki, who: &str, content: &Path, attrs: bool) -> Vec<u8> {
    let out = pki.path(&format!("sig-{}.der", unique()));
    let mut cmd = Command::new("certtool");
    cmd.current_dir(&pki.dir).args(["--p7-detached-sign", "--load-privkey"]);
    cmd.arg(format!("{who}.key")).arg("--load-certificate").arg(format!("{who}.pem"));
    cmd.arg("--infile").arg(content).args(["--outder", "--outfile"]).arg(&out);
    if attrs {
        cmd.arg("--p7-time");
    }
    run(&mut cmd);
    std::fs::read(out).unwrap()
}

fn unique() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn write_temp(pki: &Pki, bytes: &[u8]) -> PathBuf {
    let path = pki.path(&format!("tmp-{}.bin", unique()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The reference verdict: `openssl cms -verify` against the trusted roots and
/// intermediates for `content`; with `crl_bundle` (trusted certificates and CRLs in one
/// file), with CRL checks over the whole chain.
fn openssl_accepts(
    pki: &Pki,
    sig: &[u8],
    content: &[u8],
    crl_bundle: Option<&str>,
    extra: &[&str],
) -> bool {
    let sig_path = write_temp(pki, sig);
    let content_path = write_temp(pki, content);
    let out_path = pki.path(&format!("out-{}.bin", unique()));
    let mut cmd = Command::new("openssl");
    cmd.current_dir(&pki.dir).args(["cms", "-verify", "-binary", "-inform", "DER", "-in"]);
    cmd.arg(&sig_path).arg("-out").arg(&out_path);
    match crl_bundle {
        Some(bundle) => cmd.args(["-CAfile", bundle, "-crl_check_all"]),
        None => cmd.args(["-CAfile", "trusted.pem"]),
    };
    cmd.args(extra);
    let attached = ipgo::sign::cms::parse(sig).map(|p| p.econtent.is_some()).unwrap_or(false);
    if !attached {
        cmd.arg("-content").arg(&content_path);
    }
    let ok = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap().success();
    // An attached signature must also carry exactly the expected content.
    ok && std::fs::read(&out_path).map(|got| got == content).unwrap_or(false)
}

fn certtool_accepts(pki: &Pki, sig: &[u8], content: &[u8]) -> bool {
    let sig_path = write_temp(pki, sig);
    let content_path = write_temp(pki, content);
    Command::new("certtool")
        .current_dir(&pki.dir)
        .args(["--p7-verify", "--load-ca-certificate", "trusted.pem", "--inder", "--infile"])
        .arg(&sig_path)
        .arg("--load-data")
        .arg(&content_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

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

fn manifest_bytes(title: &str, attachment: &[u8]) -> Vec<u8> {
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
        bad("GOST signature algorithm", gost, Reason::UnsupportedAlgorithm, OpenSsl),
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

// ---------------------------------------------------------------------------------------
// The command line: `ipgo trust …`, `ipgo cert …`, `ipgo sign`

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
