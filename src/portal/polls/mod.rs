//! The voting engine (I385 §22–§24, §46–§47, §52–§54): one place where ballots are cast,
//! counted, secured and shown, for every workflow that votes (draft acts' absentee vote,
//! discussions, Government meetings). It knows no feature: a poll belongs to a subject
//! (`draft:3`, `discussion:7`, `meeting:5:item:2`) that the owning feature names, and the
//! feature opens and closes it inside its own transactions (see `service.rs`).
//!
//! - `model.rs` — a poll's states (`scheduled → open → closed`, final), electorate seats
//!   (with substitutes), options, majority rule, quorum and the result; no I/O.
//! - `store.rs` — its tables; why a secret ballot cannot be linked to its voter.
//! - `service.rs` — create/update/close in a feature's transaction, the job that opens and
//!   closes polls on time, ballots (signed ones verified like every signature), live
//!   updates.
//! - `view.rs` — the poll as one person sees it (HTML panel and JSON share it).
//! - `http.rs` — `/api/v1/polls/...` and the ballot form of `polls/panel.html`.
//! - `pages.rs` — the page a refused ballot comes back on (choice kept, reason by the field).

pub mod http;
pub mod model;
mod pages;
pub mod service;
pub mod store;
#[cfg(test)]
mod tests;
pub mod view;

/// `[polls]`: the voting engine.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollsConfig {
    /// How often (seconds) the server looks for polls to open or close. A ballot after the
    /// closing time is refused at once whatever this says; this only bounds how late the
    /// closing is announced.
    pub check_seconds: u64,
}

impl Default for PollsConfig {
    fn default() -> Self {
        PollsConfig { check_seconds: 15 }
    }
}
