//! Secret ballots through the real server (I385 §52–§53): four members vote in two secret
//! polls — through the API and through the page's form, the same totals with different
//! people behind the choices and in another order — and both polls close. Then the server
//! stops and the test reads the whole installation: every table of the database (the
//! backup's table list, checked against the tables the file really holds), the access log
//! (the live table, and the export with its archives), the server's own output, and the
//! search index. Nothing links a voter to a choice: the ballots added rows only to the
//! register of who voted, the counters and the access log; the two polls' registers and
//! counters are the same row for row; no row anywhere names a voter beside a choice; the
//! ballots' log entries name the poll only; the search index did not change.

use std::collections::BTreeSet;

use ipgo::ops::backup::tables::TABLES;
use serde_json::{Value, json};

use crate::common::documents::{file, meta, post_parts};
use crate::common::installation::{Row, contains, read_database, read_index};
use crate::common::{Server, wait_for};

const VOTERS: [&str; 4] = ["saylau-alma", "saylau-bota", "saylau-dana", "saylau-erlan"];
const CHOICES: [&str; 3] = ["for", "against", "abstain"];

#[test]
fn secret_ballots_leave_no_voter_choice_link_in_any_table_the_access_log_or_the_index() {
    let mut server = Server::builder().controllable_clock().start();
    server.add_agency("SEC");
    server.add_user("initiator", "SEC", &["employee"]);
    let ids: Vec<u64> = VOTERS.iter().map(|v| server.add_user(v, "SEC", &["employee"])).collect();
    let t0 = server.advance_clock("1s");
    let ends = (t0 + jiff::SignedDuration::from_hours(3)).to_string();
    let dev = server.signed_in("initiator");
    let settings = json!({"members": VOTERS, "secret": true, "abstain": true, "ends_at": ends});
    let res = post_parts(
        &dev,
        "/api/v1/discussions",
        &[
            meta(&json!({"title": "Тайное голосование", "text": "1. Положение.",
                         "discussion": settings})),
            file("Положение.txt", "Мәтін".as_bytes().to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let first = res.json();
    let mut second_settings = settings.clone();
    second_settings["document_id"] = first["document_id"].clone();
    let (status, second) = dev.post_json("/api/v1/discussions", &second_settings);
    assert_eq!(status, 201, "{second}");
    let polls = [first["poll"]["id"].as_u64().unwrap(), second["poll"]["id"].as_u64().unwrap()];
    assert_eq!(first["poll"]["secrecy"], "secret");
    // The document is in the search index before anyone votes.
    wait_for("the document is indexed", 30, || {
        let (_, found) =
            dev.get_json("/api/v1/search?q=%D0%BF%D0%BE%D0%BB%D0%BE%D0%B6%D0%B5%D0%BD%D0%B8%D0%B5");
        found["hits"].as_array().is_some_and(|h| !h.is_empty()).then_some(())
    });

    // Everything as it stands before the ballots.
    server.stop();
    let (before, held) = read_database(&server);
    let index_before = read_index(&server);
    let registry: BTreeSet<String> = TABLES.iter().map(|t| t.name().to_owned()).collect();
    let missing: Vec<&String> = held.difference(&registry).collect();
    assert!(missing.is_empty(), "tables the secrecy check would not read: {missing:?}");
    for table in ["poll_voters", "poll_counts", "poll_ballots", "audit_log_blocks", "sessions"] {
        assert!(registry.contains(table), "{table} is read");
    }
    server.start_again();

    // The same totals (2 for, 1 against, 1 abstain), different people behind them; the
    // second poll in the opposite order, half of it through the page's form (no script).
    let one = ["for", "against", "for", "abstain"];
    let two = ["against", "for", "abstain", "for"];
    for (i, voter) in VOTERS.iter().enumerate() {
        let c = server.signed_in(voter);
        let (status, body) =
            c.post_json(&format!("/api/v1/polls/{}/ballot", polls[0]), &json!({"choice": one[i]}));
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["tally"].clone(), body["me"]["choice"].clone()),
            (Value::Null, Value::Null)
        );
    }
    for (i, voter) in VOTERS.iter().enumerate().rev() {
        let c = server.signed_in(voter);
        let path = format!("/polls/{}/ballot", polls[1]);
        if i % 2 == 0 {
            let csrf = c.csrf().unwrap();
            let res = c.post_form(&path, &[("csrf", &csrf), ("choice", two[i]), ("back", "/")]);
            assert_eq!(res.status, 303, "{}", res.body);
        } else {
            let (status, body) = c.post_json(&format!("/api/v1{path}"), &json!({"choice": two[i]}));
            assert_eq!(status, 200, "{body}");
        }
    }
    // A second ballot is refused and changes nothing.
    let again = server.signed_in(VOTERS[0]);
    let (status, body) = again
        .post_json(&format!("/api/v1/polls/{}/ballot", polls[0]), &json!({"choice": "against"}));
    assert_eq!(status, 409, "{body}");
    server.stop();
    let (voted, _) = read_database(&server);
    server.start_again();
    // Both close at their end (the server's job); the counts show then.
    server.advance_clock("4h");
    let dev = server.signed_in("initiator");
    for poll in polls {
        let closed = wait_for("the job closes the poll", 20, || {
            let (_, p) = dev.get_json(&format!("/api/v1/polls/{poll}"));
            (p["state"] == "closed").then_some(p)
        });
        let counts: Vec<(String, u64)> = closed["tally"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["key"].as_str().unwrap().to_owned(), t["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            counts,
            vec![("for".into(), 2), ("against".into(), 1), ("abstain".into(), 1)],
            "{closed}"
        );
        assert_eq!(closed["voted"], 4);
    }
    let exported = server.audit_entries();
    server.stop();
    let (after, held_after) = read_database(&server);
    assert!(held_after.is_subset(&registry), "every table is read: {held_after:?}");

    // 1. What the ballots added: only the register of voters, the counters, the access log
    //    (and its head in `meta`) and the voters' sign-in sessions.
    let added: Vec<&Row> = voted.iter().filter(|row| !before.contains(row)).collect();
    assert!(added.iter().any(|(t, _, _)| t == "poll_counts"), "the ballots were stored");
    for (table, key, value) in &added {
        let allowed = matches!(
            table.as_str(),
            "poll_voters" | "poll_counts" | "audit_log_blocks" | "audit_checkpoints" | "sessions"
        ) || (table == "meta" && key.contains("audit"));
        assert!(
            allowed,
            "a secret ballot wrote to {table} {key}: {}",
            String::from_utf8_lossy(value)
        );
    }
    assert!(
        !after.iter().any(|(t, k, _)| t == "poll_ballots"
            && polls.iter().any(|p| k.starts_with(&format!("({p}, ")))),
        "no ballot record of a secret poll"
    );
    // 2. The two polls' register and counters are the same row for row.
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
        assert!(!rows_of(table, polls[0]).is_empty(), "{table} holds the first poll");
        assert_eq!(
            rows_of(table, polls[0]),
            rows_of(table, polls[1]),
            "{table}: other people behind the choices, in another order, store the same"
        );
    }
    assert_eq!(rows_of("poll_voters", polls[0]).len(), 4);
    // 3. No row of any table names a voter (login, or id as a key part or a JSON value)
    //    beside a choice; the polls' own definitions (electorate and options) aside.
    let names_voter = |key: &str, value: &[u8]| {
        VOTERS.iter().any(|v| key.contains(v) || contains(value, v))
            || ids.iter().any(|id| {
                key.ends_with(&format!(", {id})"))
                    || [format!(":{id},"), format!(":{id}}}"), format!("[{id}]")]
                        .iter()
                        .any(|p| contains(value, p))
            })
    };
    let names_choice = |key: &str, value: &[u8]| {
        CHOICES
            .iter()
            .any(|c| key.contains(&format!("\"{c}\"")) || contains(value, &format!("\"{c}\"")))
    };
    for (table, key, value) in &after {
        if table == "polls" {
            continue;
        }
        assert!(
            !(names_voter(key, value) && names_choice(key, value)),
            "{table} {key} links a voter to a choice: {}",
            String::from_utf8_lossy(value)
        );
    }
    // 4. The access log — its table and the export with any archive — names the poll only.
    let ballots: Vec<Value> = after
        .iter()
        .filter(|(t, _, _)| t == "audit_log_blocks")
        .flat_map(|(_, _, v)| ipgo::audit::blocks::entry_jsons(v))
        .filter(|json| contains(json, "poll.ballot"))
        .map(|json| serde_json::from_slice(json).unwrap())
        .collect();
    let exported_ballots: Vec<&Value> =
        exported.iter().filter(|e| e["operation"] == "poll.ballot").collect();
    assert_eq!((ballots.len(), exported_ballots.len()), (9, 9), "8 ballots and the refused one");
    assert_eq!(exported_ballots.iter().filter(|e| e["status"] == 409).count(), 1);
    for entry in ballots.iter().chain(exported_ballots.iter().copied()) {
        // A counted ballot's entry names its poll, a refused one only the request.
        let detail = &entry["detail"];
        assert!(
            (entry["status"] == 200 || entry["status"] == 303)
                && detail == &json!({"poll": detail["poll"]})
                || entry["status"] == 409 && detail.is_null(),
            "{entry}"
        );
        let text = entry.to_string();
        assert!(CHOICES.iter().all(|c| !text.contains(&format!("\"{c}\""))), "{text}");
        assert!(!text.contains("choice"), "{text}");
    }
    for entry in &exported {
        let text = entry.to_string();
        assert!(!(text.contains("saylau-") && text.contains("\"against\"")), "{text}");
    }
    // 5. The server's own output says nothing of the choices.
    let output = format!("{}{}", server.stdout(), server.stderr());
    assert!(!output.contains("against") && !output.contains("abstain"), "{output}");
    // 6. The search index is as it was before the ballots.
    assert_eq!(read_index(&server), index_before, "the ballots changed the search index");
}
