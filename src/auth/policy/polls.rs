//! Polls of the voting engine (I385 §22–§24, §46–§47, §52–§54): who sees a poll and who
//! casts a ballot. Opening, closing and naming substitutes are steps of the feature that
//! owns the poll's subject (a discussion, a draft act, a meeting), checked by its own
//! actions before it calls the engine.

use super::Object;
use crate::actor::UserIdentity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollAction {
    /// See the poll, its tally and (named polls) who chose what: its electorate, their
    /// substitutes and its watchers (initiator, secretary).
    Read,
    /// Cast a ballot: only people of the electorate; which seat they hold, and whether it
    /// has voted, the engine decides.
    Vote,
}

impl PollAction {
    pub const ALL: &'static [PollAction] = &[PollAction::Read, PollAction::Vote];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            PollAction::Read => "poll.read",
            PollAction::Vote => "poll.vote",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: PollAction, object: Object<'_>) -> bool {
    let Object::Poll { electorate, watchers } = object else { return false };
    match action {
        PollAction::Read => electorate.contains(&user.id) || watchers.contains(&user.id),
        PollAction::Vote => electorate.contains(&user.id),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;
    use crate::auth::roles::Role;

    fn check(action: PollAction, object: Object, expected: bool) {
        super::super::tests::check(&[Role::Employee], Action::Poll(action), object, expected);
    }

    #[test]
    fn poll_policy_table() {
        // The test user is account 10.
        let member = Object::Poll { electorate: &[10, 11], watchers: &[] };
        let watcher = Object::Poll { electorate: &[11], watchers: &[10] };
        let outsider = Object::Poll { electorate: &[11], watchers: &[12] };
        check(PollAction::Read, member, true);
        check(PollAction::Vote, member, true);
        check(PollAction::Read, watcher, true);
        check(PollAction::Vote, watcher, false);
        check(PollAction::Read, outsider, false);
        check(PollAction::Vote, outsider, false);
        check(PollAction::Read, Object::Appliance, false);
    }
}
