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
use crate::drafts_vote::{event_stream, wait_for_event};
use crate::drafts_world::{World, post_cms, world_with_clock};

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

/// Switches the person's language (their profile, as the page's language switch does).
fn speak(c: &Client, lang: &str) {
    let csrf = c.csrf().unwrap();
    let res = c.post_form("/lang", &[("csrf", &csrf), ("lang", lang), ("next", "/")]);
    assert_eq!(res.status, 303, "{}", res.body);
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
    // The phase filter takes the phases it names, nothing else (issue 20 point 1: an unknown
    // phase was answered with an empty list, as if it were one).
    let (_, open) = fin.get_json("/api/v1/discussions?phase=open");
    assert_eq!(open["discussions"][0]["id"].as_u64(), Some(id), "{open}");
    let (status, e) = fin.get_json("/api/v1/discussions?phase=AAA");
    assert_eq!(
        (status, e["code"].as_str(), e["field"].as_str()),
        (400, Some("invalid_input"), Some("phase")),
        "{e}"
    );

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
    // (issue 21 point 1: the forms pattern — the same page, the message by the field.)
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.body.contains(&long) && res.body.contains("aria-invalid=\"true\""));
    assert!(res.body.contains("class=\"error-summary\"") && res.body.contains(" autofocus"));
    assert!(res.body.contains("id=\"f-comment-text-error\""), "the message by the field");

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

