//! Sign-in against an agency's directory and the scheduled directory sync (I617 §20–§21),
//! against a REAL OpenLDAP `slapd` that the test starts on loopback with a temporary
//! configuration and TLS certificates made by openssl (a CA, a valid server certificate and
//! an expired one). `tests/setup-directory.sh` installs slapd and ldap-utils.
//!
//! Checked through the real server with a clock the test controls: a directory person's
//! first sign-in creates the account from the entry (name, position, department); a wrong
//! password and a hostile login are refused; a synchronisation creates, updates and
//! disables accounts as the directory says; a wrong service password, an expired server
//! certificate and a directory that is down each give their translated error on the
//! settings page and in the API and change nothing; local accounts keep signing in while
//! the directory is down; only the system administrator sees the settings or runs a sync
//! (403, logged).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::common::{PASSWORD, Server, entries_for, free_port, ftl, wait_for};

pub(crate) const SUFFIX: &str = "dc=akm,dc=test";
pub(crate) const ADMIN_DN: &str = "cn=admin,dc=akm,dc=test";
pub(crate) const ADMIN_PW: &str = "slapd-root-secret";
pub(crate) const READER_PW: &str = "reader-secret";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    run(Command::new("openssl").current_dir(dir).args(args));
}

/// A CA, a server certificate for 127.0.0.1 valid now, and one for the same names that
/// expired in 2021 (signed with `openssl ca`, which sets any dates).
pub(crate) fn pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=AKM Directory Test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "30",
            "-extfile",
            "san.ext",
        ],
    );
    // The expired certificate: `openssl ca` with explicit dates.
    std::fs::create_dir_all(dir.join("ca-db")).unwrap();
    std::fs::write(dir.join("ca-db/index.txt"), "").unwrap();
    std::fs::write(dir.join("ca-db/serial"), "1000\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = test\n[test]\ndatabase = ca-db/index.txt\nserial = ca-db/serial\n\
         new_certs_dir = ca-db\ncertificate = ca.pem\nprivate_key = ca.key\n\
         default_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n\
         x509_extensions = ext\n[any]\ncommonName = supplied\n\
         [ext]\nsubjectAltName = IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-in",
            "server.csr",
            "-out",
            "expired.pem",
            "-notext",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
        ],
    );
}

/// A running slapd; killed (and waited for) when dropped.
pub(crate) struct Slapd {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    starttls: bool,
}

impl Slapd {
    /// A slapd serving `ldaps://127.0.0.1:PORT` with `cert` (a file of `pki`), its database
    /// loaded from `ldif` with slapadd before it starts.
    pub(crate) fn start(root: &Path, name: &str, cert: &str, ldif: &str) -> Slapd {
        Slapd::start_with(root, name, cert, ldif, false)
    }

