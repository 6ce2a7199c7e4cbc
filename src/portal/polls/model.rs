//! Polls as values and rules, without I/O: what a poll is, when it accepts a ballot, and how
//! its result follows from the counted choices (I385 §22–§24, §46–§47, §52–§54).

use serde::{Deserialize, Serialize};

/// Whether the portal keeps who chose what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secrecy {
    /// Each ballot is kept with its voter (and signature, when signed): results name people.
    Named,
    /// Who voted and what was chosen are two records never joined (see `store.rs`).
    Secret,
}

impl Secrecy {
    pub fn name(self) -> &'static str {
        match self {
            Secrecy::Named => "named",
            Secrecy::Secret => "secret",
        }
    }
}

/// The share of the ballots cast an option needs to win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Majority {
    /// More than half of the ballots cast (an abstention is a ballot cast).
    Simple,
    /// At least two thirds of the ballots cast.
    TwoThirds,
    /// Every member of the electorate (unanimity).
    All,
}

impl Majority {
    pub const ALL: &'static [Majority] = &[Majority::Simple, Majority::TwoThirds, Majority::All];

    pub fn name(self) -> &'static str {
        match self {
            Majority::Simple => "simple",
            Majority::TwoThirds => "two_thirds",
            Majority::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Majority> {
        Majority::ALL.iter().copied().find(|m| m.name() == s)
    }

    /// Whether `votes` for one option win under this rule.
    pub fn met(self, votes: u64, cast: u64, electorate: u64) -> bool {
        match self {
            Majority::Simple => 2 * votes > cast,
            Majority::TwoThirds => cast > 0 && 3 * votes >= 2 * cast,
            Majority::All => electorate > 0 && votes == electorate,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Created, waiting for its opening time; everything may still change.
    Scheduled,
    /// Accepting ballots; options, rule, secrecy and electorate are frozen.
    Open,
    /// Final: no ballot, no change.
    Closed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Scheduled => "scheduled",
            State::Open => "open",
            State::Closed => "closed",
        }
    }
}

/// The standard choices; their words are translated (`poll-choice-<key>`).
pub const FOR: &str = "for";
pub const AGAINST: &str = "against";
pub const ABSTAIN: &str = "abstain";

/// What a poll asks: for / against (optionally abstain), or options of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Options {
    ForAgainst {
        #[serde(default)]
        abstain: bool,
    },
    /// The poll's own options (2–10), chosen by number `1`, `2`, …; their labels are words
    /// of the subject and are kept sealed with its document's key.
    Custom { labels: Vec<String> },
}

impl Default for Options {
    fn default() -> Self {
        Options::ForAgainst { abstain: false }
    }
}

impl Options {
    /// The choice keys, in order.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Options::ForAgainst { abstain } => {
                let mut keys = vec![FOR.to_owned(), AGAINST.to_owned()];
                if *abstain {
                    keys.push(ABSTAIN.to_owned());
                }
                keys
            }
            Options::Custom { labels } => (1..=labels.len()).map(|i| i.to_string()).collect(),
        }
    }

    pub fn is_custom(&self) -> bool {
        matches!(self, Options::Custom { .. })
    }

    pub fn check(&self) -> Result<(), Refusal> {
        if let Options::Custom { labels } = self {
            let ok = (2..=10).contains(&labels.len())
                && labels.iter().all(|l| {
                    let n = l.trim().chars().count();
                    (1..=300).contains(&n)
                });
            let mut unique: Vec<&str> = labels.iter().map(|l| l.trim()).collect();
            unique.sort_unstable();
            unique.dedup();
            if !ok || unique.len() != labels.len() {
                return Err(Refusal::BadOptions);
            }
        }
        Ok(())
    }
}

/// A place in the electorate: the member, and the person voting in their place for this
/// poll (a substitute named for one meeting, I385 §43–§44), who then holds the seat alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub member: u64,
    #[serde(default)]
    pub substitute: Option<u64>,
}

impl Seat {
    /// Who may cast this seat's ballot.
    pub fn holder(&self) -> u64 {
        self.substitute.unwrap_or(self.member)
    }
}

/// How a poll ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    pub at: String,
    /// `None` when the server closed it at its closing time.
    pub by: Option<u64>,
    pub early: bool,
    #[serde(default)]
    pub reason: String,
}

