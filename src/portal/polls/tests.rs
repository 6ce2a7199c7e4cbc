//! The engine against a real store (redb, access log): secrecy proved over every table,
//! one ballot per seat, frozen polls, closing with the rule. Time-dependent behaviour (the
//! job opening and closing polls) is tested through the real server with a controllable
//! clock (`tests/integration/discussions.rs`, `tests/integration/drafts_vote.rs`); secrecy
//! through the real server over every table, the access log and the search index in
//! `tests/integration/polls_secrecy.rs`.

use super::model::*;
use super::service::{self, PollSpec};
use crate::actor::{Actor, Origin, UserIdentity, Who};
use crate::app::App;
use crate::auth::roles::{Role, RoleSet};
use crate::error::Code;

fn app() -> (tempfile::TempDir, std::sync::Arc<App>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::Config::default();
    config.storage.data_dir = dir.path().join("data");
    let app = App::open(config).unwrap();
    (dir, app)
}

fn person(id: u64) -> Actor {
    Actor {
        who: Who::User(UserIdentity {
            id,
            login: format!("u{id}"),
            agency_id: 1,
            agency_code: "A".into(),
            department_id: None,
            roles: [Role::Employee].into_iter().collect::<RoleSet>(),
            groups: vec![],
            lang: "ru".into(),
            must_change_password: false,
        }),
        origin: Origin::system("test"),
    }
}

/// Voters with ids that cannot occur by chance in any stored row.
const VOTERS: [u64; 4] = [900_001, 900_002, 900_003, 900_004];

fn spec(subject: &str, secrecy: Secrecy) -> PollSpec {
    let mut spec = PollSpec::for_against(subject.into(), "/x".into(), 1);
    spec.options = Options::ForAgainst { abstain: true };
    spec.secrecy = secrecy;
    spec.members = VOTERS.to_vec();
    spec.watchers = vec![900_100];
    spec
}

fn create(app: &App, spec: PollSpec) -> Poll {
    app.db.write(|txn| service::create_in(app, txn, spec, 900_100)).unwrap()
}

fn cast(app: &App, voter: u64, poll: u64, choice: &str) -> crate::error::Result<()> {
    service::cast(app, &person(voter), poll, choice, None, "poll.ballot")
}

