//! Discussions as values (I385 §7.6, §52–§54): a document put up for discussion by its
//! initiator, the people who discuss it, the dates, and the comments; no I/O. The vote of
//! a discussion is a poll of the voting engine (`portal::polls`), named by its subject
//! `discussion:<id>`.

use serde::{Deserialize, Serialize};

/// Most characters of one comment.
pub const MAX_COMMENT: usize = 10_000;
/// Most characters of the reason for closing early.
pub const MAX_REASON: usize = 1_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Discussion {
    pub id: u64,
    /// The document under discussion.
    pub document_id: u64,
    pub initiator: u64,
    /// The initiator's agency when it was posted.
    pub agency: u64,
    /// The working group picked, if any.
    #[serde(default)]
    pub group: Option<u64>,
    /// Who discusses: the people named and the group's members; once the discussion opens,
    /// exactly the electorate its poll froze (a later change of the group changes nothing).
    pub members: Vec<u64>,
    /// UTC, stored form: when comments and ballots open and close (§53).
    pub starts_at: String,
    pub ends_at: String,
    /// Its poll on the voting engine.
    pub poll: u64,
    /// Members were told it closes within a day.
    #[serde(default)]
    pub reminded: bool,
    /// Set when it closed (at its end, or early by the initiator, §54).
    #[serde(default)]
    pub closed: Option<Closed>,
    pub created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Closed {
    pub at: String,
    /// The initiator, when closed early; `None` when it ran to its end.
    pub by: Option<u64>,
    #[serde(default)]
    pub reason: String,
}

/// Where a discussion stands at a moment (derived from its dates and closing, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Open,
    Closed,
}

impl Phase {
    pub const ALL: &'static [Phase] = &[Phase::Open, Phase::Upcoming, Phase::Closed];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Upcoming => "upcoming",
            Phase::Open => "open",
            Phase::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.iter().copied().find(|p| p.name() == s)
    }
}

/// Why a step is refused; each is a translated message `discussion-<key>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Comments and ballots are sealed once it closed (§54).
    Closed,
    /// It has not started yet.
    NotStarted,
    /// A comment must say something, and not too much.
    EmptyComment,
    CommentTooLong,
    /// A reply to a comment of another discussion, or unknown.
    UnknownParent,
    /// The quoted paragraph is not one of the document's.
    UnknownParagraph,
    /// An early close needs its reason (§54).
    ReasonRequired,
    /// Start and end make no sense (end before start, or already past).
    BadDates,
    /// Nobody to discuss with.
    NoMembers,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Closed => "discussion-closed",
            Refusal::NotStarted => "discussion-not-started",
            Refusal::EmptyComment => "discussion-comment-empty",
            Refusal::CommentTooLong => "discussion-comment-too-long",
            Refusal::UnknownParent => "discussion-comment-unknown-parent",
            Refusal::UnknownParagraph => "discussion-comment-unknown-paragraph",
            Refusal::ReasonRequired => "discussion-reason-required",
            Refusal::BadDates => "discussion-bad-dates",
            Refusal::NoMembers => "discussion-no-members",
        }
    }

    pub const ALL: &'static [Refusal] = &[
        Refusal::Closed,
        Refusal::NotStarted,
        Refusal::EmptyComment,
        Refusal::CommentTooLong,
        Refusal::UnknownParent,
        Refusal::UnknownParagraph,
        Refusal::ReasonRequired,
        Refusal::BadDates,
        Refusal::NoMembers,
    ];
}

impl Discussion {
    pub fn phase(&self, now: &str) -> Phase {
        if self.closed.is_some() || now >= self.ends_at.as_str() {
            Phase::Closed
        } else if now < self.starts_at.as_str() {
            Phase::Upcoming
        } else {
            Phase::Open
        }
    }

    /// Whether `user` takes part (initiator or member).
    pub fn takes_part(&self, user: u64) -> bool {
        self.initiator == user || self.members.contains(&user)
    }