/// What the rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// For / against: "for" won under the rule.
    Accepted,
    /// For / against: it did not.
    Rejected,
    /// Own options: one option won (named in [`Tally::chosen`]).
    Chosen,
    /// Own options: none won under the rule (or a tie).
    NoDecision,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Chosen => "chosen",
            Outcome::NoDecision => "no_decision",
        }
    }
}

/// Counted choices and what they mean under the poll's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// (choice key, ballots), in the poll's option order.
    pub counts: Vec<(String, u64)>,
    pub voted: u64,
    pub electorate: u64,
    pub quorum_reached: bool,
    /// `None` without quorum, and while the poll is open.
    pub outcome: Option<Outcome>,
    pub chosen: Option<String>,
}

/// Applies the rule to counted choices. `outcome` is set only for a closed poll with
/// quorum; an open poll shows counts and whether the quorum is reached so far.
pub fn tally(
    own_options: bool,
    counts: Vec<(String, u64)>,
    electorate: u64,
    majority: Majority,
    quorum_percent: u8,
    closed: bool,
) -> Tally {
    let voted: u64 = counts.iter().map(|(_, n)| n).sum();
    let quorum_reached = quorum_met(voted, electorate, quorum_percent);
    let count_of = |key: &str| counts.iter().find(|(k, _)| k == key).map(|(_, n)| *n).unwrap_or(0);
    let (outcome, chosen) = if !closed || !quorum_reached {
        (None, None)
    } else if own_options {
        let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let leaders: Vec<&(String, u64)> = counts.iter().filter(|(_, n)| *n == best).collect();
        if leaders.len() == 1 && best > 0 && majority.met(best, voted, electorate) {
            (Some(Outcome::Chosen), Some(leaders[0].0.clone()))
        } else {
            (Some(Outcome::NoDecision), None)
        }
    } else if majority.met(count_of(FOR), voted, electorate) {
        (Some(Outcome::Accepted), None)
    } else {
        (Some(Outcome::Rejected), None)
    };
    Tally { counts, voted, electorate, quorum_reached, outcome, chosen }
}

/// Whether `voted` of `electorate` reach `percent` (rounded up: 50 % of 5 is 3).
pub fn quorum_met(voted: u64, electorate: u64, percent: u8) -> bool {
    voted >= quorum_needed(electorate, percent)
}

/// How many ballots the quorum needs.
pub fn quorum_needed(electorate: u64, percent: u8) -> u64 {
    (electorate * u64::from(percent)).div_ceil(100)
}

/// One poll. Ballots are not here: named ballots, and the voters and counters of secret
/// polls, are rows of their own tables (see `store.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poll {
    pub id: u64,
    /// What it decides, as `<feature>:<id>[:<part>]` (e.g. `discussion:7`, `draft:3`,
    /// `meeting:5:item:2`); the engine never interprets it beyond the prefix the portal
    /// uses to tell the owning feature of opening and closing.
    pub subject: String,
    /// The page of the subject (for notices and links).
    pub link: String,
    /// The document the poll is about: its key seals the poll's own option labels.
    #[serde(default)]
    pub document_id: Option<u64>,
    /// Choice keys in order (`for`, `against`, `abstain`, or `1`, `2`, …).
    pub options: Vec<String>,
    /// Own options' labels, sealed (JSON list) with the document's key.
    #[serde(default)]
    pub sealed_labels: Option<Vec<u8>>,
    pub secrecy: Secrecy,
    pub signed: bool,
    pub majority: Majority,
    /// Share of the electorate (percent) that must vote for the result to count.
    pub quorum_percent: u8,
    /// Counts and named results are shown only once closed (always so for secret polls:
    /// a live count watched beside the list of who voted would link voters to choices).
    pub hide_until_closed: bool,
    /// UTC, stored form.
    pub opens_at: String,
    pub closes_at: String,
    /// The electorate as asked for: people, and a working group taken as it stands when
    /// the poll opens.
    pub members: Vec<u64>,
    #[serde(default)]
    pub group: Option<u64>,
    /// The electorate frozen at opening, ordered by member id.
    #[serde(default)]
    pub seats: Vec<Seat>,
    /// People told of every change who do not vote (the initiator, the secretary).
    #[serde(default)]
    pub watchers: Vec<u64>,
    /// Lines the feature adds to the signed ballot text (e.g. the document version and its
    /// manifest hash), so a signature binds the choice to exactly what was voted on.
    #[serde(default)]
    pub ballot_header: Vec<(String, String)>,
    pub state: State,
    #[serde(default)]
    pub opened: Option<String>,
    #[serde(default)]
    pub closing: Option<Closing>,
    /// Frozen at closing.
    #[serde(default)]
    pub result: Option<Tally>,
    pub created: String,
    pub created_by: u64,
}

