//! The `ipgo` command line. Parsing only; every command calls into `app`, `ops` or `web`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::app::{App, StartError};
use crate::config::{CliOverrides, Config};
use crate::ops::commands::{self, Command};

mod args;

pub use args::Cli;
use args::*;

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
