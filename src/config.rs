//! Configuration: complete built-in defaults, then the TOML file, then `IPGO_*` environment
//! variables, then command-line flags — each later source overrides the earlier.
//!
//! Environment variables name a key by its section and field joined with a double
//! underscore: `IPGO_SERVER__LISTEN=0.0.0.0:443`, `IPGO_SESSION__IDLE_TIMEOUT_SECONDS=15`.
//! Unknown keys are refused so that a typo never silently falls back to a default.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The file read when no `--config` is given and no `--data` directory overrides it.
pub const SYSTEM_CONFIG: &str = "/etc/ipgo/ipgo.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub tls: TlsConfig,
    pub storage: StorageConfig,
    pub session: SessionConfig,
    pub login: LoginConfig,
    pub audit: AuditConfig,
    pub ui: UiConfig,
    pub documents: DocumentsConfig,
    pub mail: MailConfig,
    pub drafts: DraftsConfig,
    pub polls: crate::portal::polls::PollsConfig,
    pub plans: crate::portal::plans::PlansConfig,
    pub headcount: crate::portal::headcount::HeadcountConfig,
    pub reminders: crate::portal::reminders::RemindersConfig,
    pub signatures: SignaturesConfig,
    pub search: SearchConfig,
    pub helpdesk: crate::portal::helpdesk::config::HelpdeskConfig,
    pub directory: crate::portal::ldap::DirectoryConfig,
    pub self_audit: crate::portal::selfaudit::SelfAuditConfig,
    pub testing: TestingConfig,
}