/// Why a step is not possible (each maps to a translated explanation, `poll-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotOpenYet,
    Closed,
    NotInElectorate,
    Substituted,
    AlreadyVoted,
    UnknownChoice,
    SignatureRequired,
    Frozen,
    NoElectorate,
    BadTimes,
    SecretCannotBeSigned,
    BadOptions,
    BadQuorum,
    SeatVoted,
    LabelsNeedDocument,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::NotOpenYet => "poll-not-open-yet",
            Refusal::Closed => "poll-closed",
            Refusal::NotInElectorate => "poll-not-in-electorate",
            Refusal::Substituted => "poll-substituted",
            Refusal::AlreadyVoted => "poll-already-voted",
            Refusal::UnknownChoice => "poll-choice-unknown",
            Refusal::SignatureRequired => "poll-signature-required",
            Refusal::Frozen => "poll-frozen",
            Refusal::NoElectorate => "poll-no-electorate",
            Refusal::BadTimes => "poll-times",
            Refusal::SecretCannotBeSigned => "poll-secret-unsigned",
            Refusal::BadOptions => "poll-options",
            Refusal::BadQuorum => "poll-quorum",
            Refusal::SeatVoted => "poll-seat-voted",
            Refusal::LabelsNeedDocument => "poll-labels-document",
        }
    }
}

impl Poll {
    /// The state at `now`: a scheduled poll past its opening time and an open poll past
    /// its closing time are treated as such even before the job has written it.
    pub fn state_at(&self, now: &str) -> State {
        match self.state {
            State::Scheduled if now >= self.closes_at.as_str() => State::Closed,
            State::Scheduled if now >= self.opens_at.as_str() => State::Open,
            State::Open if now >= self.closes_at.as_str() => State::Closed,
            s => s,
        }
    }

    /// Whether the poll has options of its own (rather than for / against).
    pub fn has_own_options(&self) -> bool {
        self.options.first().is_some_and(|o| o != FOR)
    }

    /// The seat `user` holds, if any.
    pub fn seat_of(&self, user: u64) -> Option<&Seat> {
        self.seats.iter().find(|s| s.holder() == user)
    }

