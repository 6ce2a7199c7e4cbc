//! The command line's shape: every command, argument and help text, as clap reads them.
//! What each command does is in `cli.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ipgo", version, about = "Intranet portal of state bodies (ИП ГО / МО ИП)")]
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: Top,
}

/// Where the configuration and data are; accepted by every command.
#[derive(Args, Clone, Default)]
pub(super) struct Place {
    /// Configuration file (TOML). Default: /etc/ipgo/ipgo.toml when it exists.
    #[arg(long, global = true, env = "IPGO_CONFIG")]
    pub(super) config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long, global = true)]
    pub(super) data: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(super) enum Top {
    /// Run the portal server.
    Serve {
        #[command(flatten)]
        place: Place,
        /// Address to listen on (overrides the configuration).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Run a demonstration portal on loopback with demo agencies and accounts.
    Demo {
        #[command(flatten)]
        place: Place,
        /// Address to listen on (loopback).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load every text file of this directory as a document.
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Prepare keys, TLS certificate and database (run by the package on install).
    Init {
        #[command(flatten)]
        place: Place,
        /// Replace the self-signed TLS certificate with a new one (new key, the names
        /// configured now, valid for tls.self_signed_days); served after a restart.
        #[arg(long)]
        renew_tls: bool,
    },
    /// Manage accounts.
    User {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: UserCmd,
    },
    /// Manage state bodies.
    Agency {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: AgencyCmd,
    },
    /// Check every stored file, record and the access log; exit 0 when all is intact.
    Verify {
        #[command(flatten)]
        place: Place,
    },
    /// Rebuild the search index from the store (works while the server runs).
    Reindex {
        #[command(flatten)]
        place: Place,
    },
    /// Show the portal's clock, or move it (test installations only:
    /// `[testing] controllable_clock = true`).
    #[command(hide = true)]
    Clock {
        #[command(flatten)]
        place: Place,
        /// Set the clock to this instant (RFC 3339, e.g. 2026-12-31T13:00:00+05:00).
        #[arg(long, conflicts_with = "advance")]
        set: Option<String>,
        /// Move the clock by a duration (`3h`, `2 days`, `-30m`).
        #[arg(long, allow_hyphen_values = true)]
        advance: Option<String>,
    },
    /// Destroy the whole installation for decommissioning (keys, documents, database).
    Destroy {
        #[command(flatten)]
        place: Place,
        /// Everything: required, single documents are destroyed in the portal.
        #[arg(long)]
        all: bool,
        /// Confirms that the destruction is intended; it cannot be undone.
        #[arg(long)]
        yes_destroy_everything: bool,
    },
    /// Extract text from one file on standard input as JSON (run by the server in a sandbox).
    #[command(hide = true)]
    Extract {
        /// Content limits as JSON (`search::extract::ContentLimits`).
        #[arg(long)]
        limits: Option<String>,
    },
    /// Fork a sandboxed extraction child per request on standard input (run by the server).
    #[command(hide = true)]
    ExtractServer,
    /// Online backup of the data (documents, records, access log); never the keys.
    Backup {
        #[command(flatten)]
        place: Place,
        /// Write the backup to this file.
        #[arg(long, conflicts_with = "to_dir", required_unless_present = "to_dir")]
        to: Option<PathBuf>,
        /// Write `ipgo-<UTC time>.ipgobak` into this directory.
        #[arg(long)]
        to_dir: Option<PathBuf>,
        /// With --to-dir: keep only the newest N backups there.
        #[arg(long, requires = "to_dir")]
        keep: Option<usize>,
    },
    /// Export the keys (appliance key, vault) encrypted under a passphrase.
    BackupKeys {
        #[command(flatten)]
        place: Place,
        #[arg(long, conflicts_with = "to_dir", required_unless_present = "to_dir")]
        to: Option<PathBuf>,
        /// Write `ipgo-keys-<UTC time>.ipgokeys` into this directory.
        #[arg(long)]
        to_dir: Option<PathBuf>,
        #[arg(long, requires = "to_dir")]
        keep: Option<usize>,
        /// File holding the passphrase (default: the systemd credential
        /// `backup-passphrase`, else standard input).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Restore a data backup into a new directory (or --replace an installation), checking
    /// its signature and every byte.
    Restore {
        #[command(flatten)]
        place: Place,
        #[arg(long)]
        from: PathBuf,
        /// Take the appliance keys from this directory if the keys directory has none.
        #[arg(long)]
        keys_from: Option<PathBuf>,
        /// Replace the installation in the data directory (kept aside, not deleted).
        #[arg(long)]
        replace: bool,
    },
    /// Install the keys from a key backup into the keys directory (new machine).
    RestoreKeys {
        #[command(flatten)]
        place: Place,
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Replace keys already present (they are kept as *.replaced).
        #[arg(long)]
        replace: bool,
    },
    /// Access log: verify, export, archive.
    Audit {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: AuditCmd,
    },
    /// Trusted certification authorities and their CRLs (digital signatures).
    Trust {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: TrustCmd,
    },
    /// The working-day calendar: holidays, decreed transfers, working days.
    Calendar {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: crate::portal::calendar::cli::CalendarCmd,
    },
    /// The agencies' directories (LDAP): synchronise names, positions and departments now.
    Directory {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: crate::portal::ldap::cli::DirectoryCmd,
    },
    /// Reminders of control instructions: refresh, import, connector tokens.
    Reminders {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: crate::portal::reminders::cli::RemindersCmd,
    },
    /// Headcount returns of a period: export as JSON, import figures into drafts.
    Headcount {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: crate::portal::headcount::cli::HeadcountCmd,
    },
    /// Signing certificates registered to accounts (registration certificates).
    Cert {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: CertCmd,
    },
    /// Sign a file (a signing manifest) with a PKCS#12 key: a detached CMS (CAdES-BES).
    Sign {
        /// PKCS#12 file (.p12/.pfx) with the key and its certificate.
        #[arg(long)]
        p12: PathBuf,
        /// The file to sign (the manifest from the document's page).
        #[arg(long)]
        manifest: PathBuf,
        /// Where to write the DER signature.
        #[arg(long)]
        out: PathBuf,
        /// Read the PKCS#12 password from standard input (else $IPGO_P12_PASSWORD, else
        /// the empty password).
        #[arg(long)]
        password_stdin: bool,
        /// Put the content inside the signature (like `openssl cms -nodetach`).
        #[arg(long)]
        attached: bool,
    },
    /// Check an evidence package (a signed document version exported from the portal)
    /// offline, without a data directory: exit 0 when every member is intact and every
    /// signature valid, 3 otherwise (each failed check is named).
    VerifyPackage {
        /// The package (`document-<id>-v<n>-evidence.zip`).
        file: PathBuf,
        /// Trust only these root CA certificates (PEM or DER) instead of the roots the
        /// package carries.
        #[arg(long)]
        trust: Option<PathBuf>,
        /// The appliance's public key (hex, as `ipgo audit verify` prints it): the package
        /// index must be signed with it.
        #[arg(long)]
        appliance_key: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum TrustCmd {
    /// Add CA certificates (root or intermediate; PEM bundle or DER).
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Install a CRL (PEM or DER) as the one in force for its CA.
    Crl { file: PathBuf },
    /// List trusted CAs and the CRLs in force.
    List,
    /// Remove a CA certificate by its sha256 fingerprint.
    Remove { fingerprint: String },
    /// Verify a signature over a file against the trust store (and, with --login, the
    /// account's registered certificates). Exit 0 when valid, 3 when not.
    Verify {
        #[arg(long)]
        manifest: PathBuf,
        #[arg(long)]
        signature: PathBuf,
        #[arg(long)]
        login: Option<String>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum CertCmd {
    /// Register a signing certificate (PEM or DER) to an account; active at once.
    Register {
        #[arg(long)]
        login: String,
        file: PathBuf,
    },
    /// Confirm a registration a user requested.
    Confirm { fingerprint: String },
    /// Revoke a registration locally, by fingerprint or certificate file.
    Revoke {
        #[arg(long, required_unless_present = "file")]
        fingerprint: Option<String>,
        file: Option<PathBuf>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List registered certificates (of one account with --login).
    List {
        #[arg(long)]
        login: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum UserCmd {
    /// Add an account. Without --password-stdin a one-time password is printed.
    Add {
        #[arg(long)]
        login: String,
        /// Agency code.
        #[arg(long)]
        agency: String,
        /// Role (repeatable): employee, head, hr_officer, civil_service_verifier, okdo_officer,
        /// plan_responsible, controller, support_admin, system_admin, auditor.
        #[arg(long = "role")]
        roles: Vec<String>,
        #[arg(long, default_value = "")]
        name_ru: String,
        #[arg(long, default_value = "")]
        name_kk: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from standard input (it is then not forced to change).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        agency: Option<String>,
    },
    /// Replace an account's roles (system_admin, support_admin and auditor must each be
    /// the account's only role).
    Roles {
        #[arg(long)]
        login: String,
        /// Role (repeatable), as for `user add`.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[arg(long)]
        login: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        login: String,
    },
    /// Set a new one-time password (or one from standard input) and unlock the account.
    ResetPassword {
        #[arg(long)]
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum AgencyCmd {
    /// Add a state body.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name_ru: String,
        #[arg(long)]
        name_kk: String,
        #[arg(long, default_value = "")]
        name_en: String,
        /// Region code, e.g. `astana`, `karaganda`, `almaty_region` (see the admin guide).
        #[arg(long, default_value = "")]
        region: String,
        /// Kind: `central`, `local`, `territorial` or `other`.
        #[arg(long, default_value = "")]
        kind: String,
    },
    /// List state bodies.
    List,
}

#[derive(Subcommand)]
pub(super) enum AuditCmd {
    /// Check the whole log (archives, live entries, signed checkpoints); exit 0 when intact.
    Verify,
    /// Write the log (archives and live) as CSV or JSON lines to standard output.
    Export {
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        operation: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// Move entries older than --before (default: the start of this month) into archives.
    Archive {
        #[arg(long)]
        before: Option<String>,
    },
    /// Sign a checkpoint of the log's current head now.
    Checkpoint,
}