/// Switches for tests of the portal itself; never enabled on a real installation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TestingConfig {
    /// Lets `ipgo clock set|advance` move the portal's clock (deadlines, schedules and
    /// closing polls are tested without waiting). Off: the clock is the system's.
    pub controllable_clock: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub listen: String,
    /// The address users type (e.g. `https://portal.akimat.kz`), used for links in mail and
    /// for the Origin check. When empty, the request's own Host header is used.
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed. Empty: the header is ignored.
    pub trusted_proxies: Vec<IpNet>,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Admin socket; empty means `<data_dir>/admin.sock`.
    pub admin_socket: String,
    /// A request's line and headers must arrive within this many seconds, or it is
    /// answered 408 and the connection closed.
    pub request_head_timeout_seconds: u64,
    /// A request body may take this many seconds plus one second per
    /// `body_min_bytes_per_second` bytes received; slower, it is answered 408 (slow-body
    /// attacks hold connections open otherwise).
    pub body_timeout_seconds: u64,
    pub body_min_bytes_per_second: u64,
    /// Most parts of one multipart request (files and form fields).
    pub max_parts_per_request: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain. With `key`, turns TLS on.
    pub cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: String,
    /// When no certificate is configured, generate a self-signed one in the keys directory
    /// on first start (and reuse it afterwards).
    pub self_signed: bool,
    /// Host names and addresses the self-signed certificate is made for (with the host of
    /// `server.public_url`, which names it).
    pub self_signed_names: Vec<String>,
    /// Days a self-signed certificate is valid from when it is made (renewed by
    /// `ipgo init --renew-tls`); at most 825.
    pub self_signed_days: u32,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert: String::new(),
            key: String::new(),
            self_signed: false,
            self_signed_names: Vec::new(),
            self_signed_days: 365,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Where the database, blobs, index and audit archives live.
    pub data_dir: PathBuf,
    /// Where the appliance signing key and the vault key live. Empty means `<data_dir>/keys`,
    /// which is acceptable for a demo only: production keeps keys apart from data
    /// (the packaged configuration uses `/etc/ipgo/keys`).
    pub keys_dir: PathBuf,
    /// Below this much free space (MiB) on the data filesystem, writes that add data are
    /// refused and `/readyz` reports not ready.
    pub disk_floor_mb: u64,
    /// redb's page cache, MiB: the pages of records, sessions and the access log read or
    /// written lately. Without a bound it grows with the database (redb's default is 1 GiB).
    /// redb never shrinks it while the database is open (only closing frees it), so what it
    /// holds after a burst stays: the default is small (issue 22 point 5).
    pub db_cache_mb: u64,
    /// Blocks of the search index's document store (sealed texts for snippets) kept decoded
    /// per index segment; each block holds a few documents (≈16 KiB, or one large document).
    pub index_cache_blocks: usize,
    /// Memory pools (arenas) of the C allocator. Each thread group keeps the memory it freed
    /// in its own pool; fewer pools keep less after a burst. 0: the allocator's default
    /// (eight per core).
    pub allocator_arenas: usize,
    /// Memory freed after a burst of work goes back to the system once no request has
    /// arrived for this many seconds (0: never; the allocator then keeps it for reuse).
    pub release_memory_after_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session not used for this many seconds ends.
    pub idle_timeout_seconds: u64,
    /// A session ends this many seconds after sign-in whatever its use.
    pub absolute_timeout_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Consecutive failed sign-ins after which an account is locked.
    pub max_failures: u32,
    /// How long (seconds) a locked account stays locked.
    pub lockout_seconds: u64,
    /// Sign-in attempts allowed per client address per minute (throttling).
    pub attempts_per_minute_per_ip: u32,
    /// Minimum length of a new password.
    pub min_password_length: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Longest wait before journaled entries are committed to the chain as a group, and
    /// before entries nobody waits for (refused connections, jobs) are journaled; a
    /// request's own entry is journaled before it is answered (`audit/journal.rs`). 100 ms:
    /// five times fewer commits under load than 20 ms (the writer's CPU per entry 4.1 →
    /// 2.7 µs); a power cut can lose the entries of this last interval (the journal is not
    /// flushed to the disk per request).
    pub group_commit_ms: u64,
    /// A signed checkpoint after this many entries...
    pub checkpoint_every_entries: u64,
    /// ...or after this many minutes, whichever comes first.
    pub checkpoint_interval_minutes: u64,
    /// Record read-only requests. Required by R365 §7; `false` exists only so the benchmark
    /// can measure the log's cost, and the server warns at start when it is off.
    pub log_read_requests: bool,
    /// Entries per minute for requests refused before they reach the portal (malformed,
    /// oversized headers, timed out); beyond it they are counted and the count is logged
    /// once a minute, so a flood cannot grow the log without limit.
    pub refused_requests_per_minute: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// Most a document may hold, text plus files, in MiB (I385 §9: at most 60).
    pub max_document_mb: u64,
    /// Most files in one version of a document (each costs inspection and indexing work).
    pub max_files_per_document: usize,
    /// Attachment formats accepted (I385 §10); the administrator may narrow the list.
    pub allowed_formats: Vec<String>,
    /// Archive safety limits (also applied to office files, which are archives).
    pub archive_max_entries: usize,
    pub archive_max_total_mb: u64,
    pub archive_max_ratio: u64,
    pub archive_max_depth: u32,
}

impl StorageConfig {
    /// `db_cache_mb` in bytes, for every handle the portal opens on a database (the server's,
    /// and the copy a backup writes).
    pub fn db_cache_bytes(&self) -> usize {
        usize::try_from(self.db_cache_mb << 20).unwrap_or(usize::MAX)
    }
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            max_document_mb: 60,
            max_files_per_document: 100,
            allowed_formats: crate::formats::Format::ALLOWED
                .iter()
                .map(|f| f.name().to_owned())
                .collect(),
            archive_max_entries: 10_000,
            archive_max_total_mb: 1024,
            archive_max_ratio: 200,
            archive_max_depth: 3,
        }
    }
}

impl DocumentsConfig {
    pub fn allowed(&self) -> Vec<crate::formats::Format> {
        self.allowed_formats.iter().filter_map(|f| crate::formats::Format::parse(f)).collect()
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_document_mb * 1024 * 1024
    }

    pub fn archive_limits(&self) -> crate::formats::Limits {
        crate::formats::Limits {
            max_entries: self.archive_max_entries,
            max_total_uncompressed: self.archive_max_total_mb * 1024 * 1024,
            max_ratio: self.archive_max_ratio,
            max_depth: self.archive_max_depth,
        }
    }
}

