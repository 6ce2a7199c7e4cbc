//! The demo's signing keys, so that `ipgo demo` can show workflows that need signatures
//! (draft acts approved by heads, signed ballots) without an external CA: a root
//! "ipgo demo CA (not for production)" and its CRL are put in the trust store through the
//! same service (and access log) as an administrator's import, and each demo head gets a
//! P-256 key with a signing certificate registered to their account.
//!
//! The keys are written to `<data>/demo-signing/<login>.p12` (mode 0600, password
//! [`P12_PASSWORD`]), so a person trying the demo without NCALayer can sign a manifest or a
//! ballot with `ipgo sign --p12 …` and upload the signature; [`write_howto`] puts the
//! steps in `demo-signing.txt` beside `demo-accounts.txt`. A production installation
//! never runs `ipgo demo`; an administrator removes the demo CA with `ipgo trust remove`.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber, date_time_ymd,
};

use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::sign::signer::SigningIdentity;

/// The password of the demo's `.p12` files (they hold demo keys only).
pub const P12_PASSWORD: &str = "demo";

/// The demo CA that issues the heads' signing certificates.
pub struct DemoPki {
    issuer: Issuer<'static, KeyPair>,
    ca_der: Vec<u8>,
    dir: PathBuf,
    /// (year, month, day) today, UTC: certificates are valid from the start of last year.
    today: (i32, u8, u8),
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::internal(format!("demo signing keys: {what}: {e}"))
}

fn today() -> (i32, u8, u8) {
    let now = crate::clock::now().to_zoned(jiff::tz::TimeZone::UTC);
    (i32::from(now.year()), now.month() as u8, now.day() as u8)
}

impl DemoPki {
    /// Makes the demo CA and installs it with an empty CRL in the trust store.
    pub fn install(app: &App, operator: &Actor) -> Result<DemoPki> {
        let today = today();
        let (y, m, d) = today;
        let key = KeyPair::generate().map_err(|e| failed("CA key", e))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CountryName, "KZ");
        params.distinguished_name.push(DnType::OrganizationName, "ipgo demo");
        params.distinguished_name.push(DnType::CommonName, "ipgo demo CA (not for production)");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = date_time_ymd(y - 1, 1, 1);
        params.not_after = date_time_ymd(y + 10, 1, 1);
        params.serial_number = Some(SerialNumber::from(1u64));
        let cert = params.self_signed(&key).map_err(|e| failed("CA certificate", e))?;
        let ca_der = cert.der().to_vec();
        let issuer = Issuer::new(params, key);
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(y, m, d),
            next_update: date_time_ymd(y + 3, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer)
        .map_err(|e| failed("CRL", e))?;
        crate::sign::service::add_cas(app, operator, &ca_der)?;
        crate::sign::service::add_crl(app, operator, crl.der())?;
        let dir = app.config.data_dir().join("demo-signing");
        std::fs::create_dir_all(&dir).map_err(|e| failed("directory", e))?;
        Ok(DemoPki { issuer, ca_der, dir, today })
    }

    /// Issues a signing certificate to the account `login`, registers it (active at once,
    /// as an administrator's registration is), writes `<login>.p12` and returns the key.
    pub fn person(&self, app: &App, operator: &Actor, login: &str) -> Result<SigningIdentity> {
        let user = directory::user_by_login(app, operator, login)?;
        let (y, _, _) = self.today;
        let key = KeyPair::generate().map_err(|e| failed("key", e))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CountryName, "KZ");
        params.distinguished_name.push(DnType::CommonName, user.name_ru.clone());
        params.distinguished_name.push(DnType::OrganizationName, "ipgo demo");
        params.key_usages =
            vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
        params.use_authority_key_identifier_extension = true;
        params.not_before = date_time_ymd(y - 1, 1, 1);
        params.not_after = date_time_ymd(y + 3, 1, 1);
        params.serial_number = Some(SerialNumber::from(1000 + user.id));
        let cert = params.signed_by(&key, &self.issuer).map_err(|e| failed("certificate", e))?;
        crate::sign::service::register_certificate(app, operator, user.id, cert.der())?;
        let p12 = self.pkcs12(login, &key.serialize_der(), cert.der())?;
        crate::keys::write_private(&self.dir.join(format!("{login}.p12")), &p12)
            .map_err(|e| failed("writing the .p12 file", e))?;
        SigningIdentity::from_pkcs12(&p12, P12_PASSWORD).map_err(|e| failed("reading it back", e))
    }

    /// The demo key of `login` as written by [`DemoPki::person`], read back from its `.p12`
    /// file as a person trying the demo would use it (features seeded after the drafts sign
    /// with the heads' keys without issuing second certificates).
    pub fn key_of(app: &App, login: &str) -> Result<SigningIdentity> {
        let file = app.config.data_dir().join("demo-signing").join(format!("{login}.p12"));
        let p12 = std::fs::read(&file).map_err(|e| failed(&file.display().to_string(), e))?;
        SigningIdentity::from_pkcs12(&p12, P12_PASSWORD).map_err(|e| failed("reading it", e))
    }

    fn pkcs12(&self, login: &str, key_der: &[u8], cert_der: &[u8]) -> Result<Vec<u8>> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let key = PrivateKey::from_der(key_der).map_err(|e| failed("PKCS#8", e))?;
        let certs = [cert_der, self.ca_der.as_slice()]
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| failed("certificate chain", e))?;
        let chain = PrivateKeyChain::new(login.as_bytes(), key, certs);
        let mut store = KeyStore::new();
        store.add_entry(login, KeyStoreEntry::PrivateKeyChain(chain));
        store.writer(P12_PASSWORD).write().map_err(|e| failed("PKCS#12", e))
    }
}

