//! Discussion and real-time voting on a document (I385 §7.6, §52–§54) end to end through the
//! real server: a document posted for discussion with a named poll signed by three heads
//! (`openssl cms`), threaded comments quoting a paragraph, the live count over the event
//! stream, forbidden steps refused and logged, early close by the initiator with its
//! result; a secret poll on an existing document whose count stays hidden, the reminder a
//! day before the end and the closing by the server's job on a clock the test moves, with
//! no outcome when the quorum is not reached; an upcoming discussion that opens by itself;
//! and a ballot cast from the page's form without JavaScript.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::documents::{file, meta, post_parts};
use crate::common::wait_for;
use crate::drafts::{World, post_cms, world_with_clock};
use crate::drafts_vote::{event_stream, wait_for_event};

const TEXT: &str =
    "1. Общие положения.\n\n2. Цель — единая защищённая среда.\n\n3. Ожидаемые результаты.";

fn create(w: &World, settings: Value) -> Value {
    let dev = w.client("dev");
    let res = post_parts(
        &dev,
        "/api/v1/discussions",
        &[
            meta(&json!({"title": "Проект концепции", "text": TEXT, "discussion": settings})),
            file("Концепция.txt", "Мәтін".as_bytes().to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()
}

fn signed_ballot(w: &World, head: &str, poll: u64, choice: &str) -> (u16, Value) {
    let c = w.client(head);
    let text = c.get(&format!("/api/v1/polls/{poll}/ballot?choice={choice}"));
    assert_eq!(text.status, 200, "{}", text.body);
    post_cms(
        &c,
        &format!("/api/v1/polls/{poll}/ballot?choice={choice}"),
        w.sign(head, text.body.as_bytes()),
    )
}

fn comment(c: &Client, id: u64, body: Value) -> (u16, Value) {
    c.post_json(&format!("/api/v1/discussions/{id}/comments"), &body)
}

#[test]
fn discussions_vote_in_real_time_close_early_or_on_time_and_seal() {
    let w = world_with_clock("disc");
    // Times from the server's clock (the test PKI's CRLs are current for a few days).
    let t0 = w.server.advance_clock("1s");
    let at = |hours: i64| (t0 + jiff::SignedDuration::from_hours(hours)).to_string();
    let heads = ["finhead", "ecohead", "jushead"];

    // --- A named poll signed by three heads, closed early by the initiator (§52–§54).
    let d = create(
        &w,
        json!({"members": heads, "ends_at": at(48), "signed": true, "quorum_percent": 60}),
    );
    let id = d["id"].as_u64().unwrap();
    let poll = d["poll"]["id"].as_u64().unwrap();
    assert_eq!(d["phase"], "open");
    assert_eq!(
        (d["poll"]["state"].as_str(), d["poll"]["secrecy"].as_str(), d["poll"]["signed"].as_bool()),
        (Some("open"), Some("named"), Some(true))
    );
    assert_eq!(d["poll"]["electorate"], 3);
    assert_eq!(d["paragraphs"].as_array().unwrap().len(), 3);
    w.smtp.wait_for_mail("finhead@ipgo.test", "Открыто обсуждение");
    // Members read the document and its files; someone outside is refused, and logged.
    let fin = w.client("finhead");
    let (status, seen) = fin.get_json(&format!("/api/v1/discussions/{id}"));
    assert_eq!(status, 200, "{seen}");
    let file_id = seen["files"][0]["id"].as_u64().unwrap();
    let (status, _, bytes) = fin.get_bytes(&format!("/discussions/{id}/files/{file_id}"));
    assert_eq!((status, bytes.as_slice()), (200, "Мәтін".as_bytes()));
    let stranger = w.client("stranger");
    // Someone who may not see it learns nothing of it (404, as for any hidden object).
    assert_eq!(stranger.get_json(&format!("/api/v1/discussions/{id}")).0, 404);
    assert_eq!(comment(&stranger, id, json!({"text": "Мнение"})).0, 404);
    let (_, mine) = stranger.get_json("/api/v1/discussions");
    assert_eq!(mine["discussions"].as_array().unwrap().len(), 0, "{mine}");

    // Comments in a thread, one quoting the paragraph it answers.
    let (status, first) =
        comment(&fin, id, json!({"text": "Уточнить показатель.", "paragraph": 3}));
    assert_eq!(status, 201, "{first}");
    let eco = w.client("ecohead");
    let reply = json!({"text": "Согласны.", "reply_to": first["id"]});
    assert_eq!(comment(&eco, id, reply).0, 201);
    let (status, bad) = comment(&eco, id, json!({"text": "?", "paragraph": 9}));
    assert_eq!((status, bad["field"].as_str()), (400, Some("paragraph")), "{bad}");
    let (status, bad) = comment(&eco, id, json!({"text": "  "}));
    assert_eq!((status, bad["field"].as_str()), (400, Some("text")), "{bad}");
    let seen = eco.get_json(&format!("/api/v1/discussions/{id}")).1;
    let comments = seen["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(
        (comments[0]["quote"].as_str(), comments[0]["paragraph"].as_u64()),
        (Some("3. Ожидаемые результаты."), Some(3))
    );
    assert_eq!(
        (comments[1]["depth"].as_u64(), comments[1]["reply_to"].clone()),
        (Some(1), first["id"].clone())
    );

    // Signed ballots; the count reaches an open page of another member live.
    let stream = event_stream(&eco);
    let (status, body) = signed_ballot(&w, "finhead", poll, "for");
    assert_eq!(status, 200, "{body}");
    wait_for_event(&stream, &["poll", &format!("poll:{poll}")]);
    let (_, live) = eco.get_json(&format!("/api/v1/polls/{poll}"));
    assert_eq!((live["voted"].as_u64(), live["tally"][0]["count"].as_u64()), (Some(1), Some(1)));
    // Nobody votes twice; a signature over another ballot's text is refused; the initiator
    // is not in the electorate.
    assert_eq!(signed_ballot(&w, "finhead", poll, "against").0, 409);
    let other = fin.get(&format!("/api/v1/polls/{poll}/ballot?choice=against")).body;
    let (status, body) = post_cms(
        &eco,
        &format!("/api/v1/polls/{poll}/ballot?choice=for"),
        w.sign("ecohead", other.as_bytes()),
    );
    assert_eq!((status, body["code"].as_str()), (422, Some("signature_rejected")), "{body}");
    let dev = w.client("dev");
    let (status, body) =
        dev.post_json(&format!("/api/v1/polls/{poll}/ballot"), &json!({"choice": "for"}));
    assert_eq!(status, 403, "{body}");
    assert_eq!(signed_ballot(&w, "ecohead", poll, "against").0, 200);
    assert_eq!(signed_ballot(&w, "jushead", poll, "for").0, 200);
    // Only the initiator closes early, and says why (§54).
    assert_eq!(
        fin.post_json(&format!("/api/v1/discussions/{id}/close"), &json!({"reason": "x"})).0,
        403
    );
    let (status, bad) =
        dev.post_json(&format!("/api/v1/discussions/{id}/close"), &json!({"reason": " "}));
    assert_eq!((status, bad["field"].as_str()), (400, Some("reason")), "{bad}");
    let (status, closed) = dev.post_json(
        &format!("/api/v1/discussions/{id}/close"),
        &json!({"reason": "Все члены группы проголосовали"}),
    );
    assert_eq!(status, 200, "{closed}");
    assert_eq!(
        (closed["phase"].as_str(), closed["poll"]["state"].as_str()),
        (Some("closed"), Some("closed"))
    );
    assert_eq!(
        (closed["poll"]["outcome"].as_str(), closed["poll"]["quorum_reached"].as_bool()),
        (Some("accepted"), Some(true))
    );
    assert_eq!(closed["closed"]["early"], true);
    assert_eq!(
        closed["poll"]["seats"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["signature"] == "valid")
            .count(),
        3
    );
    // Sealed: no comment, no ballot after closing.
    let (status, body) = comment(&fin, id, json!({"text": "Поздно"}));
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    w.smtp.wait_for_mail("jushead@ipgo.test", "Обсуждение завершено");

    // --- A secret poll on the existing document: hidden count, reminder, closing by the job.
    let doc = d["document_id"].as_u64().unwrap();
    let (status, s) = dev.post_json(
        "/api/v1/discussions",
        &json!({"document_id": doc, "members": heads, "secret": true, "quorum_percent": 100,
                "ends_at": at(25)}),
    );
    assert_eq!(status, 201, "{s}");
    let (sid, spoll) = (s["id"].as_u64().unwrap(), s["poll"]["id"].as_u64().unwrap());
    assert_eq!(
        (s["poll"]["secrecy"].as_str(), s["poll"]["tally"].clone()),
        (Some("secret"), Value::Null)
    );
    let (status, body) =
        fin.post_json(&format!("/api/v1/polls/{spoll}/ballot"), &json!({"choice": "for"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["voted"].as_u64(), body["tally"].clone(), body["me"]["choice"].clone()),
        (Some(1), Value::Null, Value::Null)
    );
    // A day before the end, members are reminded (the job, on the moved clock).
    w.server.advance_clock("2h");
    w.smtp.wait_for_mail("ecohead@ipgo.test", "завершается в течение суток");
    w.server.advance_clock("1 day");
    let fin = w.client("finhead");
    let closed = wait_for("the job closes the secret poll", 20, || {
        let p = fin.get_json(&format!("/api/v1/discussions/{sid}")).1;
        (p["phase"] == "closed" && p["poll"]["state"] == "closed").then_some(p)
    });
    assert_eq!(
        (closed["poll"]["quorum_reached"].as_bool(), closed["poll"]["outcome"].clone()),
        (Some(false), Value::Null)
    );
    assert_eq!(closed["poll"]["tally"][0]["count"], 1, "the count shows once closed: {closed}");
    assert_eq!(closed["closed"]["early"], false);
    let eco = w.client("ecohead");
    let (status, body) =
        eco.post_json(&format!("/api/v1/polls/{spoll}/ballot"), &json!({"choice": "for"}));
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().ends_with("(Astana)"), "{body}");

    // --- An upcoming discussion opens by itself; a ballot from the page's form (no script).
    let dev = w.client("dev");
    let (status, u) = dev.post_json(
        "/api/v1/discussions",
        &json!({"document_id": doc, "members": ["finhead"], "abstain": true,
                "starts_at": at(27), "ends_at": at(40)}),
    );
    assert_eq!(status, 201, "{u}");
    let (uid, upoll) = (u["id"].as_u64().unwrap(), u["poll"]["id"].as_u64().unwrap());
    assert_eq!(
        (u["phase"].as_str(), u["poll"]["state"].as_str()),
        (Some("upcoming"), Some("scheduled"))
    );
    let fin = w.client("finhead");
    let (status, body) = comment(&fin, uid, json!({"text": "Рано"}));
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    w.server.advance_clock("61m");
    let fin = w.client("finhead");
    wait_for("the job opens the poll", 20, || {
        (fin.get_json(&format!("/api/v1/polls/{upoll}")).1["state"] == "open").then_some(())
    });
    let page = fin.get(&format!("/discussions/{uid}"));
    assert!(
        page.body.contains(&format!("action=\"/polls/{upoll}/ballot")),
        "the page has the ballot form"
    );
    let csrf = fin.csrf().unwrap();
    let res = fin.post_form(
        &format!("/polls/{upoll}/ballot"),
        &[("csrf", &csrf), ("choice", "abstain"), ("back", &format!("/discussions/{uid}"))],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let page = fin.get(&format!("/discussions/{uid}"));
    assert!(page.body.contains("data-poll-count=\"abstain\">1<"), "the page shows the count");
    // A refused comment form keeps what was typed, with the message.
    let long = "ж".repeat(10_001);
    let res =
        fin.post_form(&format!("/discussions/{uid}/comments"), &[("csrf", &csrf), ("text", &long)]);
    assert_eq!(res.status, 422);
    assert!(res.body.contains(&long) && res.body.contains("aria-invalid=\"true\""));

    let entries = w.server.audit_entries();
    for op in [
        "discussion.create",
        "discussion.comment",
        "discussion.close",
        "poll.ballot",
        "poll.close",
        "poll.open",
        "discussion.remind",
    ] {
        assert!(
            entries.iter().any(|e| e["operation"] == op && e["outcome"] == "ok"),
            "{op} logged"
        );
    }
    assert!(
        entries.iter().any(|e| e["operation"] == "discussion.read" && e["outcome"] != "ok"),
        "a refused read is logged"
    );
}
