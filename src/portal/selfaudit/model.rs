//! A self-check's checks and their verdicts, from figures gathered elsewhere (no I/O).

use serde::{Deserialize, Serialize};

use super::SelfAuditConfig;

/// The checks, in the order the page lists them; `code` names them in `/metrics`
/// (`ipgo_self_audit_check_ok{check="…"}`), the API and the message keys
/// (`selfaudit-check-<code>`).
pub const CHECKS: [&str; 7] = ["access_log", "store", "backup", "ca", "crl", "disk", "index"];

/// One check's verdict: `detail` says what was found (technical, as `ipgo verify` says it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Check {
    pub code: String,
    pub ok: bool,
    pub detail: String,
}

/// One run of the self-check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    pub id: u64,
    /// UTC, stored form.
    pub at: String,
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Run {
    pub fn failed(&self) -> Vec<&str> {
        self.checks.iter().filter(|c| !c.ok).map(|c| c.code.as_str()).collect()
    }
}

/// What the service gathered; times in Unix seconds of the portal clock.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub now: i64,
    /// Access log: `None` when it verified, else its report's problems.
    pub access_log_problems: Vec<String>,
    /// Blobs and references (`ipgo verify`): problems, and what was checked.
    pub store_problems: Vec<String>,
    pub store_summary: String,
    /// When the last backup was made, if any.
    pub last_backup: Option<i64>,
    /// (subject, not after) of each trusted CA.
    pub cas: Vec<(String, i64)>,
    /// (issuer, next update) of each CRL in force.
    pub crls: Vec<(String, Option<i64>)>,
    pub disk_free_bytes: Option<u64>,
    pub disk_floor_mb: u64,
    /// Oldest change not yet indexed (ms), and index writer errors since the start.
    pub index_lag_ms: u64,
    pub index_errors: u64,
}

fn check(code: &str, problems: Vec<String>, ok_detail: String) -> Check {
    Check {
        code: code.to_owned(),
        ok: problems.is_empty(),
        detail: if problems.is_empty() { ok_detail } else { problems.join("; ") },
    }
}

/// Judges the figures by the settings: one verdict per entry of [`CHECKS`].
pub fn judge(f: &Figures, c: &SelfAuditConfig) -> Vec<Check> {
    let mut out = Vec::with_capacity(CHECKS.len());
    out.push(check(
        "access_log",
        f.access_log_problems.clone(),
        "chain and signed checkpoints verified".into(),
    ));
    out.push(check("store", f.store_problems.clone(), f.store_summary.clone()));
    let max_age = c.backup_max_age_hours as i64 * 3600;
    out.push(match f.last_backup {
        None => check("backup", vec!["no backup has been made".into()], String::new()),
        Some(t) if f.now - t > max_age => check(
            "backup",
            vec![format!(
                "the last backup is {} hours old (at most {} allowed)",
                (f.now - t) / 3600,
                c.backup_max_age_hours
            )],
            String::new(),
        ),
        Some(t) => {
            check("backup", vec![], format!("the last backup is {} hours old", (f.now - t) / 3600))
        }
    });
    let warn = c.ca_warn_days as i64 * 86_400;
    let ca_problems = f
        .cas
        .iter()
        .filter(|(_, not_after)| not_after - f.now < warn)
        .map(|(subject, not_after)| {
            if *not_after < f.now {
                format!("CA {subject:?} has expired")
            } else {
                format!("CA {subject:?} expires in {} days", (not_after - f.now) / 86_400)
            }
        })
        .collect();
    out.push(check("ca", ca_problems, format!("{} trusted CA(s) valid", f.cas.len())));
    let crl_problems = f
        .crls
        .iter()
        .filter_map(|(issuer, next)| match next {
            Some(n) if *n < f.now => Some(format!(
                "the CRL of {issuer:?} is overdue since {} days",
                (f.now - n) / 86_400
            )),
            _ => None,
        })
        .collect();
    out.push(check("crl", crl_problems, format!("{} CRL(s) in force and current", f.crls.len())));
    let min_mb = if c.disk_free_min_mb > 0 { c.disk_free_min_mb } else { f.disk_floor_mb * 2 };
    out.push(match f.disk_free_bytes {
        None => check("disk", vec!["free space cannot be read".into()], String::new()),
        Some(b) if b / (1024 * 1024) < min_mb => check(
            "disk",
            vec![format!("{} MiB free, below {min_mb} MiB", b / (1024 * 1024))],
            String::new(),
        ),
        Some(b) => check("disk", vec![], format!("{} MiB free", b / (1024 * 1024))),
    });
    let mut index_problems = Vec::new();
    if f.index_lag_ms / 1000 > c.index_lag_max_seconds {
        index_problems.push(format!(
            "the oldest change waits {} s to be searchable (at most {} s)",
            f.index_lag_ms / 1000,
            c.index_lag_max_seconds
        ));
    }
    if f.index_errors > 0 {
        index_problems.push(format!("{} index writer error(s) since the start", f.index_errors));
    }
    out.push(check("index", index_problems, format!("lag {} ms", f.index_lag_ms)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> Figures {
        Figures {
            now: 1_000_000_000,
            store_summary: "ok".into(),
            last_backup: Some(1_000_000_000 - 3600),
            cas: vec![("CA".into(), 1_000_000_000 + 365 * 86_400)],
            crls: vec![("CA".into(), Some(1_000_000_000 + 86_400))],
            disk_free_bytes: Some(10 << 30),
            disk_floor_mb: 512,
            ..Figures::default()
        }
    }

    #[test]
    fn healthy_figures_pass_every_check_in_order() {
        let checks = judge(&healthy(), &SelfAuditConfig::default());
        let codes: Vec<&str> = checks.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, CHECKS);
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
    }

    type Spoil = Box<dyn Fn(&mut Figures)>;

    fn spoil(f: impl Fn(&mut Figures) + 'static) -> Spoil {
        Box::new(f)
    }

    /// R365 §9: each failing figure fails its own check and only that one.
    #[test]
    fn each_bad_figure_fails_its_check() {
        let c = SelfAuditConfig::default();
        let cases: Vec<(&str, Spoil)> = vec![
            ("access_log", spoil(|f| f.access_log_problems.push("gap".into()))),
            ("store", spoil(|f| f.store_problems.push("blob differs".into()))),
            ("backup", spoil(|f| f.last_backup = None)),
            ("backup", spoil(|f| f.last_backup = Some(f.now - 9 * 86_400))),
            ("ca", spoil(|f| f.cas[0].1 = f.now + 86_400)),
            ("crl", spoil(|f| f.crls[0].1 = Some(f.now - 1))),
            ("disk", spoil(|f| f.disk_free_bytes = Some(600 << 20))),
            ("index", spoil(|f| f.index_lag_ms = 601_000)),
            ("index", spoil(|f| f.index_errors = 1)),
        ];
        for (code, spoil) in cases {
            let mut f = healthy();
            spoil(&mut f);
            let failed: Vec<String> =
                judge(&f, &c).into_iter().filter(|c| !c.ok).map(|c| c.code).collect();
            assert_eq!(failed, vec![code.to_owned()]);
        }
    }
}