/// The engine's refusals through the real server (issue 11, "Bad input"): each with its
/// stable code and a message in the reader's language, nothing counted twice, every
/// forbidden step logged — a working group changed after the poll opened, the option list
/// changed after opening (allowed before), a second ballot, a ballot from outside the
/// electorate and one after closing, whose 409 names the closing time in Astana time.
#[test]
fn a_frozen_poll_refuses_late_changes_outsiders_second_and_late_ballots() {
    let w = world_with_clock("disc-frozen");
    let t0 = w.server.advance_clock("1s");
    let at = |hours: i64| (t0 + jiff::SignedDuration::from_hours(hours)).to_string();
    let head = w.client("devhead");
    let (status, group) = head.post_json(
        "/api/v1/groups",
        &json!({"name_kk": "Талқылау тобы", "name_ru": "Группа обсуждения",
                "members": ["finhead", "ecohead"]}),
    );
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_u64().unwrap();
    let res = post_parts(
        &head,
        "/api/v1/discussions",
        &[
            meta(&json!({"title": "Проект регламента", "text": TEXT,
                         "discussion": {"group": group, "ends_at": at(48)}})),
            file("Регламент.txt", "Мәтін".as_bytes().to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let d = res.json();
    let (id, poll) = (d["id"].as_u64().unwrap(), d["poll"]["id"].as_u64().unwrap());
    assert_eq!((d["phase"].as_str(), d["poll"]["electorate"].as_u64()), (Some("open"), Some(2)));

    // The group changes after the poll opened: the electorate stays as it was at opening.
    let (status, body) = head.put_json(
        &format!("/api/v1/groups/{group}/members"),
        &json!({"members": ["finhead", "jushead"]}),
    );
    assert_eq!(status, 200, "{body}");
    let jus = w.client("jushead");
    let ballot = |c: &Client, lang: &str, choice: &str| {
        speak(c, lang);
        c.post_json(&format!("/api/v1/polls/{poll}/ballot"), &json!({"choice": choice}))
    };
    // Someone who joined the group afterwards is not of the electorate and, not seeing the
    // poll, learns nothing of it (404, as for any hidden object); the initiator, who sees
    // the poll but is not of its electorate, is told why in their language.
    let (status, body) = ballot(&jus, "ru", "for");
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = ballot(&head, "ru", "for");
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Вас нет в списке участников"), "{body}");
    let (status, body) = ballot(&head, "kk", "for");
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("қатысушылар тізімінде жоқсыз"), "{body}");
    let eco = w.client("ecohead");
    let (status, body) = ballot(&eco, "ru", "against");
    assert_eq!(status, 200, "removed from the group after opening, still a voter: {body}");
    assert_eq!((body["voted"].as_u64(), body["electorate"].as_u64()), (Some(1), Some(2)));

    // A second ballot: refused in the reader's language, nothing counted twice.
    let (status, body) = ballot(&eco, "kk", "for");
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Сіз дауыс бердіңіз"), "{body}");
    let (status, body) = ballot(&eco, "ru", "for");
    assert!(body["message"].as_str().unwrap().contains("Вы уже проголосовали"), "{body}");
    assert_eq!(status, 409);
    let (_, live) = eco.get_json(&format!("/api/v1/polls/{poll}"));
    assert_eq!(live["voted"], 1, "{live}");
    let counts: Vec<u64> =
        live["tally"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, vec![0, 1], "for 0, against 1: {live}");

    // The option list (or anything of the vote) changed after opening: refused as frozen.
    let change = json!({"group": group, "ends_at": at(48), "options": ["А", "Б", "В"]});
    speak(&head, "ru");
    let (status, body) = head.put_json(&format!("/api/v1/discussions/{id}/settings"), &change);
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("варианты, правило"), "{body}");
    speak(&head, "kk");
    let (status, body) = head.put_json(&format!("/api/v1/discussions/{id}/settings"), &change);
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("нұсқаларды"), "{body}");
    // Only the initiator may change it at all (a member is refused, and logged).
    let fin = w.client("finhead");
    assert_eq!(fin.put_json(&format!("/api/v1/discussions/{id}/settings"), &change).0, 403);
    let (_, seen) = eco.get_json(&format!("/api/v1/polls/{poll}"));
    assert_eq!(seen["options"].as_array().unwrap().len(), 2, "options unchanged: {seen}");

    // Before opening the initiator may change the options; after the job opens it, not.
    let doc = d["document_id"].as_u64().unwrap();
    let (status, u) = head.post_json(
        "/api/v1/discussions",
        &json!({"document_id": doc, "members": ["finhead"], "starts_at": at(2), "ends_at": at(30)}),
    );
    assert_eq!(status, 201, "{u}");
    let (uid, upoll) = (u["id"].as_u64().unwrap(), u["poll"]["id"].as_u64().unwrap());
    let (status, changed) = head.put_json(
        &format!("/api/v1/discussions/{uid}/settings"),
        &json!({"members": ["finhead", "ecohead"], "starts_at": at(2), "ends_at": at(30),
                "options": ["Вариант 1", "Вариант 2", "Вариант 3"]}),
    );
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["poll"]["options"].as_array().unwrap().len(), changed["poll"]["state"].as_str()),
        (3, Some("scheduled"))
    );
    w.server.advance_clock("3h");
    // Sessions idle for hours have ended: sign in again.
    let (head, fin) = (w.client("devhead"), w.client("finhead"));
    wait_for("the job opens the changed poll", 20, || {
        (head.get_json(&format!("/api/v1/polls/{upoll}")).1["state"] == "open").then_some(())
    });
    let (_, opened) = head.get_json(&format!("/api/v1/polls/{upoll}"));
    assert_eq!(opened["electorate"], 2, "{opened}");
    let (status, body) = head.put_json(
        &format!("/api/v1/discussions/{uid}/settings"),
        &json!({"members": ["finhead"], "ends_at": at(30), "options": ["Один", "Два"]}),
    );
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");

    // After closing: the 409 names the closing time, in Astana time.
    let (status, closed) = head.post_json(
        &format!("/api/v1/discussions/{id}/close"),
        &json!({"reason": "Достаточно мнений"}),
    );
    assert_eq!(status, 200, "{closed}");
    let closed_at: jiff::Timestamp =
        closed["poll"]["closing"]["at"].as_str().unwrap().parse().unwrap();
    let local = closed_at
        .to_zoned(jiff::tz::TimeZone::get("Asia/Almaty").unwrap())
        .strftime("%d.%m.%Y %H:%M")
        .to_string();
    let (status, body) = ballot(&fin, "ru", "for");
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    assert_eq!(body["detail"].as_str(), Some(format!("{local} (Astana)").as_str()), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Голосование завершено"), "{body}");
    let (_, after) = fin.get_json(&format!("/api/v1/polls/{poll}"));
    assert_eq!(after["voted"], 1, "nothing counted after closing: {after}");

    // Every forbidden step is in the access log as refused.
    let entries = w.server.audit_entries();
    let refused = |op: &str| entries.iter().any(|e| e["operation"] == op && e["outcome"] != "ok");
    assert!(refused("poll.vote"), "the outsider's ballot is logged");
    assert!(refused("poll.ballot"), "the second and the late ballot are logged");
    assert!(refused("discussion.manage"), "the member's change is logged");
    assert!(refused("discussion.change"), "the frozen change is logged");
    assert!(entries.iter().any(|e| e["operation"] == "discussion.change" && e["outcome"] == "ok"));
}