    /// Who may see the poll and hear of its changes: members, substitutes, watchers.
    pub fn audience(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self.members.clone();
        for s in &self.seats {
            out.push(s.member);
            out.extend(s.substitute);
        }
        out.extend(&self.watchers);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Everyone who holds or held a place in the electorate (for the policy).
    pub fn electorate_people(&self) -> Vec<u64> {
        let mut out: Vec<u64> = if self.seats.is_empty() {
            self.members.clone()
        } else {
            self.seats.iter().flat_map(|s| [Some(s.member), s.substitute]).flatten().collect()
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Checks that `user` may cast a ballot for `choice` now; returns their seat's member.
    pub fn check_ballot(&self, user: u64, choice: &str, now: &str) -> Result<u64, Refusal> {
        match self.state_at(now) {
            State::Scheduled => return Err(Refusal::NotOpenYet),
            State::Closed => return Err(Refusal::Closed),
            State::Open if self.state == State::Scheduled => return Err(Refusal::NotOpenYet),
            State::Open => {}
        }
        let seat = match self.seat_of(user) {
            Some(seat) => seat,
            None if self.seats.iter().any(|s| s.member == user) => {
                return Err(Refusal::Substituted);
            }
            None => return Err(Refusal::NotInElectorate),
        };
        if !self.options.iter().any(|o| o == choice) {
            return Err(Refusal::UnknownChoice);
        }
        Ok(seat.member)
    }

    /// Opens the poll with its electorate frozen (`group_members`: the working group as it
    /// stands now).
    pub fn open(&mut self, group_members: &[u64], now: &str) -> Result<(), Refusal> {
        if self.state != State::Scheduled {
            return Err(Refusal::Frozen);
        }
        let mut people: Vec<u64> = self.members.iter().chain(group_members).copied().collect();
        people.sort_unstable();
        people.dedup();
        if people.is_empty() {
            return Err(Refusal::NoElectorate);
        }
        self.seats = people.into_iter().map(|member| Seat { member, substitute: None }).collect();
        self.state = State::Open;
        self.opened = Some(now.to_owned());
        Ok(())
    }

    /// Names who votes in `member`'s place; refused once the seat has voted or the poll
    /// has closed. Before opening, the member is added to the electorate if absent.
    pub fn substitute(
        &mut self,
        member: u64,
        substitute: Option<u64>,
        seat_voted: bool,
    ) -> Result<(), Refusal> {
        if self.state == State::Closed {
            return Err(Refusal::Closed);
        }
        if seat_voted {
            return Err(Refusal::SeatVoted);
        }
        let seat =
            self.seats.iter_mut().find(|s| s.member == member).ok_or(Refusal::NotInElectorate)?;
        seat.substitute = substitute.filter(|s| *s != member);
        Ok(())
    }

    /// Closes the poll with its result.
    pub fn close(&mut self, result: Tally, closing: Closing) -> Result<(), Refusal> {
        if self.state == State::Closed {
            return Err(Refusal::Closed);
        }
        self.state = State::Closed;
        self.result = Some(result);
        self.closing = Some(closing);
        Ok(())
    }

    /// The exact text a signed ballot covers: the poll, what it is about, the seat and
    /// the choice, so a signature over one ballot cannot count for another.
    pub fn ballot_text(&self, seat_member: u64, choice: &str) -> Vec<u8> {
        let mut text = format!("IPGO-BALLOT 2\npoll: {}\nsubject: {}\n", self.id, self.subject);
        for (k, v) in &self.ballot_header {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push_str(&format!("seat: {seat_member}\nchoice: {choice}\n"));
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll() -> Poll {
        Poll {
            id: 1,
            subject: "discussion:1".into(),
            link: "/discussions/1".into(),
            document_id: None,
            options: Options::default().keys(),
            sealed_labels: None,
            secrecy: Secrecy::Named,
            signed: false,
            majority: Majority::Simple,
            quorum_percent: 50,
            hide_until_closed: false,
            opens_at: "2026-11-22T04:00:00.000000Z".into(),
            closes_at: "2026-11-23T04:00:00.000000Z".into(),
            members: vec![3, 1, 2],
            group: None,
            seats: vec![],
            watchers: vec![9],
            ballot_header: vec![],
            state: State::Scheduled,
            opened: None,
            closing: None,
            result: None,
            created: "2026-11-21T04:00:00.000000Z".into(),
            created_by: 9,
        }
    }

    const BEFORE: &str = "2026-11-22T03:00:00.000000Z";
    const DURING: &str = "2026-11-22T05:00:00.000000Z";
    const AFTER: &str = "2026-11-23T04:00:00.000000Z";

    #[test]
    fn ballots_are_taken_only_while_open_and_only_from_seat_holders() {
        let mut p = poll();
        assert_eq!(p.check_ballot(1, FOR, BEFORE), Err(Refusal::NotOpenYet));
        assert_eq!(p.state_at(DURING), State::Open);
        assert_eq!(
            p.check_ballot(1, FOR, DURING),
            Err(Refusal::NotOpenYet),
            "not before the electorate is frozen"
        );
        p.open(&[4, 2], DURING).unwrap();
        assert_eq!(p.seats.iter().map(|s| s.member).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        assert_eq!(p.open(&[], DURING), Err(Refusal::Frozen));
        assert_eq!(p.check_ballot(1, FOR, DURING), Ok(1));
        assert_eq!(p.check_ballot(1, "maybe", DURING), Err(Refusal::UnknownChoice));
        assert_eq!(p.check_ballot(5, FOR, DURING), Err(Refusal::NotInElectorate));
        assert_eq!(p.check_ballot(9, FOR, DURING), Err(Refusal::NotInElectorate), "watchers");
        assert_eq!(p.check_ballot(1, FOR, AFTER), Err(Refusal::Closed), "closing time is exact");
    }

    #[test]
    fn a_substitute_holds_the_seat_alone_until_it_has_voted() {
        let mut p = poll();
        p.open(&[], DURING).unwrap();
        p.substitute(2, Some(7), false).unwrap();
        assert_eq!(p.check_ballot(7, AGAINST, DURING), Ok(2), "the substitute votes for seat 2");
        assert_eq!(p.check_ballot(2, AGAINST, DURING), Err(Refusal::Substituted));
        assert_eq!(p.substitute(2, None, true), Err(Refusal::SeatVoted));
        assert_eq!(p.substitute(8, Some(7), false), Err(Refusal::NotInElectorate));
        assert!(p.audience().contains(&7) && p.audience().contains(&2));
    }

    #[test]
    fn an_empty_electorate_cannot_open() {
        let mut p = poll();
        p.members.clear();
        assert_eq!(p.open(&[], DURING), Err(Refusal::NoElectorate));
    }

    #[test]
    fn majority_rules_and_quorum() {
        let counts = |f, a, x| vec![(FOR.into(), f), (AGAINST.into(), a), (ABSTAIN.into(), x)];
        // (for, against, abstain, electorate, rule, quorum %) → (quorum reached, outcome)
        type Case = (u64, u64, u64, u64, Majority, u8, bool, Option<Outcome>);
        let cases: &[Case] = &[
            (2, 1, 0, 3, Majority::Simple, 50, true, Some(Outcome::Accepted)),
            (1, 1, 0, 3, Majority::Simple, 50, true, Some(Outcome::Rejected)),
            (2, 1, 1, 4, Majority::Simple, 50, true, Some(Outcome::Rejected)),
            (2, 1, 0, 3, Majority::TwoThirds, 50, true, Some(Outcome::Accepted)),
            (3, 2, 0, 5, Majority::TwoThirds, 50, true, Some(Outcome::Rejected)),
            (3, 0, 0, 4, Majority::All, 50, true, Some(Outcome::Rejected)),
            (4, 0, 0, 4, Majority::All, 100, true, Some(Outcome::Accepted)),
            (2, 0, 0, 5, Majority::Simple, 50, false, None),
            (3, 0, 0, 5, Majority::Simple, 50, true, Some(Outcome::Accepted)),
            (0, 0, 0, 5, Majority::Simple, 0, true, Some(Outcome::Rejected)),
        ];
        for &(f, a, x, e, rule, q, reached, outcome) in cases {
            let t = tally(false, counts(f, a, x), e, rule, q, true);
            assert_eq!((t.quorum_reached, t.outcome), (reached, outcome), "{f}/{a}/{x} of {e}");
            let open = tally(false, counts(f, a, x), e, rule, q, false);
            assert_eq!(open.outcome, None, "no outcome while open");
            assert_eq!(open.voted, f + a + x);
        }
    }

    #[test]
    fn own_options_choose_one_or_none() {
        let opts = Options::Custom { labels: vec!["A".into(), "B".into(), "C".into()] };
        let c = |a, b, x| vec![("1".into(), a), ("2".into(), b), ("3".into(), x)];
        let t = tally(true, c(3, 1, 1), 5, Majority::Simple, 50, true);
        assert_eq!((t.outcome, t.chosen.as_deref()), (Some(Outcome::Chosen), Some("1")));
        let t = tally(true, c(2, 2, 1), 5, Majority::Simple, 50, true);
        assert_eq!((t.outcome, t.chosen), (Some(Outcome::NoDecision), None), "a tie");
        let t = tally(true, c(2, 1, 1), 5, Majority::Simple, 50, true);
        assert_eq!(t.outcome, Some(Outcome::NoDecision), "2 of 4 is not more than half");
        assert_eq!(opts.keys(), vec!["1", "2", "3"]);
        assert!(Options::Custom { labels: vec!["A".into()] }.check().is_err());
        assert!(Options::Custom { labels: vec!["A".into(), " A".into()] }.check().is_err());
        assert!(opts.check().is_ok());
    }

    #[test]
    fn the_ballot_text_names_poll_seat_and_choice() {
        let mut p = poll();
        p.ballot_header = vec![("version".into(), "2".into())];
        let text = String::from_utf8(p.ballot_text(3, AGAINST)).unwrap();
        assert_eq!(
            text,
            "IPGO-BALLOT 2\npoll: 1\nsubject: discussion:1\nversion: 2\nseat: 3\nchoice: against\n"
        );
        assert_ne!(p.ballot_text(3, FOR), p.ballot_text(3, AGAINST));
        assert_ne!(p.ballot_text(3, FOR), p.ballot_text(2, FOR));
    }

    #[test]
    fn quorum_rounds_up() {
        assert_eq!(quorum_needed(5, 50), 3);
        assert_eq!(quorum_needed(3, 67), 3);
        assert_eq!(quorum_needed(4, 0), 0);
        assert!(quorum_met(3, 5, 50) && !quorum_met(2, 5, 50));
    }
}