    /// Checks that a comment may be added now.
    pub fn check_comment(&self, text: &str, now: &str) -> Result<(), Refusal> {
        match self.phase(now) {
            Phase::Closed => return Err(Refusal::Closed),
            Phase::Upcoming => return Err(Refusal::NotStarted),
            Phase::Open => {}
        }
        let n = text.trim().chars().count();
        if n == 0 {
            return Err(Refusal::EmptyComment);
        }
        if n > MAX_COMMENT {
            return Err(Refusal::CommentTooLong);
        }
        Ok(())
    }

    /// §54: the initiator closes it before its end, with a reason.
    pub fn close_early(&mut self, by: u64, reason: &str, now: &str) -> Result<(), Refusal> {
        if self.phase(now) == Phase::Closed {
            return Err(Refusal::Closed);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Refusal::ReasonRequired);
        }
        self.closed = Some(Closed {
            at: now.to_owned(),
            by: Some(by),
            reason: reason.chars().take(MAX_REASON).collect(),
        });
        Ok(())
    }

    /// It ran to its end (the voting engine closed its poll).
    pub fn ended(&mut self, now: &str) {
        if self.closed.is_none() {
            self.closed = Some(Closed { at: now.to_owned(), by: None, reason: String::new() });
        }
    }
}

/// One comment, as stored: the words are sealed with the document's key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommentRecord {
    pub id: u64,
    pub discussion: u64,
    pub author: u64,
    pub created: String,
    /// The comment it answers (threads).
    #[serde(default)]
    pub reply_to: Option<u64>,
    /// The paragraph of the document's text it answers (0-based), quoted when shown.
    #[serde(default)]
    pub paragraph: Option<usize>,
    /// `{"text": …, "quote": …}` sealed with the document's key.
    #[serde(with = "crate::db::sealed_bytes")]
    pub sealed: Vec<u8>,
}

/// The paragraphs of a document's text (blank lines separate them).
pub fn paragraphs(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discussion() -> Discussion {
        Discussion {
            id: 1,
            document_id: 2,
            initiator: 10,
            agency: 1,
            group: None,
            members: vec![11, 12],
            starts_at: "2027-01-04T04:00:00Z".into(),
            ends_at: "2027-01-06T04:00:00Z".into(),
            poll: 3,
            reminded: false,
            closed: None,
            created: "2027-01-03T04:00:00Z".into(),
        }
    }

    #[test]
    fn phases_follow_the_dates_and_an_early_close() {
        let mut d = discussion();
        assert_eq!(d.phase("2027-01-04T03:59:59Z"), Phase::Upcoming);
        assert_eq!(d.phase("2027-01-04T04:00:00Z"), Phase::Open);
        assert_eq!(d.phase("2027-01-06T04:00:00Z"), Phase::Closed);
        assert_eq!(d.close_early(10, "  ", "2027-01-05T00:00:00Z"), Err(Refusal::ReasonRequired));
        d.close_early(10, "Agreed at the meeting", "2027-01-05T00:00:00Z").unwrap();
        assert_eq!(d.phase("2027-01-05T00:00:01Z"), Phase::Closed);
        assert_eq!(d.close_early(10, "again", "2027-01-05T00:00:02Z"), Err(Refusal::Closed));
        d.ended("2027-01-06T04:00:00Z");
        assert_eq!(d.closed.as_ref().unwrap().by, Some(10), "an early close is kept");
    }

    #[test]
    fn comments_only_while_open_and_within_bounds() {
        let d = discussion();
        let open = "2027-01-05T00:00:00Z";
        assert_eq!(d.check_comment("x", "2027-01-03T00:00:00Z"), Err(Refusal::NotStarted));
        assert_eq!(d.check_comment("x", "2027-01-07T00:00:00Z"), Err(Refusal::Closed));
        assert_eq!(d.check_comment(" \n ", open), Err(Refusal::EmptyComment));
        assert_eq!(
            d.check_comment(&"ж".repeat(MAX_COMMENT + 1), open),
            Err(Refusal::CommentTooLong)
        );
        assert!(d.check_comment(&"ж".repeat(MAX_COMMENT), open).is_ok());
        assert!(d.takes_part(10) && d.takes_part(12) && !d.takes_part(13));
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(paragraphs("a\nb\r\n\r\n\n c \n\n"), vec!["a\nb".to_owned(), "c".to_owned()]);
    }
}