/// Approval of draft legal acts (I385 §12–§25): who the Chancellery is and how long each
/// stage may take before it is shown and notified as overdue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DraftsConfig {
    /// Code of the agency whose OKDO officers check drafts (the Chancellery).
    pub chancellery_agency: String,
    /// Days for the developer head's signature (§14).
    pub developer_sign_days: u64,
    /// Days for the approving agencies (§16).
    pub approval_days: u64,
    /// Days for the Chancellery's check (§20).
    pub chancellery_days: u64,
    /// Days for an absentee vote (§22–§24): its poll closes by itself then.
    pub vote_days: u64,
    /// The absentee vote's rule: `simple`, `two_thirds` or `all` (of the ballots cast;
    /// `all`: of the heads called).
    pub vote_majority: String,
    /// Share (percent) of the heads called who must vote for the result to count.
    pub vote_quorum_percent: u8,
    /// How often (seconds) overdue stages are looked for and notified.
    pub overdue_check_seconds: u64,
}

impl Default for DraftsConfig {
    fn default() -> Self {
        DraftsConfig {
            chancellery_agency: "KPM".into(),
            developer_sign_days: 3,
            approval_days: 10,
            chancellery_days: 5,
            vote_days: 3,
            vote_majority: "simple".into(),
            vote_quorum_percent: 50,
            overdue_check_seconds: 600,
        }
    }
}

/// E-mail notifications (I385 §11, §41) through the agency's relay inside the closed network.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Without a relay notices go to the in-app inbox only.
    pub enabled: bool,
    pub relay: String,
    pub port: u16,
    /// `none` (a trusted relay on the same host or segment), `starttls` or `tls`.
    pub tls: String,
    /// PEM file with the CA that signed the relay's certificate (the agency's own CA).
    pub ca_file: String,
    pub username: String,
    /// File holding the relay password (e.g. a systemd credential).
    pub password_file: String,
    /// Sender address, e.g. `Портал <portal@akimat.kz>`.
    pub from: String,
    /// Attempts before a message becomes a dead letter.
    pub max_attempts: u32,
    /// Longest wait between attempts, in seconds.
    pub max_retry_delay_seconds: u64,
    /// Days a delivered message stays in the outbox (for support questions such as "was
    /// I told?"); older ones are removed hourly so the queue stays small. Dead letters
    /// stay until the administrator acts.
    pub keep_sent_days: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            enabled: false,
            relay: "127.0.0.1".into(),
            port: 25,
            tls: "none".into(),
            ca_file: String::new(),
            username: String::new(),
            password_file: String::new(),
            from: "ipgo@localhost".into(),
            max_attempts: 8,
            max_retry_delay_seconds: 6 * 3600,
            keep_sent_days: 30,
        }
    }
}

impl MailConfig {
    pub fn from_domain(&self) -> String {
        self.from.rsplit('@').next().unwrap_or("localhost").trim_end_matches('>').to_owned()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Language for visitors who have not chosen one: `kk`, `ru` or `en`.
    pub default_language: String,
}

/// Rules for digital signatures (I385 §57).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignaturesConfig {
    /// Every CA of a signer's chain must have a CRL installed; otherwise signatures are
    /// refused as `revocation_unknown`.
    pub require_crl: bool,
    /// Hours a CRL is still used after its nextUpdate (CRLs travel into a closed network by
    /// hand and may come late). 0: refused as `crl_stale` from nextUpdate on.
    pub crl_grace_hours: u64,
    /// How far (seconds) a signer's signingTime may lie ahead of the server's clock.
    pub max_clock_skew_seconds: u64,
    /// Smallest RSA key accepted, in bits.
    pub min_rsa_bits: usize,
    /// CRLs fetched on a schedule from servers inside the closed network (`http://` URLs:
    /// a CRL is signed by its CA, so it needs no secure transport). Empty: CRLs are
    /// imported by hand only.
    pub crl_urls: Vec<String>,
    /// Seconds between two fetches of `crl_urls` (the first runs a few seconds after start).
    pub crl_fetch_interval_seconds: u64,
    /// Accept a client certificate on TLS connections and offer "sign in with a
    /// certificate" (mutual TLS against the trust store; the certificate must be
    /// registered, active, to an active account). Password sign-in always stays.
    pub certificate_sign_in: bool,
}

