//! Fetching CRLs on a schedule from servers inside the closed network
//! (`[signatures] crl_urls`, every `crl_fetch_interval_seconds`): each list is downloaded
//! over plain HTTP (a CRL is signed by its CA; the same checks as a hand import decide
//! whether it is installed), installed when it is newer than the one in force, and the
//! signatures it newly revokes are reported (`documents::revocations`). The outcome of
//! the last attempt per URL is kept for the trust-store page.

use std::io::Read;
use std::time::Duration;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;

/// URL → the last attempt.
pub const FETCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("sign_crl_fetches");

/// A national CRL runs to tens of megabytes; anything far larger is not a CRL.
const MAX_CRL: u64 = 256 * 1024 * 1024;

pub fn ensure_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(FETCHES)?;
    Ok(())
}

/// The last attempt to fetch one URL.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fetch {
    pub url: String,
    pub at: String,
    /// `installed`, `unchanged` (the CRL in force), or `failed`.
    pub outcome: String,
    /// What went wrong, or which CRL (issuer, sha256) was found.
    pub detail: String,
    /// The last time a CRL was fetched successfully.
    #[serde(default)]
    pub last_success: Option<String>,
}

pub fn fetches(app: &App) -> Result<Vec<Fetch>> {
    let txn = app.db.read()?;
    let table = txn.open_table(FETCHES)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        out.push(serde_json::from_slice(row?.1.value())?);
    }
    Ok(out)
}

fn download(url: &str) -> std::result::Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .max_redirects(3)
        .build()
        .into();
    let mut res = agent.get(url).call().map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    res.body_mut()
        .as_reader()
        .take(MAX_CRL + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_CRL {
        return Err(format!("larger than {MAX_CRL} bytes"));
    }
    Ok(bytes)
}

/// Fetches every configured URL once.
pub fn run(app: &App) -> Vec<Fetch> {
    let actor = Actor::system_job_bypassing_user_policy("crl-fetch");
    let mut out = Vec::new();
    for url in &app.config.signatures.crl_urls {
        let now = crate::clock::utc_string(crate::clock::now());
        let previous = fetches(app)
            .ok()
            .and_then(|all| all.into_iter().find(|f| &f.url == url))
            .and_then(|f| f.last_success);
        let (outcome, detail) = match download(url) {
            Err(e) => ("failed", format!("download: {e}")),
            Ok(bytes) => match crate::sign::service::add_crl_as_system_job(app, &actor, &bytes) {
                Ok((record, true)) => {
                    let revoked = crate::portal::documents::revocations::crl_installed(
                        app,
                        &actor,
                        &record.sha256,
                    )
                    .map(|r| r.len())
                    .unwrap_or(0);
                    let detail = format!(
                        "{} issued {} ({}); signatures newly revoked: {revoked}",
                        record.issuer, record.this_update, record.sha256
                    );
                    ("installed", detail)
                }
                Ok((record, false)) => {
                    ("unchanged", format!("{} issued {}", record.issuer, record.this_update))
                }
                Err(e) => {
                    let key = e.detail_key.unwrap_or("error");
                    let detail = e.detail.clone().unwrap_or_default();
                    ("failed", format!("{key}: {detail}"))
                }
            },
        };
        if outcome == "failed" {
            tracing::warn!(url = %url, detail = %detail, "CRL fetch failed");
        } else {
            tracing::info!(url = %url, outcome, "CRL fetched");
        }
        let fetch = Fetch {
            url: url.clone(),
            at: now.clone(),
            outcome: outcome.into(),
            detail,
            last_success: if outcome == "failed" { previous } else { Some(now) },
        };
        let stored = app.db.write(|txn| {
            txn.open_table(FETCHES)?
                .insert(url.as_str(), serde_json::to_vec(&fetch)?.as_slice())?;
            Ok(())
        });
        if let Err(e) = stored {
            tracing::error!(error = %e, "cannot record the CRL fetch");
        }
        out.push(fetch);
    }
    out
}
