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
    /// Extract text from one file on standard input as JSON (run by the server in a sandbox).
    #[command(hide = true)]
    Extract {
        /// Content limits as JSON (`search::extract::ContentLimits`).
        #[arg(long)]
        limits: Option<String>,
    },
    /// Access log: verify, export, archive.
    Audit {
        #[command(flatten)]
        place: Place,
        #[command(subcommand)]
        action: AuditCmd,
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
        Top::Init { place } => {
            let config = Config::load(&overrides(&place, None))?;
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
                AgencyCmd::Add { code, name_ru, name_kk, name_en } => {
                    Command::AgencyAdd { code, name_ru, name_kk, name_en }
                }
                AgencyCmd::List => Command::AgencyList,
            };
            admin(&place, command)
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
                        },
                    }
                }
                AuditCmd::Archive { before } => Command::AuditArchive { before },
                AuditCmd::Checkpoint => Command::AuditCheckpoint,
            };
            admin(&place, command)
        }
    }
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