    /// Like [`start`](Self::start); with `starttls`, slapd serves `ldap://127.0.0.1:PORT`
    /// and protects a connection when the client asks with StartTLS.
    pub(crate) fn start_with(
        root: &Path,
        name: &str,
        cert: &str,
        ldif: &str,
        starttls: bool,
    ) -> Slapd {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("db")).unwrap();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             pidfile {d}/slapd.pid\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             TLSCACertificateFile {r}/ca.pem\n\
             TLSCertificateFile {r}/{cert}\n\
             TLSCertificateKeyFile {r}/server.key\n\
             database mdb\n\
             maxsize 10485760\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ADMIN_DN}\"\n\
             rootpw {ADMIN_PW}\n\
             directory {d}/db\n\
             access to attrs=userPassword by self write by anonymous auth by * none\n\
             access to * by users read by * none\n",
            d = dir.display(),
            r = root.display(),
        );
        std::fs::write(dir.join("slapd.conf"), conf).unwrap();
        std::fs::write(dir.join("data.ldif"), ldif).unwrap();
        run(Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .arg("-l")
            .arg(dir.join("data.ldif")));
        let mut slapd = Slapd { child: None, dir, port: free_port(), starttls };
        slapd.launch();
        slapd
    }

    pub(crate) fn url(&self) -> String {
        let scheme = if self.starttls { "ldap" } else { "ldaps" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(self.dir.join("slapd.conf"))
            .arg("-h")
            .arg(self.url())
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd (tests/setup-directory.sh installs it)");
        self.child = Some(child);
        let port = self.port;
        wait_for("slapd to listen", 20, || std::net::TcpStream::connect(("127.0.0.1", port)).ok());
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `ldapmodify` as the directory's administrator, over the same TLS.
    fn modify(&self, root: &Path, ldif: &str) {
        let path = self.dir.join("change.ldif");
        std::fs::write(&path, ldif).unwrap();
        run(Command::new("ldapmodify")
            .env("LDAPTLS_CACERT", root.join("ca.pem"))
            .args(["-x", "-H", &self.url(), "-D", ADMIN_DN, "-w", ADMIN_PW, "-f"])
            .arg(&path));
    }

    fn delete(&self, root: &Path, dn: &str) {
        run(Command::new("ldapdelete").env("LDAPTLS_CACERT", root.join("ca.pem")).args([
            "-x",
            "-H",
            &self.url(),
            "-D",
            ADMIN_DN,
            "-w",
            ADMIN_PW,
            dn,
        ]));
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn person(uid: &str, cn: &str, title: &str, ou: &str, password: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\n\
         sn: {uid}\ntitle: {title}\nou: {ou}\nmail: {uid}@akm.test\nuserPassword: {password}\n\n"
    )
}

pub(crate) fn directory_ldif() -> String {
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: akm\no: AKM\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: cn=reader,{SUFFIX}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n\
         cn: reader\nuserPassword: {READER_PW}\n\n{}{}",
        person(
            "ivanov",
            "Иванов Иван Иванович",
            "Главный специалист",
            "Отдел кадров",
            "Ivanov-Dir-1"
        ),
        person("petrov", "Петров Пётр", "Эксперт", "Отдел цифровизации", "Petrov-Dir-1"),
    )
}

/// The settings of one agency's directory as `IPGO_*` variables.
pub(crate) fn directory_env(
    code: &str,
    url: &str,
    root: &Path,
    password_file: &Path,
) -> Vec<(String, String)> {
    let key = |k: &str| format!("IPGO_DIRECTORY__AGENCIES__{code}__{k}");
    vec![
        (key("URL"), url.to_owned()),
        (key("CA_FILE"), root.join("ca.pem").display().to_string()),
        (key("BIND_DN"), format!("cn=reader,{SUFFIX}")),
        (key("BIND_PASSWORD_FILE"), password_file.display().to_string()),
        (key("BASE_DN"), format!("ou=people,{SUFFIX}")),
        (key("SYNC_FILTER"), "(objectClass=inetOrgPerson)".into()),
        (key("USER_FILTER"), "(&(objectClass=inetOrgPerson)(uid={login}))".into()),
    ]
}

pub(crate) fn account(admin: &crate::common::client::Client, login: &str) -> Value {
    let (status, list) = admin.get_json("/api/v1/users");
    assert_eq!(status, 200, "{list}");
    let items = list.as_array().or_else(|| list["items"].as_array()).expect("a list of accounts");
    items.iter().find(|u| u["login"] == login).cloned().unwrap_or(Value::Null)
}

pub(crate) fn run_of<'a>(runs: &'a Value, agency: &str) -> &'a Value {
    runs.as_array()
        .expect("runs")
        .iter()
        .find(|r| r["agency"] == agency)
        .unwrap_or_else(|| panic!("no run of {agency} in {runs}"))
}