/// `ipgo demo` seeds discussions in every phase (issue 11): two open (a named vote with
/// threaded comments and ballots, a secret vote on its own options whose count stays
/// hidden), one upcoming and one closed early with its result. Called by the demo test of
/// `cli.rs` on its demo server (one demo start for both).
pub(crate) fn the_demo_shows_discussions_in_every_phase(
    server: &crate::common::Server,
    logins: &[(String, String)],
) {
    let (_, otp) = logins.iter().find(|(l, _)| l == "fin.head").unwrap();
    let fin = server.client();
    fin.login("fin.head", otp);
    let (status, body) = fin.post_json(
        "/api/v1/me/password",
        &json!({"current_password": otp, "new_password": "Demo-Secret-2026"}),
    );
    assert_eq!(status, 200, "{body}");
    fin.set_csrf(body["csrf"].as_str());
    let (status, list) = fin.get_json("/api/v1/discussions");
    assert_eq!(status, 200, "{list}");
    let mut phases: Vec<&str> = list["discussions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["phase"].as_str().unwrap())
        .collect();
    phases.sort_unstable();
    assert_eq!(phases, ["closed", "open", "open", "upcoming"], "{list}");
    let polls: Vec<Value> = list["discussions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| fin.get_json(&format!("/api/v1/discussions/{}", d["id"])).1)
        .collect();
    let named = polls
        .iter()
        .find(|d| d["phase"] == "open" && d["poll"]["secrecy"] == "named")
        .expect("an open named vote");
    assert_eq!(named["poll"]["voted"], 2, "{named}");
    assert!(named["comments"].as_array().unwrap().iter().any(|c| c["depth"] == 1), "a thread");
    let secret = polls.iter().find(|d| d["poll"]["secrecy"] == "secret").unwrap();
    assert_eq!(
        (secret["poll"]["voted"].as_u64(), secret["poll"]["options"].as_array().unwrap().len()),
        (Some(2), 3)
    );
    let closed = polls.iter().find(|d| d["phase"] == "closed").unwrap();
    assert_eq!(
        (closed["poll"]["outcome"].as_str(), closed["closed"]["early"].as_bool()),
        (Some("accepted"), Some(true)),
        "{closed}"
    );
    let upcoming = polls.iter().find(|d| d["phase"] == "upcoming").unwrap();
    assert_eq!(upcoming["poll"]["state"], "scheduled", "{upcoming}");
    let page = fin.get(&format!("/discussions/{}", named["id"]));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-poll-count=\"for\">1<"), "the page shows the count");
}