impl Default for SignaturesConfig {
    fn default() -> Self {
        SignaturesConfig {
            require_crl: true,
            crl_grace_hours: 0,
            max_clock_skew_seconds: 300,
            min_rsa_bits: 2048,
            crl_urls: Vec::new(),
            crl_fetch_interval_seconds: 6 * 3600,
            certificate_sign_in: true,
        }
    }
}

/// Full-text search (I385 §6.6).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Threads that extract and analyse changed documents for the index (off the request
    /// path). Each extraction runs in its own sandboxed child process.
    pub workers: usize,
    /// Recognise the text of TIFF/JPEG scans with Debian `tesseract-ocr` (kaz, rus) while
    /// indexing. Slow; off by default.
    pub ocr: bool,
    /// Searches running at once; more wait their turn. 0: two per CPU core.
    pub max_concurrent: usize,
    /// Memory of the index writer, MiB (0: 96).
    pub writer_memory_mb: usize,
    /// Most extraction time one document gets before the documents queued behind it have
    /// theirs (milliseconds): a document of many attachments is indexed in turns.
    pub extraction_turn_ms: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            workers: 1,
            ocr: false,
            max_concurrent: 0,
            writer_memory_mb: 0,
            extraction_turn_ms: 2000,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            workers: 0,
            admin_socket: String::new(),
            request_head_timeout_seconds: 30,
            body_timeout_seconds: 20,
            body_min_bytes_per_second: 1000,
            max_parts_per_request: 256,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("/var/lib/ipgo"),
            keys_dir: PathBuf::new(),
            disk_floor_mb: 512,
            // Sized for a 4 GB server (docs/admin-guide.md, "Sizing").
            db_cache_mb: 32,
            index_cache_blocks: 10,
            allocator_arenas: 2,
            release_memory_after_seconds: 10,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig { idle_timeout_seconds: 30 * 60, absolute_timeout_seconds: 12 * 3600 }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            max_failures: 5,
            lockout_seconds: 15 * 60,
            attempts_per_minute_per_ip: 30,
            min_password_length: 10,
        }
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            group_commit_ms: 100,
            checkpoint_every_entries: 1000,
            checkpoint_interval_minutes: 10,
            log_read_requests: true,
            refused_requests_per_minute: 600,
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig { default_language: "ru".into() }
    }
}

/// Values given on the command line; they override every other source.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

impl Config {
    /// Loads defaults < file < environment < command line, then checks the result.
    pub fn load(cli: &CliOverrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match &cli.config_file {
            Some(file) => {
                if !file.exists() {
                    anyhow::bail!("configuration file {} does not exist", file.display());
                }
                figment = figment.merge(Toml::file_exact(file));
            }
            // The system file describes the installed appliance; a command aimed at another
            // data directory must not pick up its settings by accident.
            None if cli.data_dir.is_none() && Path::new(SYSTEM_CONFIG).exists() => {
                figment = figment.merge(Toml::file_exact(SYSTEM_CONFIG));
            }
            None => {}
        }
        figment =
            figment.merge(Env::prefixed("IPGO_").filter(|k| k.as_str().contains("__")).split("__"));
        if let Some(dir) = &cli.data_dir {
            figment = figment.merge(Serialized::default("storage.data_dir", dir));
        }
        if let Some(listen) = &cli.listen {
            figment = figment.merge(Serialized::default("server.listen", listen));
        }
        let config: Config =
            figment.extract().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        config.verify()?;
        Ok(config)
    }

