//! A GOST PKI made by an independent implementation — OpenSSL with Debian's GOST engine
//! (`libengine-gost-openssl`, installed by `tests/setup-gost.sh`) — and the reference
//! verdicts of `openssl cms -verify` with that engine.
//!
//! Root: GOST 2012-512 (TC26 paramSetA). Two issuing CAs under it: GOST 2012-256 (TC26
//! paramSetA, the cofactor-4 curve) and GOST 2001 (CryptoPro A). Users on every parameter
//! set the engine knows, with the Kazakh NCA's signing profile: keyUsage digitalSignature
//! and nonRepudiation, extendedKeyUsage emailProtection plus the NCA's "legal entity" and
//! "first head" purposes (`1.2.398.3.3.4.1.2`, `.2.1`), certificate policy
//! `1.2.398.3.3.2.1`, IIN and BIN in the subject. A CRL per CA; one user revoked.
//!
//! `kazakh` re-encodes what OpenSSL made under the NCA's identifiers (see there).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

/// The users: (name, issuing CA directory, `genpkey` algorithm, the engine's parameter
/// set: for gost2012_256 `TCA`–`TCD` name the TC26 identifiers and `A`–`C`, `XA`, `XB`
/// the CryptoPro ones of the same curves).
pub const USERS: &[(&str, &str, &str, &str)] = &[
    ("u256a", "ca256", "gost2012_256", "TCA"),
    ("u256b", "ca256", "gost2012_256", "TCB"),
    ("u256c", "ca256", "gost2012_256", "TCC"),
    ("u256d", "ca256", "gost2012_256", "TCD"),
    ("u256cpa", "ca256", "gost2012_256", "A"),
    ("u256xb", "ca256", "gost2012_256", "XB"),
    ("u512a", "ca256", "gost2012_512", "A"),
    ("u512b", "ca256", "gost2012_512", "B"),
    ("u512c", "ca256", "gost2012_512", "C"),
    ("u2001a", "ca2001", "gost2001", "A"),
    ("u2001b", "ca2001", "gost2001", "B"),
    ("u2001c", "ca2001", "gost2001", "C"),
    ("u2001xa", "ca2001", "gost2001", "XA"),
    ("u2001xb", "ca2001", "gost2001", "XB"),
];

