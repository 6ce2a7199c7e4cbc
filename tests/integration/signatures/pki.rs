//! A real PKI for the signature tests and the signature benchmark, made with `openssl`
//! (never fixtures of unknown origin), and the reference tools' signing and verification:
//! `openssl cms` and, for Ed25519 (which OpenSSL 3.0 cannot put into CMS), GnuTLS
//! `certtool`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

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
[ v3_auth ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_nosign ]
basicConstraints = critical,CA:false
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

pub fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn openssl(dir: &Path, args: &[&str]) {
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

    pub fn gencrl(dir: &Path, ca: &str, out: &str, extra: &[&str]) {
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

    /// Issues a fresh signing certificate `<name>.pem`/`<name>.key` from the issuing CA
    /// after the PKI was built (tests that revoke certificates need their own). `key` is
    /// `rsa`, `p256` or `p384`; `extensions` a section of the CA configuration (`v3_sign`,
    /// `v3_auth`...).
    pub fn issue(&self, name: &str, key: &str, extensions: &str) {
        self.issue_from("inter", name, key, extensions);
    }

    /// [`issue`](Self::issue) from another CA directory (`rogue` for an untrusted one).
    pub fn issue_from(&self, ca: &str, name: &str, key: &str, extensions: &str) {
        let args: &[&str] = match key {
            "rsa" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "p384" => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            _ => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        };
        let _ca = ca_lock();
        Pki::make_user(&self.dir, ca, name, args, &["-extensions", extensions]);
    }

    /// Like [`issue`](Self::issue), valid from now until `enddate` (`YYYYMMDDHHMMSSZ`).
    pub fn issue_until(&self, name: &str, key: &str, enddate: &str) {
        let args: &[&str] = match key {
            "rsa" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            _ => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        };
        let _ca = ca_lock();
        Pki::make_user(
            &self.dir,
            "inter",
            name,
            args,
            &["-extensions", "v3_sign", "-enddate", enddate],
        );
    }

    /// Revokes `<name>.pem` at the issuing CA (revocation date: now).
    pub fn revoke(&self, name: &str) {
        let _ca = ca_lock();
        openssl(
            &self.dir.join("inter"),
            &[
                "ca",
                "-config",
                "../ca.cnf",
                "-cert",
                "cert.pem",
                "-keyfile",
                "key.pem",
                "-revoke",
                &format!("../{name}.pem"),
            ],
        );
    }

    /// A new CRL of the issuing CA listing everything revoked so far: `inter/<out>`.
    pub fn issuing_crl(&self, out: &str) -> PathBuf {
        self.issuing_crl_with(out, &[])
    }

    /// [`issuing_crl`](Self::issuing_crl) with more `openssl ca -gencrl` options.
    pub fn issuing_crl_with(&self, out: &str, extra: &[&str]) -> PathBuf {
        let _ca = ca_lock();
        Pki::gencrl(&self.dir, "inter", out, extra);
        self.dir.join("inter").join(out)
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

/// Serialises changes to the issuing CA's database (`openssl ca` is not safe to run twice
/// at once on one CA directory).
fn ca_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A signing certificate (EC P-256) for one more person, issued by the test's issuing CA:
/// `(certificate, key)`. Serialised, because `openssl ca` keeps a database.
pub fn person(name: &str) -> (PathBuf, PathBuf) {
    let pki = pki();
    let _guard = ca_lock();
    let cert = pki.path(&format!("{name}.pem"));
    if !cert.exists() {
        Pki::make_user(
            &pki.dir,
            "inter",
            name,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            &[],
        );
    }
    (cert, pki.path(&format!("{name}.key")))
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
pub fn openssl_sign(pki: &Pki, who: &str, content: &Path, md: &str, extra: &[&str]) -> Vec<u8> {
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
pub fn certtool_sign(pki: &Pki, who: &str, content: &Path, attrs: bool) -> Vec<u8> {
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

pub fn unique() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

pub fn write_temp(pki: &Pki, bytes: &[u8]) -> PathBuf {
    let path = pki.path(&format!("tmp-{}.bin", unique()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The reference verdict: `openssl cms -verify` against the trusted roots and
/// intermediates for `content`; with `crl_bundle` (trusted certificates and CRLs in one
/// file), with CRL checks over the whole chain.
pub fn openssl_accepts(
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

pub fn certtool_accepts(pki: &Pki, sig: &[u8], content: &[u8]) -> bool {
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
