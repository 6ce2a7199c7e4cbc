//! The draft act's absentee vote on the voting engine (I385 §22–§25): the poll opens with
//! the heads OKDO named, its count reaches open pages over the live stream, it closes by
//! itself at its time (the server's job, with a clock the test moves), a ballot after that
//! is refused naming the closing time, and without quorum there is no outcome.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::wait_for;
use crate::drafts_world::{
    World, approve, create_draft, developer_signs, post_cms, world_with_clock,
};

/// Lines of `/api/v1/events` read by a thread.
pub(crate) fn event_stream(client: &Client) -> std::sync::mpsc::Receiver<String> {
    let cookie = client.cookie_header_value().unwrap();
    let base = client.base.clone();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut res =
            agent.get(format!("{base}/api/v1/events")).header("cookie", cookie).call().unwrap();
        use std::io::BufRead;
        let reader = std::io::BufReader::new(res.body_mut().as_reader());
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the stream opens");
    assert_eq!(first, "event: inbox");
    rx
}

/// Waits for an event line containing every part.
pub(crate) fn wait_for_event(rx: &std::sync::mpsc::Receiver<String>, parts: &[&str]) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(300))
            && parts.iter().all(|p| line.contains(p))
        {
            return line;
        }
    }
    panic!("no event with {parts:?} within 15 s");
}

fn for_decision(w: &World, title: &str) -> u64 {
    let draft = create_draft(w, title);
    let id = draft["id"].as_u64().unwrap();
    developer_signs(w, &draft);
    approve(w, id, "fin", "finhead");
    approve(w, id, "ecohead", "ecohead");
    approve(w, id, "jushead", "jushead");
    let (status, body) = w
        .client("okdo")
        .post_json(&format!("/api/v1/drafts/{id}/chancellery"), &json!({"accepted": true}));
    assert_eq!((status, body["stage"].as_str()), (200, Some("for_decision")), "{body}");
    id
}

fn vote(w: &World, head: &str, id: u64, choice: &str) -> (u16, Value) {
    let c = w.client(head);
    let ballot = c.get(&format!("/api/v1/drafts/{id}/ballot?choice={choice}"));
    assert_eq!(ballot.status, 200, "{}", ballot.body);
    post_cms(
        &c,
        &format!("/api/v1/drafts/{id}/ballot?choice={choice}"),
        w.sign(head, ballot.body.as_bytes()),
    )
}

#[test]
fn the_absentee_vote_counts_live_closes_by_itself_and_needs_its_quorum() {
    let w = world_with_clock("v");
    let id = for_decision(&w, "О порядке голосования");
    let okdo = w.client("okdo");
    // Only heads vote in an absentee vote (§23).
    let (status, body) =
        okdo.post_json(&format!("/api/v1/drafts/{id}/vote"), &json!({"heads": ["finhead", "fin"]}));
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_input")), "{body}");
    assert_eq!(body["detail"], "fin");
    let (status, body) = okdo.post_json(
        &format!("/api/v1/drafts/{id}/vote"),
        &json!({"heads": ["finhead", "ecohead", "jushead"]}),
    );
    assert_eq!((status, body["stage"].as_str()), (200, Some("voting")), "{body}");
    let poll = &body["poll"];
    assert_eq!(
        (poll["state"].as_str(), poll["secrecy"].as_str(), poll["signed"].as_bool()),
        (Some("open"), Some("named"), Some(true))
    );
    assert_eq!((poll["electorate"].as_u64(), poll["quorum_needed"].as_u64()), (Some(3), Some(2)));
    let poll_id = poll["id"].as_u64().unwrap();

    // The count reaches an open page of a head over the live stream.
    let eco = w.client("ecohead");
    let stream = event_stream(&eco);
    let (status, body) = vote(&w, "finhead", id, "for");
    assert_eq!(status, 200, "{body}");
    wait_for_event(&stream, &["poll", &format!("poll:{poll_id}")]);
    let (status, seen) = eco.get_json(&format!("/api/v1/polls/{poll_id}"));
    assert_eq!(status, 200, "{seen}");
    assert_eq!((seen["voted"].as_u64(), seen["tally"][0]["count"].as_u64()), (Some(1), Some(1)));
    assert_eq!(seen["me"]["may_vote"], true);
    let page = eco.get(&format!("/drafts/{id}"));
    assert!(page.body.contains(&format!("id=\"poll-{poll_id}\"")), "the draft page shows the poll");
    // Nobody votes twice.
    let (status, body) = vote(&w, "finhead", id, "against");
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");

    // Three days later the server closes the poll by itself; 1 of 3 is no quorum.
    let closes_at = seen["closes_at"].as_str().unwrap().to_owned();
    // A head prepares a signed ballot in time but sends it too late.
    let late_text = eco.get(&format!("/api/v1/drafts/{id}/ballot?choice=for")).body;
    let late_cms = w.sign("ecohead", late_text.as_bytes());
    let (status, watched) = okdo.get_json(&format!("/api/v1/polls/{poll_id}"));
    assert_eq!((status, watched["state"].as_str()), (200, Some("open")), "OKDO watches: {watched}");
    w.server.advance_clock("3 days");
    w.server.advance_clock("2m");
    // Sessions have expired meanwhile: sign in again.
    let okdo = w.client("okdo");
    let closed = wait_for("the job closes the poll", 20, || {
        let p = okdo.get_json(&format!("/api/v1/polls/{poll_id}")).1;
        (p["state"] == "closed" && p["closing"].is_object()).then_some(p)
    });
    assert_eq!(
        (closed["quorum_reached"].as_bool(), closed["outcome"].as_str()),
        (Some(false), None)
    );
    assert_eq!(closed["closing"]["early"], false);
    assert_eq!(closed["closing"]["at"].as_str().map(|t| t >= closes_at.as_str()), Some(true));
    let mail = w.smtp.wait_for_mail("okdo@ipgo.test", "Заочное голосование завершено");
    assert!(mail["body"].as_str().unwrap().contains("кворум не набран"), "{mail}");
    // A ballot now is refused, naming when voting closed.
    let eco = w.client("ecohead");
    let (status, body) =
        post_cms(&eco, &format!("/api/v1/drafts/{id}/ballot?choice=for"), late_cms);
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["detail"].as_str().unwrap().ends_with("(Astana)"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("завершено"), "{body}");
    let text = eco.get_json(&format!("/api/v1/polls/{poll_id}/ballot?choice=for"));
    assert_eq!((text.0, text.1["detail"].as_str()), (409, body["detail"].as_str()));
    // OKDO still sets the final status (§25).
    let (status, body) = okdo.post_json(
        &format!("/api/v1/drafts/{id}/decision"),
        &json!({"accepted": false, "reason": "Кворум заочного голосования не набран"}),
    );
    assert_eq!((status, body["stage"].as_str()), (200, Some("rejected")), "{body}");
    let entries = w.server.audit_entries();
    let closing = entries
        .iter()
        .find(|e| e["operation"] == "poll.close")
        .expect("the closing is in the access log");
    assert_eq!(closing["actor"], "system:polls");
    assert!(entries.iter().any(|e| e["operation"] == "draft.vote" && e["outcome"] == "ok"));
}