const CA_CONFIG: &str = "\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
crlnumber = ./crlnumber
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 30
[ policy_any ]
commonName = supplied
surname = optional
serialNumber = optional
countryName = optional
organizationName = optional
organizationalUnitName = optional
givenName = optional
[ v3_root ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
certificatePolicies = 1.2.398.3.3.2.1
[ v3_inter ]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 1.2.398.3.3.2.1
[ v3_sign ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.1
certificatePolicies = 1.2.398.3.3.2.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_auth ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyAgreement
extendedKeyUsage = clientAuth,1.2.398.3.3.4.1.2
certificatePolicies = 1.2.398.3.3.2.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// The digest `openssl` must use with a key of `algorithm`.
pub fn md_for(algorithm: &str) -> &'static str {
    match algorithm {
        "gost2001" => "md_gost94",
        "gost2012_512" => "md_gost12_512",
        _ => "md_gost12_256",
    }
}

pub struct GostPki {
    pub dir: PathBuf,
    /// An OpenSSL configuration that loads the GOST engine for every algorithm.
    conf: PathBuf,
}

impl GostPki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// `openssl` with the GOST engine, in `dir` (relative to the PKI), or panic.
    pub fn openssl(&self, dir: &str, args: &[&str]) -> Output {
        let out = self.openssl_status(dir, args);
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// [`openssl`](Self::openssl) with a command line of space-free words.
    pub fn run(&self, dir: &str, line: &str) -> Output {
        self.openssl(dir, &line.split_whitespace().collect::<Vec<_>>())
    }

    /// `openssl ca` of CA directory `ca` with its key, certificate and digest, plus `line`.
    fn ca(&self, ca: &str, line: &str) -> Output {
        let md = std::fs::read_to_string(self.dir.join(ca).join("md")).unwrap();
        let common = "ca -batch -utf8 -config ../ca.cnf -cert cert.pem -keyfile key.pem";
        self.run(ca, &format!("{common} -md {md} {line}"))
    }

    pub fn openssl_status(&self, dir: &str, args: &[&str]) -> Output {
        Command::new("openssl")
            .args(args)
            .current_dir(self.dir.join(dir))
            .env("OPENSSL_CONF", &self.conf)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run openssl: {e}"))
    }

    fn make_ca(
        &self,
        name: &str,
        subject: &str,
        algorithm: &str,
        paramset: &str,
        issuer: Option<&str>,
    ) {
        let ca = self.dir.join(name);
        std::fs::create_dir_all(ca.join("newcerts")).unwrap();
        std::fs::write(ca.join("index.txt"), "").unwrap();
        std::fs::write(ca.join("serial"), "2000\n").unwrap();
        std::fs::write(ca.join("crlnumber"), "2000\n").unwrap();
        let md = md_for(algorithm);
        std::fs::write(ca.join("md"), md).unwrap();
        self.run(
            name,
            &format!("genpkey -algorithm {algorithm} -pkeyopt paramset:{paramset} -out key.pem"),
        );
        let req = [
            "req",
            "-new",
            "-key",
            "key.pem",
            &format!("-{md}"),
            "-subj",
            subject,
            "-out",
            "req.pem",
        ];
        self.openssl(name, &req);
        match issuer {
            None => self.run(
                name,
                &format!(
                    "ca -batch -config ../ca.cnf -selfsign -keyfile key.pem -md {md} -in req.pem \
                     -out cert.pem -extensions v3_root -days 3650"
                ),
            ),
            Some(issuer) => self.ca(
                issuer,
                &format!(
                    "-in ../{name}/req.pem -out ../{name}/cert.pem -extensions v3_inter -days 1825"
                ),
            ),
        };
    }

    /// A user `<name>.key` / `<name>.pem` issued by CA directory `ca`.
    pub fn issue(&self, name: &str, ca: &str, algorithm: &str, paramset: &str, extensions: &str) {
        let key = format!("-algorithm {algorithm} -pkeyopt paramset:{paramset}");
        self.issue_key(name, ca, &key, md_for(algorithm), extensions);
    }

    /// [`issue`](Self::issue) with an ECDSA P-256 key (under a GOST CA).
    pub fn issue_p256(&self, name: &str, ca: &str, extensions: &str) {
        self.issue_key(
            name,
            ca,
            "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
            "sha256",
            extensions,
        );
    }

    fn issue_key(&self, name: &str, ca: &str, genpkey: &str, md: &str, extensions: &str) {
        let _lock = ca_lock();
        self.run("", &format!("genpkey {genpkey} -out {name}.key"));
        let subject = format!(
            "/CN=ТЕСТОВ {name}/SN=ТЕСТОВ/serialNumber=IIN88010130{:04}/C=KZ/O=ГУ Тест/\
             OU=BIN123456789012/GN=ТЕСТОВИЧ",
            name.len() * 7
        );
        let (key, req, md) = (format!("{name}.key"), format!("{name}.req"), format!("-{md}"));
        self.openssl(
            "",
            &["req", "-new", "-utf8", "-key", &key, &md, "-subj", &subject, "-out", &req],
        );
        self.ca(
            ca,
            &format!("-in ../{name}.req -out ../{name}.pem -extensions {extensions} -days 365"),
        );
    }

    /// Revokes `<name>.pem` at CA `ca` and issues that CA's CRL anew (`<ca>/crl.pem`).
    pub fn revoke(&self, name: &str, ca: &str) {
        {
            let _lock = ca_lock();
            self.ca(ca, &format!("-revoke ../{name}.pem -crl_reason keyCompromise"));
        }
        self.gencrl(ca);
    }

    pub fn gencrl(&self, ca: &str) {
        {
            let _lock = ca_lock();
            self.ca(ca, "-gencrl -out crl.pem");
        }
        self.bundle();
    }

    /// `trusted.pem` (the CA certificates) and `trusted+crls.pem` (with every CRL).
    fn bundle(&self) {
        let mut trusted = Vec::new();
        for ca in ["root", "ca256", "ca2001"] {
            trusted.extend(self.read(&format!("{ca}/cert.pem")));
        }
        let mut with_crls = trusted.clone();
        for ca in ["root", "ca256", "ca2001"] {
            if let Ok(crl) = std::fs::read(self.path(&format!("{ca}/crl.pem"))) {
                with_crls.extend(crl);
            }
        }
        std::fs::write(self.path("trusted.pem"), trusted).unwrap();
        std::fs::write(self.path("trusted+crls.pem"), with_crls).unwrap();
    }

    fn build(dir: PathBuf) -> GostPki {
        std::fs::create_dir_all(&dir).unwrap();
        let engines = Command::new("openssl").args(["version", "-e"]).output().unwrap();
        let engines = String::from_utf8_lossy(&engines.stdout);
        let engines = engines.split('"').nth(1).expect("openssl version -e names ENGINESDIR");
        let engine = Path::new(engines).join("gost.so");
        assert!(
            engine.exists(),
            "the OpenSSL GOST engine is missing ({}): run tests/setup-gost.sh",
            engine.display()
        );
        let conf = dir.join("gost.cnf");
        std::fs::write(
            &conf,
            format!(
                "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n\
                 [engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\n\
                 dynamic_path = {}\ndefault_algorithms = ALL\n",
                engine.display()
            ),
        )
        .unwrap();
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
        let pki = GostPki { dir, conf };
        pki.make_ca("root", "/CN=GOST Test Root (2012-512)/C=KZ", "gost2012_512", "A", None);
        pki.make_ca(
            "ca256",
            "/CN=GOST Test CA (2012-256)/C=KZ",
            "gost2012_256",
            "TCA",
            Some("root"),
        );
        pki.make_ca("ca2001", "/CN=GOST Test CA (34.310-2004)/C=KZ", "gost2001", "A", Some("root"));
        for (name, ca, algorithm, paramset) in USERS {
            pki.issue(name, ca, algorithm, paramset, "v3_sign");
        }
        pki.issue("revoked", "ca256", "gost2012_512", "A", "v3_sign");
        for ca in ["root", "ca256"] {
            pki.gencrl(ca);
        }
        pki.revoke("revoked", "ca256");
        pki.gencrl("ca2001");
        pki
    }
}

/// `openssl ca` keeps a database per CA: one change at a time.
fn ca_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The GOST PKI of this test run, made once.
pub fn gost_pki() -> &'static GostPki {
    static PKI: OnceLock<GostPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(entries) = std::fs::read_dir(base) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("gost-pki-") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        GostPki::build(base.join(format!("gost-pki-{}", std::process::id())))
    })
}