/// The main path in headless Chromium with JavaScript switched off (issue 11), in Kazakh and
/// Russian at 1024×768: a member signs in through the form, opens the discussion, comments
/// quoting a paragraph, votes through the poll panel's form and sees the tally; screenshots
/// go to `target/screenshots/discussion-*.png`.
#[test]
fn a_member_comments_with_a_quote_and_votes_without_javascript_in_kk_and_ru() {
    use crate::common::browser::Browser;
    use crate::common::{PASSWORD, Server};
    let server = Server::start();
    server.add_agency("DEV");
    server.add_agency("FIN");
    server.add_user("dev", "DEV", &["employee"]);
    for lang in ["kk", "ru"] {
        let login = format!("fin.{lang}");
        server.add_user(&login, "FIN", &["employee"]);
        let (status, body) =
            server.signed_in(&login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
    }
    let ends = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
    let dev = server.signed_in("dev");
    let res = post_parts(
        &dev,
        "/api/v1/discussions",
        &[
            meta(&json!({"title": "Проект концепции", "text": TEXT,
                         "discussion": {"members": ["fin.kk", "fin.ru"], "ends_at": ends}})),
            file("Концепция.txt", "Мәтін".as_bytes().to_vec()),
        ],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_u64().unwrap();
    let shots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    let base = server.base_url();
    for (n, lang) in ["kk", "ru"].into_iter().enumerate() {
        let browser = Browser::start_with(&[
            "--blink-settings=scriptEnabled=false",
            "--window-size=1024,768",
        ]);
        browser.goto(&format!("{base}/login?lang={lang}"));
        browser.type_into("#login", &format!("fin.{lang}"));
        browser.type_into("#password", PASSWORD);
        browser.click("#sign-in");
        wait_for("signed in", 20, || (!browser.url().contains("/login")).then_some(()));
        browser.goto(&format!("{base}/discussions/{id}"));
        assert_eq!(browser.lang(), lang);
        browser.screenshot(&shots, &format!("discussion-{lang}-1-open"));
        browser.click("#comment-form select[name='paragraph'] option[value='2']");
        browser.type_into("#comment-form textarea[name='text']", &format!("Пікір {lang}"));
        browser.click("#comment-form button[type='submit']");
        wait_for("the comment shown", 20, || {
            browser.text().contains(&format!("Пікір {lang}")).then_some(())
        });
        assert!(browser.text().contains("2. Цель — единая защищённая среда."), "the quote");
        browser.click("form[action^='/polls/'] input[name='choice'][value='for']");
        browser.click("form[action^='/polls/'] button[type='submit']");
        let want = format!("data-poll-count=\"for\">{}<", n + 1);
        wait_for("the tally after the ballot", 20, || {
            let html = browser.script("return document.documentElement.outerHTML;");
            html.as_str().unwrap_or("").contains(&want).then_some(())
        });
        browser.screenshot(&shots, &format!("discussion-{lang}-2-voted"));
    }
    let (_, seen) = dev.get_json(&format!("/api/v1/discussions/{id}"));
    assert_eq!(
        (seen["poll"]["voted"].as_u64(), seen["comments"].as_array().unwrap().len()),
        (Some(2), 2)
    );
}

/// The list is paged newest first (`before`, `limit`), so a page costs the same however many
/// discussions there are: the soak found `/discussions` slowing down as it added 180 of them
/// (docs/benchmarks.md, "Soak"). Pager values that are not whole numbers are refused by the
/// API and read leniently by the page, whose links carry them.
#[test]
fn the_discussion_list_is_paged_newest_first() {
    let w = world_with_clock("disc-pages");
    let t0 = w.server.advance_clock("1s");
    let ends = (t0 + jiff::SignedDuration::from_hours(48)).to_string();
    let ids: Vec<u64> = (0..3)
        .map(|_| {
            create(&w, json!({"members": ["finhead", "ecohead"], "ends_at": ends}))["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let listed = |c: &Client, query: &str| -> Vec<u64> {
        let (status, body) = c.get_json(&format!("/api/v1/discussions{query}"));
        assert_eq!(status, 200, "{query}: {body}");
        body["discussions"].as_array().unwrap().iter().map(|d| d["id"].as_u64().unwrap()).collect()
    };
    let (dev, fin) = (w.client("dev"), w.client("finhead"));
    assert_eq!(listed(&dev, ""), vec![ids[2], ids[1], ids[0]]);
    assert_eq!(listed(&dev, "?limit=2"), vec![ids[2], ids[1]]);
    assert_eq!(listed(&fin, &format!("?limit=2&before={}", ids[1])), vec![ids[0]]);
    assert_eq!(listed(&fin, &format!("?before={}&phase=closed", ids[2])), Vec::<u64>::new());
    assert_eq!(listed(&w.client("stranger"), "?limit=500"), Vec::<u64>::new());
    for bad in ["?limit=two", "?before=-1"] {
        let (status, body) = dev.get_json(&format!("/api/v1/discussions{bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let page = dev.get(&format!("/discussions?before={}", ids[2]));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("/discussions/{}\"", ids[1])), "{}", page.body);
    assert!(!page.body.contains(&format!("/discussions/{}\"", ids[2])), "{}", page.body);
    assert_eq!(dev.get("/discussions?before=x").status, 200, "the page reads its links leniently");
}