#[test]
fn i617_s20_s21_ldap_sign_in_and_directory_sync_against_a_real_slapd() {
    let pki_dir = tempfile::Builder::new().prefix("ipgo-ldap-").tempdir().unwrap();
    let root = pki_dir.path();
    pki(root);
    let ldif = directory_ldif();
    let mut akm = Slapd::start(root, "akm", "server.pem", &ldif);
    let expired = Slapd::start(root, "expired", "expired.pem", &ldif);
    let good_pw = root.join("reader.pw");
    let wrong_pw = root.join("wrong.pw");
    std::fs::write(&good_pw, format!("{READER_PW}\n")).unwrap();
    std::fs::write(&wrong_pw, "not-the-password\n").unwrap();

    let mut builder = Server::builder().controllable_clock();
    let mut env = directory_env("AKM", &akm.url(), root, &good_pw);
    env.extend(directory_env("MIN", &akm.url(), root, &wrong_pw));
    env.extend(directory_env("EXP", &expired.url(), root, &good_pw));
    for (k, v) in &env {
        builder = builder.env(k, v);
    }
    builder = builder.env("IPGO_DIRECTORY__SYNC_INTERVAL_SECONDS", "3600");
    let server = builder.start();
    server.set_clock("2027-02-01T10:00:00+05:00");
    for code in ["AKM", "MIN", "EXP"] {
        server.add_agency(code);
    }
    server.add_user("sysadm", "AKM", &["system_admin"]);
    server.add_user("clerk", "AKM", &["employee"]);
    let mut admin = server.signed_in("sysadm");

    // First sign-in of a directory person: the account is made from the entry.
    let ivanov = server.client();
    let (status, e) = ivanov.try_login("ivanov", "wrong-password");
    assert_eq!((status, e["code"].as_str()), (401, Some("invalid_credentials")), "{e}");
    // A wildcard matches nobody in AKM's directory (escaped, RFC 4515); MIN's and EXP's
    // directories cannot answer, so the portal says so rather than "wrong password".
    let (status, e) = ivanov.try_login("*", "Ivanov-Dir-1");
    assert_eq!(status, 503, "a wildcard login signs nobody in: {e}");
    let (status, e) = ivanov.try_login("ivanov", "");
    assert_eq!(status, 401, "an empty password is no anonymous bind: {e}");
    ivanov.login("ivanov", "Ivanov-Dir-1");
    let (status, me) = ivanov.get_json("/api/v1/me");
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name_ru"], "Иванов Иван Иванович", "{me}");
    assert_eq!(me["position_ru"], "Главный специалист", "{me}");
    assert_eq!(me["agency"]["code"], "AKM", "{me}");
    assert_eq!(me["department"]["name_ru"], "Отдел кадров", "{me}");

    // Only the system administrator sees the settings and runs a synchronisation.
    let clerk = server.signed_in("clerk");
    assert_eq!(clerk.get_json("/api/v1/directory-sync").0, 403);
    assert_eq!(clerk.post_json("/api/v1/directory-sync", &Value::Null).0, 403);
    let entries = server.audit_entries();
    let denied = entries_for(&entries, "POST", "/api/v1/directory-sync");
    assert!(
        denied.iter().any(|e| e["status"] == 403 && e["operation"] == "ldap.sync"),
        "the refused run is logged: {denied:?}"
    );

    // A synchronisation now: AKM's people come in; MIN's wrong service password and EXP's
    // expired certificate are told in words, and change nothing.
    let (status, body) = admin.post_json("/api/v1/directory-sync", &Value::Null);
    assert_eq!(status, 200, "{body}");
    let runs = &body["runs"];
    let akm_run = run_of(runs, "AKM");
    assert_eq!(akm_run["error_key"], Value::Null, "{akm_run}");
    assert_eq!((akm_run["found"].as_u64(), akm_run["created"].as_u64()), (Some(2), Some(1)));
    assert_eq!(akm_run["trigger"], "manual");
    let min_run = run_of(runs, "MIN");
    assert_eq!(min_run["error_key"], "ldap-error-service-bind", "{min_run}");
    assert_eq!(min_run["message"], ftl("ru", "ldap-error-service-bind"), "{min_run}");
    let exp_run = run_of(runs, "EXP");
    assert_eq!(exp_run["error_key"], "ldap-error-certificate-expired", "{exp_run}");
    assert_eq!(exp_run["created"], 0);
    let petrov = account(&admin, "petrov");
    assert_eq!(petrov["status"], "active", "{petrov}");
    assert_eq!(petrov["position_ru"], "Эксперт", "{petrov}");

    // The settings page, in Russian: every directory, its transport, the last results and
    // the translated reasons; no password anywhere.
    let page = admin.get("/admin/directory-sync?lang=ru");
    assert_eq!(page.status, 200);
    let html = &page.body;
    for text in [
        ftl("ru", "ldap-error-service-bind"),
        ftl("ru", "ldap-error-certificate-expired"),
        ftl("ru", "ldap-run-now"),
        akm.url(),
    ] {
        assert!(html.contains(&text), "the settings page shows {text:?}");
    }
    assert!(!html.contains(READER_PW), "no password on the page");
    assert!(html.contains("data-transport=\"ldaps\""));

    // The directory changes: Ivanov's position, Petrov leaves. The scheduled run (an hour
    // of the portal's clock later) follows; Petrov's account is disabled.
    akm.modify(
        root,
        &format!(
            "dn: uid=ivanov,ou=people,{SUFFIX}\nchangetype: modify\nreplace: title\n\
             title: Руководитель управления\n"
        ),
    );
    akm.delete(root, &format!("uid=petrov,ou=people,{SUFFIX}"));
    let (status, e) = server.client().try_login("petrov", "Petrov-Dir-1");
    assert_eq!(status, 401, "a person gone from the directory does not sign in: {e}");
    server.advance_clock("61m");
    admin = server.signed_in("sysadm"); // the idle session expired with the hour
    let akm_run = wait_for("the scheduled synchronisation", 30, || {
        let (_, body) = admin.get_json("/api/v1/directory-sync");
        let dirs = body["directories"].as_array()?.clone();
        let run = dirs.iter().find(|d| d["agency"] == "AKM")?["last_run"].clone();
        (run["trigger"] == "schedule").then_some(run)
    });
    assert_eq!((akm_run["updated"].as_u64(), akm_run["disabled"].as_u64()), (Some(1), Some(1)));
    assert_eq!(account(&admin, "petrov")["status"], "disabled");
    assert_eq!(account(&admin, "ivanov")["position_ru"], "Руководитель управления");

    // The directory is down: its people are told so (503, translated), local accounts sign
    // in as ever, and a synchronisation changes nothing.
    akm.stop();
    let (status, e) = server.client().try_login("ivanov", "Ivanov-Dir-1");
    assert_eq!(status, 503, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains(&ftl("ru", "directory-unreachable")),
        "{e}"
    );
    server.client().login("clerk", PASSWORD);
    let (_, body) = admin.post_json("/api/v1/directory-sync", &Value::Null);
    let akm_run = run_of(&body["runs"], "AKM");
    assert_eq!(akm_run["error_key"], "ldap-error-unreachable", "{akm_run}");
    assert_eq!(account(&admin, "ivanov")["status"], "active", "nothing lost");

    // Back up: Ivanov signs in with the directory password again.
    akm.launch();
    server.client().login("ivanov", "Ivanov-Dir-1");
    drop(expired);
}