/// A fresh number for file names (this module also serves `benches/signatures.rs`, so it
/// keeps its own counter).
pub fn unique() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A file of the PKI holding `bytes`, under a fresh name.
pub fn write_temp(pki: &GostPki, bytes: &[u8]) -> PathBuf {
    let path = pki.path(&format!("tmp-{}.bin", unique()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `openssl cms -sign` as user `who` over `content`, DER; `extra`: `-nodetach`, `-noattr`.
pub fn cms_sign(
    pki: &GostPki,
    who: &str,
    algorithm: &str,
    content: &[u8],
    extra: &[&str],
) -> Vec<u8> {
    let input = write_temp(pki, content);
    let out = pki.path(&format!("sig-{}.der", unique()));
    let line = format!(
        "cms -sign -binary -in {} -signer {who}.pem -inkey {who}.key -outform DER -md {} -out {} {}",
        input.display(),
        md_for(algorithm),
        out.display(),
        extra.join(" ")
    );
    pki.run("", &line);
    std::fs::read(out).unwrap()
}

/// The reference verdict: `openssl cms -verify` with the engine against the trusted CAs
/// and every CRL (`-crl_check_all`), detached content given when the message has none.
pub fn openssl_accepts(pki: &GostPki, sig: &[u8], content: &[u8]) -> bool {
    let sig_path = write_temp(pki, sig);
    let content_path = write_temp(pki, content);
    let out_path = pki.path(&format!("out-{}.bin", unique()));
    let attached = ipgo::sign::cms::parse(sig).map(|p| p.econtent.is_some()).unwrap_or(false);
    let mut line = format!(
        "cms -verify -binary -inform DER -in {} -out {} -CAfile trusted+crls.pem -crl_check_all",
        sig_path.display(),
        out_path.display()
    );
    if !attached {
        line.push_str(&format!(" -content {}", content_path.display()));
    }
    let ok = pki.openssl_status("", &line.split_whitespace().collect::<Vec<_>>()).status.success();
    let same = std::fs::read(&out_path).map(|got| got == content).unwrap_or(false);
    for p in [sig_path, content_path, out_path] {
        let _ = std::fs::remove_file(p);
    }
    ok && same
}

/// A raw GOST signature by `key` (a PEM file in the PKI) over `data` with the engine
/// computing the hash: `s ‖ r` big-endian, as OpenSSL writes it.
pub fn dgst_sign(pki: &GostPki, key: &str, md: &str, data: &[u8]) -> Vec<u8> {
    let input = write_temp(pki, data);
    let out = pki.path(&format!("raw-{}.bin", unique()));
    pki.run("", &format!("dgst -{md} -sign {key} -out {} {}", out.display(), input.display()));
    std::fs::read(out).unwrap()
}

/// A raw GOST signature by `key` over a hash value already computed (`pkeyutl -sign`):
/// for GOST 34.311-95, whose S-box the engine's `md_gost94` does not use.
pub fn pkeyutl_sign(pki: &GostPki, key: &str, hash: &[u8]) -> Vec<u8> {
    let input = write_temp(pki, hash);
    let out = pki.path(&format!("raw-{}.bin", unique()));
    pki.run(
        "",
        &format!("pkeyutl -sign -inkey {key} -in {} -out {}", input.display(), out.display()),
    );
    std::fs::read(out).unwrap()
}