/// The file beside `demo-accounts.txt` that says how to sign in the demo.
pub const HOWTO_FILE: &str = "demo-signing.txt";

/// Writes [`HOWTO_FILE`] (mode 0600, like the accounts) naming every key file the demo wrote
/// and the steps to sign a draft with one by file upload, in English, Russian and Kazakh;
/// returns its text so the demo prints it too.
pub fn write_howto(app: &App) -> Result<String> {
    let dir = app.config.data_dir().join("demo-signing");
    let mut keys: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| failed("listing the keys", e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".p12"))
        .collect();
    keys.sort();
    let text = howto_text(&dir, &keys);
    crate::keys::write_private(&app.config.data_dir().join(HOWTO_FILE), text.as_bytes())
        .map_err(|e| failed("writing the how-to", e))?;
    Ok(text)
}

fn howto_text(dir: &std::path::Path, keys: &[String]) -> String {
    let dir = dir.display();
    let mut t = String::new();
    t.push_str("How to sign in the demo / Как подписывать в демо / Демода қалай қол қою керек\n\n");
    t.push_str(&format!(
        "Key files (PKCS#12), password \"{P12_PASSWORD}\" / Файлы ключей, пароль \"{P12_PASSWORD}\" / \
         Кілт файлдары, құпиясөз \"{P12_PASSWORD}\":\n"
    ));
    for k in keys {
        let login = k.trim_end_matches(".p12");
        t.push_str(&format!("  {login:<14} {dir}/{k}\n"));
    }
    t.push_str(&format!(
        "\n1. Sign in as the head (accounts: demo-accounts.txt), open \"Draft acts\", the draft, \"Your actions\".\n\
         2. Without NCALayer: follow \"Download the manifest\".\n\
         3. On the server: IPGO_P12_PASSWORD={P12_PASSWORD} ipgo sign --p12 {dir}/LOGIN.p12 \\\n\
         \x20     --manifest manifest.txt --out signature.p7s\n\
         4. Choose signature.p7s in \"Signature file\" and press \"Sign with the file\".\n\
         Order: dev.head signs the draft; fin.head and econ.head register the letter and approve;\n\
         okdo.officer checks it at the Chancellery and opens the vote; the heads sign their ballots\n\
         the same way (the ballot text instead of the manifest).\n\n\
         1. Войдите как руководитель (учётные записи: demo-accounts.txt), откройте «Проекты НПА», проект,\n\
         \x20  «Ваши действия». 2. Без NCALayer нажмите «Скачать манифест». 3. На сервере подпишите его командой\n\
         \x20  выше (LOGIN — ваш логин). 4. Загрузите signature.p7s в поле «Файл подписи».\n\n\
         1. Басшы ретінде кіріңіз (тіркелгілер: demo-accounts.txt), «НҚА жобалары» бөлімінде жобаны ашып,\n\
         \x20  «Сіздің әрекеттеріңіз» бөлімін табыңыз. 2. NCALayer болмаса, «Манифесті жүктеп алу» сілтемесін басыңыз.\n\
         \x20  3. Серверде жоғарыдағы командамен қол қойыңыз (LOGIN — логиніңіз). 4. signature.p7s\n\
         \x20  файлын «Қолтаңба файлы» өрісіне жүктеңіз.\n\n\
         The demo CA \"ipgo demo CA (not for production)\" and its CRL are in the trust store\n\
         (Administration → Trust); never run the demo on a production installation.\n"
    ));
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_howto_names_every_key_file_its_password_and_the_command() {
        let keys = vec!["dev.head.p12".to_owned(), "okdo.officer.p12".to_owned()];
        let t = super::howto_text(std::path::Path::new("/var/lib/ipgo/demo-signing"), &keys);
        assert!(t.contains("/var/lib/ipgo/demo-signing/dev.head.p12"), "{t}");
        assert!(t.contains("/var/lib/ipgo/demo-signing/okdo.officer.p12"), "{t}");
        assert!(t.contains("password \"demo\""), "{t}");
        assert!(t.contains("ipgo sign --p12"), "{t}");
        assert!(t.contains("Как подписывать") && t.contains("қол қою"), "{t}");
    }
}
