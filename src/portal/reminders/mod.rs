//! Reminders of control instructions (I385 §48–§51): instructions of the Chancellery and
//! of the Presidential Administration imported from the e-document system — pushed over
//! HTTP by a connector account or dropped as files into the import directory — shown to
//! each agency's controller with the days left on the working-day calendar, refreshed at
//! configured times in Astana time (executed ones drop out), with a notice to the
//! controllers after each refresh. Exports through the shared reporting layer.

pub mod cli;
pub mod demo;
pub mod http;
pub mod import;
pub mod model;
pub mod pages;
pub mod refresh;
pub mod service;
pub mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use model::Source;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemindersConfig {
    /// Times (Astana, `HH:MM`) at which the Chancellery's instructions are refreshed (§51).
    pub chancellery_times: Vec<String>,
    /// Times at which the Presidential Administration's instructions are refreshed (§51).
    pub presidential_administration_times: Vec<String>,
    /// A batch with refused records: `refuse_batch` (nothing of it is kept) or
    /// `keep_valid` (the good records are kept, the refused ones listed).
    pub on_error: String,
    /// The largest import accepted, in megabytes (over HTTP and from the directory).
    pub max_import_mb: u64,
    /// The directory polled for files (`<source>/…`); empty: `<data_dir>/import/reminders`.
    pub import_dir: String,
    /// How often (seconds) the import directory is looked at.
    pub pickup_seconds: u64,
    /// How often (seconds) the scheduler checks whether a refresh is due.
    pub check_seconds: u64,
    /// An instruction is "due soon" this many calendar days before its deadline.
    pub due_soon_days: i64,
    /// Names of executor agencies in the e-document system → portal agency codes.
    pub agency_aliases: BTreeMap<String, String>,
}

impl Default for RemindersConfig {
    fn default() -> Self {
        RemindersConfig {
            chancellery_times: vec!["13:00".into(), "19:00".into()],
            presidential_administration_times: vec!["07:00".into(), "17:35".into()],
            on_error: "refuse_batch".into(),
            max_import_mb: 64,
            import_dir: String::new(),
            pickup_seconds: 60,
            check_seconds: 60,
            due_soon_days: 3,
            agency_aliases: BTreeMap::new(),
        }
    }
}

impl RemindersConfig {
    pub fn times(&self, source: Source) -> &[String] {
        match source {
            Source::Chancellery => &self.chancellery_times,
            Source::PresidentialAdministration => &self.presidential_administration_times,
        }
    }

    pub fn keeps_valid(&self) -> bool {
        self.on_error == "keep_valid"
    }

    pub fn max_import_bytes(&self) -> u64 {
        self.max_import_mb.saturating_mul(1024 * 1024)
    }

    pub fn import_dir(&self, data_dir: &std::path::Path) -> PathBuf {
        if self.import_dir.is_empty() {
            data_dir.join("import").join("reminders")
        } else {
            PathBuf::from(&self.import_dir)
        }
    }

    pub fn verify(&self) -> anyhow::Result<()> {
        for source in Source::ALL {
            let times = self.times(*source);
            if times.is_empty() {
                anyhow::bail!("reminders.{}_times must name at least one time", source.name());
            }
            for t in times {
                if refresh::parse_time(t).is_none() {
                    anyhow::bail!("reminders.{}_times: {t:?} is not HH:MM", source.name());
                }
            }
        }
        if !matches!(self.on_error.as_str(), "refuse_batch" | "keep_valid") {
            anyhow::bail!("reminders.on_error must be refuse_batch or keep_valid");
        }
        if self.max_import_mb == 0 || self.pickup_seconds == 0 || self.check_seconds == 0 {
            anyhow::bail!(
                "reminders.max_import_mb, pickup_seconds and check_seconds must be positive"
            );
        }
        Ok(())
    }
}