    /// Checks values that the types alone cannot.
    pub fn verify(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        if self.tls.cert.is_empty() != self.tls.key.is_empty() {
            anyhow::bail!("tls.cert and tls.key must be given together");
        }
        let max_days = crate::web::tls::MAX_SELF_SIGNED_DAYS;
        if !(1..=max_days).contains(&self.tls.self_signed_days) {
            anyhow::bail!("tls.self_signed_days must be between 1 and {max_days}");
        }
        if !matches!(self.ui.default_language.as_str(), "kk" | "ru" | "en") {
            anyhow::bail!("ui.default_language must be kk, ru or en");
        }
        if self.storage.db_cache_mb < 8 {
            anyhow::bail!("storage.db_cache_mb must be at least 8");
        }
        if self.session.idle_timeout_seconds == 0 || self.session.absolute_timeout_seconds == 0 {
            anyhow::bail!("session timeouts must be positive");
        }
        if self.login.max_failures == 0 || self.login.attempts_per_minute_per_ip == 0 {
            anyhow::bail!(
                "login.max_failures and login.attempts_per_minute_per_ip must be positive"
            );
        }
        if self.login.min_password_length < 8 {
            anyhow::bail!("login.min_password_length must be at least 8");
        }
        if self.audit.checkpoint_every_entries == 0 || self.audit.checkpoint_interval_minutes == 0 {
            anyhow::bail!("audit checkpoint intervals must be positive");
        }
        if self.server.request_head_timeout_seconds == 0
            || self.server.body_timeout_seconds == 0
            || self.server.body_min_bytes_per_second == 0
        {
            anyhow::bail!("server request timeouts and the minimum body rate must be positive");
        }
        if self.search.extraction_turn_ms == 0 {
            anyhow::bail!("search.extraction_turn_ms must be positive");
        }
        if self.server.max_parts_per_request < 2 || self.documents.max_files_per_document == 0 {
            anyhow::bail!(
                "server.max_parts_per_request must be at least 2 and documents.max_files_per_document positive"
            );
        }
        if self.documents.max_document_mb == 0 || self.documents.max_document_mb > 60 {
            anyhow::bail!("documents.max_document_mb must be between 1 and 60 (I385 §9)");
        }
        for f in &self.documents.allowed_formats {
            if crate::formats::Format::parse(f).is_none() {
                anyhow::bail!("documents.allowed_formats: unknown format {f:?}");
            }
        }
        if self.documents.archive_max_depth == 0 || self.documents.archive_max_entries == 0 {
            anyhow::bail!("documents archive limits must be positive");
        }
        if !matches!(self.mail.tls.as_str(), "none" | "starttls" | "tls") {
            anyhow::bail!("mail.tls must be none, starttls or tls");
        }
        if self.mail.enabled && self.mail.max_attempts == 0 {
            anyhow::bail!("mail.max_attempts must be positive");
        }
        if self.mail.enabled && self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            anyhow::bail!("mail.from {:?} is not an e-mail address", self.mail.from);
        }
        self.reminders.verify()?;
        if self.signatures.min_rsa_bits < 1024 {
            anyhow::bail!("signatures.min_rsa_bits must be at least 1024");
        }
        for url in &self.signatures.crl_urls {
            if !url.starts_with("http://") {
                anyhow::bail!("signatures.crl_urls: {url:?} is not an http:// URL");
            }
        }
        if self.signatures.crl_fetch_interval_seconds < 1 {
            anyhow::bail!("signatures.crl_fetch_interval_seconds must be at least 1");
        }
        if crate::portal::polls::model::Majority::parse(&self.drafts.vote_majority).is_none() {
            anyhow::bail!("drafts.vote_majority must be simple, two_thirds or all");
        }
        if self.drafts.vote_quorum_percent > 100 || self.drafts.vote_days == 0 {
            anyhow::bail!("drafts.vote_quorum_percent must be 0–100 and drafts.vote_days positive");
        }
        self.helpdesk.verify()?;
        self.directory.verify()?;
        let url = &self.server.public_url;
        if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://") {
            anyhow::bail!("server.public_url must start with https:// or http://");
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server.listen.parse().map_err(|_| {
            anyhow::anyhow!("server.listen {:?} is not an address:port", self.server.listen)
        })
    }

    pub fn tls_enabled(&self) -> bool {
        !self.tls.cert.is_empty() || self.tls.self_signed
    }

    /// Plain HTTP is allowed only where traffic never leaves the machine.
    pub fn check_transport(&self) -> anyhow::Result<()> {
        self.check_transport_at(self.listen_addr()?)
    }

    /// The same check for the address actually listened on (a socket handed over by
    /// systemd may differ from `server.listen`).
    pub fn check_transport_at(&self, addr: SocketAddr) -> anyhow::Result<()> {
        if !self.tls_enabled() && !addr.ip().is_loopback() {
            anyhow::bail!(
                "refusing to listen on {addr} without TLS: configure tls.cert and tls.key, or \
                 tls.self_signed = true, or listen on a loopback address"
            );
        }
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.storage.data_dir
    }

    /// Where access-log entries wait for their commit to the chain (`audit/journal.rs`).
    pub fn audit_journal_dir(&self) -> PathBuf {
        self.storage.data_dir.join("audit-journal")
    }

    pub fn keys_dir(&self) -> PathBuf {
        if self.storage.keys_dir.as_os_str().is_empty() {
            self.storage.data_dir.join("keys")
        } else {
            self.storage.keys_dir.clone()
        }
    }

    pub fn admin_socket(&self) -> PathBuf {
        if self.server.admin_socket.is_empty() {
            self.storage.data_dir.join("admin.sock")
        } else {
            PathBuf::from(&self.server.admin_socket)
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.storage.data_dir.join("ipgo.redb")
    }

    /// Whether a client address is a trusted reverse proxy.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.server.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_complete_and_valid() {
        let config = Config::default();
        config.verify().unwrap();
        assert_eq!(config.listen_addr().unwrap().to_string(), "127.0.0.1:8080");
        config.check_transport().unwrap();
    }

    /// Issue 22 point 5 (I617 §24–§25: the portal kept running 24/7): redb keeps its page
    /// cache until the database closes, so the default is the small size the benchmark
    /// chose, and the database's own fallback is the same size.
    #[test]
    fn the_default_database_cache_is_the_benchmarked_32_mib() {
        let config = Config::default();
        assert_eq!(config.storage.db_cache_mb, 32);
        assert_eq!(crate::db::DEFAULT_CACHE_BYTES as u64, config.storage.db_cache_mb << 20);
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let mut config = Config::default();
        config.server.listen = "0.0.0.0:8080".into();
        let err = config.check_transport().unwrap_err().to_string();
        assert!(err.contains("without TLS"), "{err}");
        config.tls.self_signed = true;
        config.check_transport().unwrap();
    }

    #[test]
    fn file_then_env_then_cli_take_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ipgo.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:9000\"\n[session]\nidle_timeout_seconds = 5\n\
             [login]\nmax_failures = 7\n",
        )
        .unwrap();
        // Environment variables are process-wide; this test is the only one touching these.
        unsafe {
            std::env::set_var("IPGO_SESSION__IDLE_TIMEOUT_SECONDS", "9");
            std::env::set_var("IPGO_LOGIN__MAX_FAILURES", "8");
        }
        let cli = CliOverrides {
            config_file: Some(file),
            data_dir: Some(dir.path().join("data")),
            listen: Some("127.0.0.1:9100".into()),
        };
        let config = Config::load(&cli).unwrap();
        unsafe {
            std::env::remove_var("IPGO_SESSION__IDLE_TIMEOUT_SECONDS");
            std::env::remove_var("IPGO_LOGIN__MAX_FAILURES");
        }
        assert_eq!(config.server.listen, "127.0.0.1:9100", "CLI beats file");
        assert_eq!(config.session.idle_timeout_seconds, 9, "env beats file");
        assert_eq!(config.login.max_failures, 8, "env beats file");
        assert_eq!(config.storage.data_dir, dir.path().join("data"));
        assert_eq!(config.keys_dir(), dir.path().join("data").join("keys"));
        assert_eq!(config.audit.group_commit_ms, 100, "defaults fill the rest");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ipgo.toml");
        std::fs::write(&file, "[server]\nlisen = \"127.0.0.1:9000\"\n").unwrap();
        let cli = CliOverrides { config_file: Some(file), ..Default::default() };
        let err = Config::load(&cli).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
    }
}
