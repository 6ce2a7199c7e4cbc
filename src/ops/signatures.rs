//! Administrative commands for digital signatures — `ipgo trust …` and `ipgo cert …` —
//! run through the admin socket or directly on the data directory like every other
//! command. File contents travel inside the command (base64), so the server never needs
//! to read the operator's files.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::sign::service as sign;
use crate::sign::store::UserCertRecord;
use crate::sign::verdict::Verdict;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SignCommand {
    TrustAdd { name: String, data: String },
    TrustCrl { name: String, data: String },
    TrustList,
    TrustRemove { fingerprint: String },
    TrustVerify { manifest: String, signature: String, login: Option<String>, json: bool },
    CertRegister { login: String, name: String, data: String },
    CertConfirm { fingerprint: String },
    CertRevoke { fingerprint: String, reason: String },
    CertList { login: Option<String> },
}

impl SignCommand {
    pub fn name(&self) -> &'static str {
        match self {
            SignCommand::TrustAdd { .. } => "trust add",
            SignCommand::TrustCrl { .. } => "trust crl",
            SignCommand::TrustList => "trust list",
            SignCommand::TrustRemove { .. } => "trust remove",
            SignCommand::TrustVerify { .. } => "trust verify",
            SignCommand::CertRegister { .. } => "cert register",
            SignCommand::CertConfirm { .. } => "cert confirm",
            SignCommand::CertRevoke { .. } => "cert revoke",
            SignCommand::CertList { .. } => "cert list",
        }
    }

    pub fn read_only(&self) -> bool {
        matches!(
            self,
            SignCommand::TrustList | SignCommand::TrustVerify { .. } | SignCommand::CertList { .. }
        )
    }
}

/// Encodes file contents for a command.
pub fn encode(bytes: &[u8]) -> String {
    crate::sign::store::b64(bytes)
}

fn decode(field: &str, data: &str) -> Result<Vec<u8>> {
    crate::sign::store::unb64(data).map_err(|_| Error::invalid(field, "unknown-format"))
}