fn dump(app: &App) -> Vec<(String, String, Vec<u8>)> {
    app.audit.flush_blocking();
    let txn = app.db.read().unwrap();
    crate::ops::backup::tables::dump(&txn).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// I385 §52–§53, secret ballots: after a secret poll, no row of any table of the database
/// links a voter to a choice, and the rows it added do not depend on who chose what.
#[test]
fn a_secret_poll_leaves_no_link_between_a_voter_and_a_choice_in_any_table() {
    let (_dir, app) = app();
    let first = create(&app, spec("discussion:1", Secrecy::Secret));
    let second = create(&app, spec("discussion:2", Secrecy::Secret));
    assert!(first.hide_until_closed, "a secret poll never shows a live count");
    let before = dump(&app);
    // The same people, the same totals, different people behind the choices.
    let one = [("for", 0), ("against", 1), ("for", 2), ("abstain", 3)];
    let two = [("against", 0), ("for", 1), ("abstain", 2), ("for", 3)];
    for (choice, voter) in one {
        cast(&app, VOTERS[voter], first.id, choice).unwrap();
    }
    // In the other poll they vote in the opposite order too.
    for (choice, voter) in two.iter().rev() {
        cast(&app, VOTERS[*voter], second.id, choice).unwrap();
    }
    let after = dump(&app);
    let added: Vec<&(String, String, Vec<u8>)> =
        after.iter().filter(|row| !before.contains(row)).collect();
    // Only the register of voters, the counters and the access log (with its head in
    // `meta`) changed; no id counter was taken, no notice written.
    for (table, key, _) in &added {
        assert!(
            matches!(table.as_str(), "poll_voters" | "poll_counts" | "audit_log_blocks")
                || (table == "meta" && key.contains("audit")),
            "a secret ballot wrote to {table} {key}"
        );
    }
    let rows_of = |table: &str, poll: u64| -> Vec<(String, Vec<u8>)> {
        let prefix = format!("({poll}, ");
        let mut rows: Vec<(String, Vec<u8>)> = after
            .iter()
            .filter(|(t, k, _)| t == table && k.starts_with(&prefix))
            .map(|(_, k, v)| (k.replacen(&prefix, "(P, ", 1), v.clone()))
            .collect();
        rows.sort();
        rows
    };
    for table in ["poll_voters", "poll_counts"] {
        assert_eq!(
            rows_of(table, first.id),
            rows_of(table, second.id),
            "{table}: different voters behind the choices, in another order, store the same"
        );
    }
    assert_eq!(rows_of("poll_voters", first.id).len(), 4);
    // No row anywhere holds both a voter and a choice (a choice word next to an id).
    for (table, key, value) in &after {
        let has_voter =
            VOTERS.iter().any(|v| contains(value, &v.to_string()) || key.contains(&v.to_string()));
        let has_choice = ["\"for\"", "\"against\"", "\"abstain\""]
            .iter()
            .any(|c| contains(value, c) || key.contains(c));
        if table == "polls" {
            continue; // the poll's own definition lists its electorate and options
        }
        assert!(!(has_voter && has_choice), "{table} {key} links a voter to a choice");
    }
    // The access-log entries of the ballots name the poll only.
    let ballots: Vec<serde_json::Value> = after
        .iter()
        .filter(|(t, _, _)| t == "audit_log_blocks")
        .flat_map(|(_, _, v)| crate::audit::blocks::entry_jsons(v))
        .filter(|json| contains(json, "poll.ballot"))
        .map(|json| serde_json::from_slice(json).unwrap())
        .collect();
    assert_eq!(ballots.len(), 8);
    for entry in &ballots {
        let text = entry.to_string();
        assert!(!text.contains("against") && !text.contains("abstain"), "{text}");
        assert_eq!(entry["detail"], serde_json::json!({"poll": entry["detail"]["poll"]}));
    }
    // The counts are right, and closing applies the rule to them.
    let closed = app.db.write(|txn| service::close_in(txn, first.id, Some(900_100), "")).unwrap();
    let result = closed.result.unwrap();
    assert_eq!(
        result.counts,
        vec![("for".into(), 2), ("against".into(), 1), ("abstain".into(), 1)]
    );
    assert_eq!((result.quorum_reached, result.outcome), (true, Some(Outcome::Rejected)));
    app.shutdown();
}

#[test]
fn one_ballot_per_seat_only_from_the_electorate_and_nothing_after_closing() {
    let (_dir, app) = app();
    let poll = create(&app, spec("discussion:3", Secrecy::Named));
    cast(&app, VOTERS[0], poll.id, "for").unwrap();
    let again = cast(&app, VOTERS[0], poll.id, "against").unwrap_err();
    assert_eq!((again.code, again.detail_key), (Code::Conflict, Some("poll-already-voted")));
    let outsider = cast(&app, 900_099, poll.id, "for").unwrap_err();
    assert_eq!(outsider.code, Code::NotFound, "a poll one may not see is not revealed");
    let watcher = cast(&app, 900_100, poll.id, "for").unwrap_err();
    assert_eq!(
        (watcher.code, watcher.detail_key),
        (Code::Forbidden, Some("poll-not-in-electorate"))
    );
    let unknown = cast(&app, VOTERS[1], poll.id, "maybe").unwrap_err();
    assert_eq!(unknown.detail_key, Some("poll-choice-unknown"));
    // A substitute holds the seat alone.
    app.db.write(|txn| service::set_substitute_in(txn, poll.id, VOTERS[1], Some(900_050))).unwrap();
    let replaced = cast(&app, VOTERS[1], poll.id, "for").unwrap_err();
    assert_eq!(replaced.detail_key, Some("poll-substituted"));
    cast(&app, 900_050, poll.id, "against").unwrap();
    let late_sub = app.db.write(|txn| service::set_substitute_in(txn, poll.id, VOTERS[1], None));
    assert_eq!(late_sub.unwrap_err().detail_key, Some("poll-seat-voted"));
    // Frozen once open.
    let mut changed = spec("discussion:3", Secrecy::Secret);
    changed.options = Options::ForAgainst { abstain: false };
    let frozen = app.db.write(|txn| service::update_in(&app, txn, poll.id, changed)).unwrap_err();
    assert_eq!((frozen.code, frozen.detail_key), (Code::Conflict, Some("poll-frozen")));
    app.db.write(|txn| service::close_in(txn, poll.id, None, "")).unwrap();
    let late = cast(&app, VOTERS[2], poll.id, "for").unwrap_err();
    assert_eq!((late.code, late.detail_key), (Code::Conflict, Some("poll-closed")));
    assert!(late.detail.unwrap().contains("(Astana)"), "the refusal names the closing time");
    // The named result: who chose what, the substitute's ballot in the member's seat.
    let view = super::view::view(&app, &person(900_100), poll.id, "ru").unwrap();
    assert_eq!((view.state, view.voted, view.electorate), ("closed", 2, 4));
    assert_eq!((view.quorum_reached, view.outcome), (true, Some("rejected")), "1 for, 1 against");
    let seat = view.seats.iter().find(|s| s.member == VOTERS[1]).unwrap();
    assert_eq!(seat.choice.as_deref(), Some("against"));
    app.shutdown();
}
