//! The `ipgo` command line. Parsing only; every command calls into `app`, `ops` or `web`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::app::{App, StartError};
use crate::config::{CliOverrides, Config};
use crate::ops::commands::{self, Command};

#[derive(Parser)]
#[command(name = "ipgo", version, about = "Intranet portal of state bodies (ИП ГО / МО ИП)")]
pub struct Cli {
    #[command(subcommand)]
    command: Top,
}

/// Where the configuration and data are; accepted by every command.
#[derive(Args, Clone, Default)]
struct Place {
    /// Configuration file (TOML). Default: /etc/ipgo/ipgo.toml when it exists.
    #[arg(long, global = true, env = "IPGO_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Top {
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
enum TrustCmd {
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
enum CertCmd {
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
enum UserCmd {
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
enum AgencyCmd {
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
enum AuditCmd {
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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The extraction child stays minimal: no TLS provider, no logging setup, nothing opened.
    if let Top::Extract { limits } = &cli.command {
        return crate::search::extract::child_main(limits.as_deref());
    }
    if let Top::ExtractServer = &cli.command {
        return crate::search::extract::fork_server_main();
    }
    crate::web::tls::install_provider();
    init_tracing();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ipgo: {e:#}");
            1
        }
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("IPGO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Under systemd, stderr goes to the journal, which adds its own timestamps.
    let under_systemd = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    if under_systemd {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

fn overrides(place: &Place, listen: Option<String>) -> CliOverrides {
    CliOverrides { config_file: place.config.clone(), data_dir: place.data.clone(), listen }
}

fn read_secret_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let s = s.trim_end_matches(['\n', '\r']).to_owned();
    if s.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    Ok(s)
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Top::Extract { limits } => Ok(i32::from(
            crate::search::extract::child_main(limits.as_deref()) != ExitCode::SUCCESS,
        )),
        Top::ExtractServer => {
            Ok(i32::from(crate::search::extract::fork_server_main() != ExitCode::SUCCESS))
        }
        Top::Serve { place, listen } => {
            let config = Config::load(&overrides(&place, listen))?;
            let app = open(config)?;
            serve(app)?;
            Ok(0)
        }
        Top::Demo { place, listen, corpus } => {
            let mut place = place;
            place.data.get_or_insert_with(|| PathBuf::from("./ipgo-demo"));
            let config = Config::load(&overrides(&place, Some(listen)))?;
            if !config.listen_addr()?.ip().is_loopback() {
                anyhow::bail!("the demo serves plain HTTP and only on a loopback address");
            }
            crate::ops::demo::prepare(&config, corpus.as_deref())?;
            let app = open(config)?;
            crate::ops::demo::seed_if_empty(&app, corpus.as_deref())?;
            serve(app)?;
            Ok(0)
        }
        Top::Init { place, renew_tls: true } => {
            let config = Config::load(&overrides(&place, None))?;
            let made = crate::web::tls::renew_self_signed(&config)?;
            println!(
                "made a new self-signed TLS certificate {} for {} ({}), valid for {} days until {}",
                made.path.display(),
                made.subject,
                made.alt_names.join(", "),
                made.days,
                made.not_after
            );
            println!("the server presents it after a restart: systemctl restart ipgo");
            Ok(0)
        }
        Top::Init { place, renew_tls: false } => {
            let config = Config::load(&overrides(&place, None))?;
            // Upgrades run `init` while the old server still holds the database; the
            // restart that follows migrates it.
            if std::os::unix::net::UnixStream::connect(config.admin_socket()).is_ok() {
                println!(
                    "a server is running on {}; nothing to initialise",
                    config.data_dir().display()
                );
                return Ok(0);
            }
            let app = open(config)?;
            crate::web::tls::certificate_files(&app.config)?;
            println!(
                "initialised {} (keys in {})",
                app.config.data_dir().display(),
                app.config.keys_dir().display()
            );
            app.shutdown();
            Ok(0)
        }
        Top::User { place, action } => {
            let command = match action {
                UserCmd::Add { login, agency, roles, name_ru, name_kk, email, password_stdin } => {
                    Command::UserAdd {
                        login,
                        agency,
                        roles,
                        name_ru,
                        name_kk,
                        email,
                        password: if password_stdin { Some(read_secret_stdin()?) } else { None },
                    }
                }
                UserCmd::List { agency } => Command::UserList { agency },
                UserCmd::Roles { login, roles } => Command::UserRoles { login, roles },
                UserCmd::Disable { login } => Command::UserDisable { login },
                UserCmd::Enable { login } => Command::UserEnable { login },
                UserCmd::ResetPassword { login, password_stdin } => Command::UserResetPassword {
                    login,
                    password: if password_stdin { Some(read_secret_stdin()?) } else { None },
                },
            };
            admin(&place, command)
        }
        Top::Agency { place, action } => {
            let command = match action {
                AgencyCmd::Add { code, name_ru, name_kk, name_en, region, kind } => {
                    Command::AgencyAdd { code, name_ru, name_kk, name_en, region, kind }
                }
                AgencyCmd::List => Command::AgencyList,
            };
            admin(&place, command)
        }
        Top::Verify { place } => admin(&place, Command::Verify),
        Top::Reindex { place } => admin(&place, Command::Reindex),
        Top::Clock { place, set, advance } => admin(&place, Command::Clock { set, advance }),
        Top::Destroy { place, all, yes_destroy_everything } => {
            if !all {
                anyhow::bail!(
                    "use --all to destroy the whole installation; single documents are destroyed in the portal"
                );
            }
            if !yes_destroy_everything {
                anyhow::bail!(
                    "this destroys every document, key and record for good; add --yes-destroy-everything to proceed"
                );
            }
            let config = Config::load(&overrides(&place, None))?;
            crate::ops::decommission::destroy_all(&config, &mut std::io::stdout())?;
            Ok(0)
        }
        Top::Backup { place, to, to_dir, keep } => {
            let command = Command::Backup { to: absolute(to)?, to_dir: absolute(to_dir)?, keep };
            admin(&place, command)
        }
        Top::BackupKeys { place, to, to_dir, keep, passphrase_file } => {
            let passphrase = read_passphrase(passphrase_file.as_deref())?;
            let command = Command::BackupKeys {
                to: absolute(to)?,
                to_dir: absolute(to_dir)?,
                keep,
                passphrase,
            };
            admin(&place, command)
        }
        Top::Restore { place, from, keys_from, replace } => {
            let config = Config::load(&overrides(&place, None))?;
            let options = crate::ops::backup::restore::Options { from, keys_from, replace };
            let mut stdout = std::io::stdout().lock();
            crate::ops::backup::restore::restore(&config, &options, &mut stdout)
        }
        Top::RestoreKeys { place, from, passphrase_file, replace } => {
            let config = Config::load(&overrides(&place, None))?;
            if std::os::unix::net::UnixStream::connect(config.admin_socket()).is_ok() {
                anyhow::bail!("the server is running; stop it before replacing its keys");
            }
            let passphrase = read_passphrase(passphrase_file.as_deref())?;
            let bytes = std::fs::read(&from)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", from.display()))?;
            let (header, files) = crate::ops::backup::keys::open(&bytes, &passphrase)
                .map_err(|e| anyhow::anyhow!("{}", describe_plain(&e)))?;
            crate::ops::backup::keys::install(&config.keys_dir(), &files, replace)
                .map_err(|e| anyhow::anyhow!("{}", describe_plain(&e)))?;
            println!(
                "keys of appliance {}… (vault generation {}, made {}) installed in {}",
                &header.appliance_public_key[..16.min(header.appliance_public_key.len())],
                header.vault_generation,
                header.created,
                config.keys_dir().display()
            );
            Ok(0)
        }
        Top::Audit { place, action } => {
            let command = match action {
                AuditCmd::Verify => Command::AuditVerify,
                AuditCmd::Export { format, user, agency, operation, from, to } => {
                    Command::AuditExport {
                        format,
                        filter: crate::audit::query::Filter {
                            user,
                            agency,
                            operation,
                            outcome: None,
                            from,
                            to,
                            actor_ids: None,
                        },
                    }
                }
                AuditCmd::Archive { before } => Command::AuditArchive { before },
                AuditCmd::Checkpoint => Command::AuditCheckpoint,
            };
            admin(&place, command)
        }
        Top::Trust { place, action } => {
            use crate::ops::signatures::{SignCommand, encode};
            let commands = match action {
                TrustCmd::Add { files } => files
                    .iter()
                    .map(|f| {
                        Ok(SignCommand::TrustAdd { name: file_name(f), data: encode(&read(f)?) })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?,
                TrustCmd::Crl { file } => {
                    vec![SignCommand::TrustCrl {
                        name: file_name(&file),
                        data: encode(&read(&file)?),
                    }]
                }
                TrustCmd::List => vec![SignCommand::TrustList],
                TrustCmd::Remove { fingerprint } => vec![SignCommand::TrustRemove { fingerprint }],
                TrustCmd::Verify { manifest, signature, login, json } => {
                    vec![SignCommand::TrustVerify {
                        manifest: encode(&read(&manifest)?),
                        signature: encode(&read(&signature)?),
                        login,
                        json,
                    }]
                }
            };
            let mut exit = 0;
            for command in commands {
                exit = exit.max(admin(&place, Command::Signatures(command))?);
            }
            Ok(exit)
        }
        Top::Calendar { place, action } => admin(&place, Command::Calendar(action.into_command()?)),
        Top::Directory { place, action } => admin(&place, action.into_command()),
        Top::Reminders { place, action } => {
            admin(&place, Command::Reminders(action.into_command()?))
        }
        Top::Headcount { place, action } => {
            admin(&place, Command::Headcount(action.into_command()?))
        }
        Top::Cert { place, action } => {
            use crate::ops::signatures::{SignCommand, encode};
            let command = match action {
                CertCmd::Register { login, file } => SignCommand::CertRegister {
                    login,
                    name: file_name(&file),
                    data: encode(&read(&file)?),
                },
                CertCmd::Confirm { fingerprint } => SignCommand::CertConfirm { fingerprint },
                CertCmd::Revoke { fingerprint, file, reason } => {
                    let fingerprint = match (fingerprint, file) {
                        (Some(fp), _) => fp,
                        (None, Some(file)) => {
                            let certs = crate::sign::x509::read_certificates(&read(&file)?)
                                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                            let [cert] = <[_; 1]>::try_from(certs).map_err(|_| {
                                anyhow::anyhow!("{}: expected one certificate", file.display())
                            })?;
                            cert.fingerprint()
                        }
                        (None, None) => anyhow::bail!("give --fingerprint or a certificate file"),
                    };
                    SignCommand::CertRevoke { fingerprint, reason }
                }
                CertCmd::List { login } => SignCommand::CertList { login },
            };
            admin(&place, Command::Signatures(command))
        }
        Top::VerifyPackage { file, trust, appliance_key } => {
            let roots = match &trust {
                Some(path) => {
                    Some(crate::sign::x509::read_certificates(&read(path)?).map_err(|e| {
                        anyhow::anyhow!("{}: not certificates: {e}", path.display())
                    })?)
                }
                None => None,
            };
            let key = match &appliance_key {
                Some(hex) => {
                    Some(crate::keys::PublicKey::from_hex(hex.trim()).ok_or_else(|| {
                        anyhow::anyhow!("--appliance-key is not a hex Ed25519 key")
                    })?)
                }
                None => None,
            };
            let input = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            let outcome = crate::sign::package::verify(input, roots.as_deref(), key.as_ref());
            for (ok, what) in &outcome.checks {
                println!("{} {what}", if *ok { "ok  " } else { "FAIL" });
            }
            if outcome.ok() {
                println!("the package is intact and every signature is valid");
                Ok(0)
            } else {
                println!("{} check(s) failed", outcome.failures().count());
                Ok(3)
            }
        }
        Top::Sign { p12, manifest, out, password_stdin, attached } => {
            let password = if password_stdin {
                read_secret_stdin()?
            } else {
                std::env::var("IPGO_P12_PASSWORD").unwrap_or_default()
            };
            let identity =
                crate::sign::signer::SigningIdentity::from_pkcs12(&read(&p12)?, &password)?;
            let cms = identity.sign(&read(&manifest)?, attached)?;
            std::fs::write(&out, &cms)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            println!(
                "signed {} as {} into {} ({} bytes)",
                manifest.display(),
                identity.certificate().tbs_certificate().subject(),
                out.display(),
                cms.len()
            );
            Ok(0)
        }
    }
}

fn read(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Paths sent to a running server must not depend on the client's working directory.
fn absolute(path: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    path.map(|p| std::path::absolute(&p).map_err(anyhow::Error::from)).transpose()
}

/// The passphrase for key backups: a file, the systemd credential, or standard input.
fn read_passphrase(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    let credential = std::env::var_os("CREDENTIALS_DIRECTORY")
        .map(|d| PathBuf::from(d).join("backup-passphrase"))
        .filter(|p| p.exists());
    match file.map(PathBuf::from).or(credential) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let text = text.trim_end_matches(['\n', '\r']).to_owned();
            if text.is_empty() {
                anyhow::bail!("{} is empty", path.display());
            }
            Ok(text)
        }
        None => read_secret_stdin(),
    }
}

/// An error's code and details, in English, without an `App` (for commands run before one
/// can be opened).
fn describe_plain(e: &crate::error::Error) -> String {
    let i18n = crate::i18n::I18n::load();
    let mut text = i18n.error_message("en", e);
    if let Some(detail) = &e.detail {
        text.push_str(&format!(" ({detail})"));
    }
    text
}

fn open(config: Config) -> anyhow::Result<Arc<App>> {
    App::open(config).map_err(|e| match e {
        StartError::Database(crate::db::OpenError::InUse) => {
            anyhow::anyhow!("the data directory is in use by a running ipgo server")
        }
        other => anyhow::anyhow!("{other}"),
    })
}

fn serve(app: Arc<App>) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(crate::web::server::serve(app))
}

/// Runs an administrative command through the running server's admin socket, or directly
/// on the data directory when no server runs.
fn admin(place: &Place, command: Command) -> anyhow::Result<i32> {
    let config = Config::load(&overrides(place, None))?;
    let mut stdout = std::io::stdout().lock();
    if let Some(result) =
        crate::ops::admin_socket::call(&config.admin_socket(), &command, &mut stdout)
    {
        return result;
    }
    let app = match App::open(config) {
        Ok(app) => app,
        Err(StartError::Database(crate::db::OpenError::InUse)) => anyhow::bail!(
            "the database is in use but no server answers on the admin socket; is another command running?"
        ),
        Err(e) => anyhow::bail!("{e}"),
    };
    let actor = crate::ops::admin_socket::operator_actor(&command, &crate::ops::os_user::current());
    let outcome = commands::execute(&app, &actor, command, &mut stdout);
    stdout.flush()?;
    app.shutdown();
    Ok(outcome.exit)
}
