//! A proposal and its review steps, without I/O.

use serde::{Deserialize, Serialize};

/// Where a proposal stands (I617 §40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Proposed, not looked at yet.
    Submitted,
    /// The support administrator is evaluating it.
    Evaluating,
    /// Accepted, with the version it is planned for.
    Accepted,
    /// Done in a version of the portal.
    Implemented,
    /// Rejected, with an explanation.
    Rejected,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Status::Submitted,
        Status::Evaluating,
        Status::Accepted,
        Status::Implemented,
        Status::Rejected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Evaluating => "evaluating",
            Status::Accepted => "accepted",
            Status::Implemented => "implemented",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.iter().copied().find(|x| x.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("proposal-status-{}", self.name())
    }

    /// Implemented and rejected proposals are settled: no more support, no more review.
    pub fn is_settled(self) -> bool {
        matches!(self, Status::Implemented | Status::Rejected)
    }

    /// The review steps: forward only, evaluation may be skipped, rejection possible until
    /// the proposal is implemented.
    pub fn may_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Submitted, Evaluating | Accepted | Rejected)
                | (Evaluating, Accepted | Rejected)
                | (Accepted, Implemented | Rejected)
        )
    }
}

/// One review step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub by: u64,
    pub to: Status,
    /// The version an accepted or implemented proposal is (planned) in.
    #[serde(default)]
    pub version: String,
    /// The explanation to the proposer (required for a rejection).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: u64,
    pub author_id: u64,
    pub agency_id: u64,
    pub title: String,
    /// What should change.
    pub text: String,
    /// Why: the work it saves, the errors it prevents.
    pub justification: String,
    pub status: Status,
    /// The planned (accepted) or actual (implemented) version.
    #[serde(default)]
    pub version: String,
    /// Accounts that support it, the author never among them.
    #[serde(default)]
    pub supporters: Vec<u64>,
    #[serde(default)]
    pub steps: Vec<Step>,
    pub created: String,
    pub updated: String,
}

impl Proposal {
    /// Whether every word of a query is in the title, the text or the justification
    /// (case-insensitive, in any language).
    pub fn matches(&self, words: &[String]) -> bool {
        let hay = format!("{}\n{}\n{}", self.title, self.text, self.justification).to_lowercase();
        words.iter().all(|w| hay.contains(w.as_str()))
    }
}

/// The words of a search query, lower-cased.
pub fn query_words(q: &str) -> Vec<String> {
    q.split_whitespace().map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_steps_go_forward_only() {
        use Status::*;
        assert!(Submitted.may_become(Evaluating));
        assert!(Submitted.may_become(Accepted));
        assert!(Accepted.may_become(Implemented));
        assert!(Accepted.may_become(Rejected));
        assert!(!Submitted.may_become(Implemented), "implemented before being accepted");
        assert!(!Rejected.may_become(Accepted));
        assert!(!Implemented.may_become(Rejected));
        assert!(!Evaluating.may_become(Submitted));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(*s));
            assert!(!s.may_become(*s));
        }
    }

    #[test]
    fn search_needs_every_word_in_any_case() {
        let p = Proposal {
            id: 1,
            author_id: 1,
            agency_id: 1,
            title: "Поиск по номеру приказа".into(),
            text: "Искать документ по регистрационному номеру".into(),
            justification: "Экономит время канцелярии".into(),
            status: Status::Submitted,
            version: String::new(),
            supporters: Vec::new(),
            steps: Vec::new(),
            created: String::new(),
            updated: String::new(),
        };
        assert!(p.matches(&query_words("ПОИСК канцелярии")));
        assert!(!p.matches(&query_words("поиск календарь")));
        assert!(p.matches(&query_words("")));
    }
}