fn day(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

fn print_cert(out: &mut dyn Write, c: &UserCertRecord, login: &str) -> Result<()> {
    writeln!(
        out,
        "{}\t{}\t{}\t{} .. {}\t{}",
        c.fingerprint,
        login,
        c.status.name(),
        day(c.summary.not_before),
        day(c.summary.not_after),
        c.summary.subject
    )?;
    Ok(())
}

pub fn run(app: &App, actor: &Actor, command: SignCommand, out: &mut dyn Write) -> Result<i32> {
    match command {
        SignCommand::TrustAdd { name, data } => {
            for added in sign::add_cas(app, actor, &decode("file", &data)?)? {
                let r = &added.record;
                let state = if added.new { "added" } else { "already trusted" };
                writeln!(
                    out,
                    "{name}: {} {state}: {} ({})",
                    r.role.name(),
                    r.summary.subject,
                    r.fingerprint
                )?;
            }
        }
        SignCommand::TrustCrl { name, data } => {
            let (r, new) = sign::add_crl(app, actor, &decode("file", &data)?)?;
            let next = r.next_update.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
            let state = if new { "installed" } else { "already in force" };
            writeln!(
                out,
                "{name}: CRL of {} {state}: issued {}, next update {next}, {} revoked (sha256 {})",
                r.issuer, r.this_update, r.revoked_count, r.sha256
            )?;
            if new {
                for s in
                    crate::portal::documents::revocations::crl_installed(app, actor, &r.sha256)?
                {
                    writeln!(
                        out,
                        "document {} version {}: signature {} is now {}",
                        s.doc_id, s.version, s.signature_id, s.status
                    )?;
                }
            }
        }
        SignCommand::TrustList => {
            let listing = sign::trust_listing(app, actor)?;
            for ca in &listing.cas {
                writeln!(
                    out,
                    "{}\t{}\t{} .. {}\t{}",
                    ca.role.name(),
                    ca.fingerprint,
                    day(ca.summary.not_before),
                    day(ca.summary.not_after),
                    ca.summary.subject
                )?;
            }
            let now = crate::clock::now();
            for crl in &listing.crls {
                let age = now.duration_since(crl.this_update).as_hours();
                let next = crl.next_update.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
                let stale = crl.next_update.is_some_and(|n| n < now);
                writeln!(
                    out,
                    "crl\t{}\tissued {} ({age} h ago)\tnext {next}{}\t{} revoked\t{}",
                    crl.sha256,
                    crl.this_update,
                    if stale { " STALE" } else { "" },
                    crl.revoked_count,
                    crl.issuer
                )?;
            }
            if listing.cas.is_empty() {
                writeln!(out, "no trusted CA certificates")?;
            }
        }
        SignCommand::TrustRemove { fingerprint } => {
            let r = sign::remove_ca(app, actor, &fingerprint)?;
            writeln!(out, "removed {} ({})", r.summary.subject, r.fingerprint)?;
        }
        SignCommand::TrustVerify { manifest, signature, login, json } => {
            crate::auth::policy::require(
                actor,
                crate::auth::policy::Action::TrustRead,
                crate::auth::policy::Object::Appliance,
            )?;
            let user_id = match login {
                Some(l) => Some(directory::user_by_login(app, actor, &l)?.id),
                None => None,
            };
            let content = decode("manifest", &manifest)?;
            let cms = decode("signature", &signature)?;
            let verdict = sign::verify_for_user(app, user_id, &content, &cms)?;
            actor.origin.set_detail(serde_json::json!({
                "valid": verdict.is_valid(),
                "reason": verdict.reason().map(|r| r.name()),
            }));
            if json {
                serde_json::to_writer(&mut *out, &verdict)?;
                writeln!(out)?;
            } else {
                print_verdict(out, &verdict)?;
            }
            return Ok(if verdict.is_valid() { 0 } else { 3 });
        }
        SignCommand::CertRegister { login, name, data } => {
            let user = directory::user_by_login(app, actor, &login)?;
            let r = sign::register_certificate(app, actor, user.id, &decode("file", &data)?)?;
            writeln!(
                out,
                "{name}: {} registered to {login} ({}): {}",
                r.fingerprint,
                r.status.name(),
                r.summary.subject
            )?;
        }
        SignCommand::CertConfirm { fingerprint } => {
            let r = sign::confirm_certificate(app, actor, &fingerprint)?;
            writeln!(out, "{} confirmed: {}", r.fingerprint, r.summary.subject)?;
        }
        SignCommand::CertRevoke { fingerprint, reason } => {
            let r = sign::revoke_certificate(app, actor, &fingerprint, &reason)?;
            writeln!(out, "{} revoked: {}", r.fingerprint, r.summary.subject)?;
        }
        SignCommand::CertList { login } => {
            let user = match &login {
                Some(l) => Some(directory::user_by_login(app, actor, l)?),
                None => None,
            };
            let certs = sign::certificates(app, actor, user.map(|u| u.id))?;
            let ids: Vec<u64> = certs.iter().map(|c| c.user_id).collect();
            let logins: std::collections::HashMap<u64, String> =
                directory::user_names(app, &ids, "en")?
                    .into_iter()
                    .map(|(id, login, _)| (id, login))
                    .collect();
            for c in &certs {
                let login = logins.get(&c.user_id).map(String::as_str).unwrap_or("?");
                print_cert(out, c, login)?;
            }
        }
    }
    Ok(0)
}

fn print_verdict(out: &mut dyn Write, verdict: &Verdict) -> Result<()> {
    match verdict {
        Verdict::Valid(r) => {
            writeln!(out, "valid")?;
            writeln!(out, "signer: {} (serial {})", r.signer.subject, r.signer.serial)?;
            for c in &r.chain {
                writeln!(out, "issued by: {}", c.subject)?;
            }
            writeln!(out, "signing time: {} ({:?})", r.signing_time, r.signing_time_source)?;
            writeln!(out, "algorithm: {}", r.signature_algorithm)?;
            for crl in &r.crls {
                writeln!(out, "CRL: {} issued {} ({})", crl.issuer, crl.this_update, crl.sha256)?;
            }
        }
        Verdict::Invalid(r) => {
            writeln!(out, "invalid: {}", r.reason)?;
            writeln!(out, "detail: {}", r.detail)?;
            if let Some(s) = &r.signer {
                writeln!(out, "signer: {} (serial {})", s.subject, s.serial)?;
            }
        }
    }
    Ok(())
}
