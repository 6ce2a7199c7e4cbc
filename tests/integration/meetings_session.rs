//! A Government meeting from the members' answers to the signed minutes (I385 §42–§47, §21)
//! through the real server: attendance answers signed with `openssl cms` over the exact
//! answer text, a substitute told by mail and inbox, the attendance sheet and reminders,
//! refusals of bad input by field. Each scenario runs its own server because it moves the
//! clock to the meeting's start.

use serde_json::{Value, json};

use super::meetings::{World, ok, post_document, sign_agenda, sign_as, start_world};
use crate::common::client::Client;
use crate::common::documents::{Part, post_parts};
use crate::common::wait_for;
use crate::drafts_world::{self as drafts, post_cms};
use crate::signatures::pki::person;

/// A meeting of mne.head, fin.head and kpm.head starting `hours` after the server's clock,
/// its one-question agenda signed and published; returns its id.
fn published_meeting(w: &World, okdo: &Client, title: &str, hours: i64) -> u64 {
    let now = w.server.advance_clock("0s");
    let starts = (now + jiff::SignedDuration::from_hours(hours)).to_string();
    let input = json!({"title": title, "starts_at": starts, "place": "Дом Правительства, зал 1",
        "members": ["mne.head", "fin.head", "kpm.head"], "invited": ["okdo.b"]});
    let id = ok(okdo.post_json("/api/v1/meetings", &input), 201)["id"].as_u64().unwrap();
    let doc = post_document(okdo, "Проект постановления", ("proekt.txt", b"proekt\n"));
    let agenda = json!({"questions": [{"title": "О проекте постановления", "materials": [doc]}]});
    ok(okdo.post_json(&format!("/api/v1/meetings/{id}/agenda"), &agenda), 200);
    ok(sign_agenda(okdo, "okdo.a", id), 200);
    id
}

fn query(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

/// The exact answer text the server gives `c` for these fields: (status, bytes).
fn answer_text(c: &Client, id: u64, fields: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let (status, _, body) =
        c.get_bytes(&format!("/api/v1/meetings/{id}/attendance/text?{}", query(fields)));
    (status, body)
}

/// Posts `cms` as the signed answer with these fields.
fn post_answer(c: &Client, id: u64, fields: &[(&str, &str)], cms: Vec<u8>) -> (u16, Value) {
    post_cms(c, &format!("/api/v1/meetings/{id}/attendance?{}", query(fields)), cms)
}

/// Gets the answer text, signs it as `login` and posts it.
fn answer(c: &Client, login: &str, id: u64, fields: &[(&str, &str)]) -> (u16, Value) {
    let (status, text) = answer_text(c, id, fields);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&text));
    post_answer(c, id, fields, sign_as(login, &text))
}

fn row<'a>(sheet: &'a Value, login: &str) -> &'a Value {
    sheet["rows"].as_array().unwrap().iter().find(|r| r["member"]["login"] == login).unwrap()
}

#[test]
fn i385_s42_s44_members_answer_with_a_signature_and_name_a_substitute() {
    let w = start_world();
    let s = &w.server;
    let okdo = s.signed_in("okdo.a");
    let mne = s.signed_in("mne.head");
    let fin = s.signed_in("fin.head");
    let deputy = s.signed_in("mne.deputy");
    let stranger = s.signed_in("stranger");

    // Before the agenda is published nobody answers.
    let now = s.advance_clock("0s");
    let starts = (now + jiff::SignedDuration::from_hours(30)).to_string();
    let early = json!({"title": "Без повестки", "starts_at": starts, "members": ["mne.head"]});
    let early = ok(okdo.post_json("/api/v1/meetings", &early), 201)["id"].as_u64().unwrap();
    let (status, body) = answer_text(&mne, early, &[("answer", "attend")]);
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));

    let id = published_meeting(&w, &okdo, "Заседание Правительства о цифровизации", 30);

    // The text names the meeting, the agenda version, the member and the exact answer.
    let (status, text) = answer_text(&mne, id, &[("answer", "attend")]);
    assert_eq!(status, 200);
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with(&format!("IPGO-MEETING-ATTENDANCE 1\nmeeting: {id}\n")), "{text}");
    assert!(text.contains("agenda-version: 1\nmember: mne.head\nanswer: attend\n"), "{text}");

    // Through the page's form (multipart, the fields beside the signature file).
    let page = mne.get(&format!("/meetings/{id}"));
    assert!(page.body.contains("name=\"answer\"") && page.body.contains("name=\"substitute\""));
    let part = |name: &'static str, value: &str| Part {
        name,
        file_name: None,
        content_type: "text/plain",
        bytes: value.as_bytes().to_vec(),
    };
    // As the page sends it: the token is the first part, never in the address.
    let res = post_parts(
        &mne,
        &format!("/meetings/{id}/act/answer"),
        &[
            part("csrf", &mne.csrf().unwrap()),
            part("answer", "attend"),
            Part {
                name: "signature",
                file_name: Some("answer.p7s"),
                content_type: "application/pkcs7-signature",
                bytes: sign_as("mne.head", text.as_bytes()),
            },
        ],
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let seen = ok(mne.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(seen["my_answer"], "attend", "{seen}");

    // Bad input, each refused by its field with a message that says what to do.
    let refusals: &[(&[(&str, &str)], &str)] = &[
        (&[("answer", "maybe")], "answer"),
        (&[("answer", "absent"), ("substitute", "mne.deputy")], "reason"),
        (&[("answer", "absent"), ("reason", "командировка")], "substitute"),
        (
            &[("answer", "absent"), ("reason", "командировка"), ("substitute", "kpm.head")],
            "substitute",
        ),
        (
            &[("answer", "absent"), ("reason", "командировка"), ("substitute", "nobody")],
            "substitute",
        ),
        (
            &[("answer", "absent"), ("reason", "командировка"), ("substitute", "fin.head")],
            "substitute",
        ),
    ];
    for (fields, field) in refusals {
        let (status, _, body) =
            fin.get_bytes(&format!("/api/v1/meetings/{id}/attendance/text?{}", query(fields)));
        let e: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, e["field"].as_str()), (400, Some(*field)), "{fields:?}: {e}");
        assert!(!e["message"].as_str().unwrap_or("").is_empty(), "{e}");
    }
    // In Kazakh and English too (the member's language).
    let kpm = s.signed_in("kpm.head");
    for (lang, words) in [("kk", "себебін"), ("en", "reason"), ("ru", "причину")] {
        ok(kpm.patch_json("/api/v1/me", &json!({"lang": lang})), 200);
        let (status, body) = answer_text(&kpm, id, &[("answer", "absent")]);
        let e: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 400);
        assert!(e["message"].as_str().unwrap().contains(words), "{lang}: {e}");
    }

    // A signature over another text, or by someone else's certificate, is refused; nothing
    // is recorded.
    let absent =
        [("answer", "absent"), ("reason", "Служебная командировка"), ("substitute", "mne.deputy")];
    let (_, text) = answer_text(&fin, id, &absent);
    let other = [("answer", "absent"), ("reason", "Отпуск"), ("substitute", "mne.deputy")];
    let wrong = post_answer(&fin, id, &other, sign_as("fin.head", &text));
    assert_eq!(
        (wrong.0, wrong.1["code"].as_str()),
        (422, Some("signature_rejected")),
        "{}",
        wrong.1
    );
    let foreign = post_answer(&fin, id, &absent, sign_as("mne.head", &text));
    assert_eq!(foreign.0, 422, "{}", foreign.1);
    let sheet = ok(okdo.get_json(&format!("/api/v1/meetings/{id}/attendance")), 200);
    assert_eq!(row(&sheet, "fin.head")["answer"], "not_answered");

    // fin.head will not attend: the substitute is told by mail and inbox, reads the meeting.
    ok(answer(&fin, "fin.head", id, &absent), 200);
    let mail = w.smtp.wait_for_mail("mne.deputy@ipgo.test", "Вы замещаете");
    assert!(mail["body"].as_str().unwrap().contains("Заседание Правительства о цифровизации"));
    let inbox = ok(deputy.get_json("/api/v1/inbox"), 200);
    assert!(inbox.to_string().contains(&format!("/meetings/{id}")), "{inbox}");
    ok(deputy.get_json(&format!("/api/v1/meetings/{id}")), 200);
    // Outsiders cannot answer; a non-member officer is forbidden.
    assert_eq!(answer_text(&stranger, id, &[("answer", "attend")]).0, 404);
    assert_eq!(answer_text(&s.signed_in("okdo.b"), id, &[("answer", "attend")]).0, 403);

    // The attendance sheet: every answer, reasons for the officer only.
    let sheet = ok(okdo.get_json(&format!("/api/v1/meetings/{id}/attendance")), 200);
    assert_eq!((sheet["attend"].as_u64(), sheet["absent"].as_u64()), (Some(1), Some(1)));
    assert_eq!(sheet["not_answered"], 1);
    let f = row(&sheet, "fin.head");
    assert_eq!(
        (f["answer"].as_str(), f["reason"].as_str()),
        (Some("absent"), Some("Служебная командировка"))
    );
    assert_eq!(
        (f["substitute"]["login"].as_str(), f["signature"].as_str()),
        (Some("mne.deputy"), Some("valid"))
    );
    assert_eq!(row(&sheet, "kpm.head")["answer"], "not_answered");
    ok(mne.get_json(&format!("/api/v1/meetings/{id}/attendance")), 403);
    let seen = ok(mne.get_json(&format!("/api/v1/meetings/{id}")), 200);
    let f = row(&seen["attendance"], "fin.head");
    assert!(f["reason"].is_null(), "another member's reason stays hidden: {f}");
    assert_eq!(f["substitute"]["login"], "mne.deputy");

    // Reminders go to those who have not answered, only.
    ok(mne.post_json(&format!("/api/v1/meetings/{id}/attendance/remind"), &json!({})), 403);
    let r =
        ok(okdo.post_json(&format!("/api/v1/meetings/{id}/attendance/remind"), &json!({})), 200);
    assert_eq!(r["reminded"], 1);
    w.smtp.wait_for_mail("kpm.head@ipgo.test", "Сообщите об участии");
    let reminded: Vec<String> = w
        .smtp
        .messages()
        .iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("Сообщите об участии"))
        .map(|m| m["to"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(reminded, vec!["kpm.head@ipgo.test".to_owned()], "{reminded:?}");
    let page = okdo.get(&format!("/meetings/{id}"));
    assert!(page.body.contains("Служебная командировка") && page.body.contains("Нет ответа"));

    // A later answer replaces the earlier one.
    ok(answer(&mne, "mne.head", id, &[("answer", "attend")]), 200);
    let sheet = ok(okdo.get_json(&format!("/api/v1/meetings/{id}/attendance")), 200);
    assert_eq!(sheet["rows"].as_array().unwrap().len(), 3);

    // Once the meeting has begun, answers and reminders are refused.
    s.advance_clock("31h");
    let (mne, okdo) = (s.signed_in("mne.head"), s.signed_in("okdo.a"));
    let (status, body) = answer_text(&mne, id, &[("answer", "attend")]);
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    ok(okdo.post_json(&format!("/api/v1/meetings/{id}/attendance/remind"), &json!({})), 409);

    // The access log names each step.
    let log = s.audit_entries();
    for op in ["meeting.answer", "meeting.remind", "meeting.attendance_sheet"] {
        assert!(log.iter().any(|e| e["operation"] == op && e["outcome"] == "ok"), "{op}");
    }
}

/// The ballot text for `choice` on `question`, signed by `login` and cast: (status, body).
fn vote(
    w: &drafts::World,
    c: &Client,
    login: &str,
    id: u64,
    question: u64,
    choice: &str,
) -> (u16, Value) {
    let path = format!("/api/v1/meetings/{id}/polls/{question}/ballot?choice={choice}");
    let (status, _, text) = c.get_bytes(&path);
    if status != 200 {
        return (status, serde_json::from_slice(&text).unwrap_or(Value::Null));
    }
    post_cms(c, &path, w.sign(login, &text))
}

#[test]
fn i385_s46_s47_s21_votes_on_resolutions_and_signed_minutes_move_the_draft_on() {
    // The drafts' world: a draft act brought to "for decision" the real way.
    let w = drafts::world_with_clock("meet");
    let s = &w.server;
    for login in ["okdo", "fin"] {
        let (cert, _) = person(&format!("meet-{login}"));
        s.cli(&["cert", "register", "--login", login, cert.to_str().unwrap()], None).ok();
    }
    let draft = drafts::create_draft(&w, "О цифровых услугах");
    let draft_id = draft["id"].as_u64().unwrap();
    drafts::developer_signs(&w, &draft);
    drafts::approve(&w, draft_id, "fin", "finhead");
    drafts::approve(&w, draft_id, "ecohead", "ecohead");
    drafts::approve(&w, draft_id, "jushead", "jushead");
    let okdo = w.client("okdo");
    let accepted = okdo
        .post_json(&format!("/api/v1/drafts/{draft_id}/chancellery"), &json!({"accepted": true}));
    assert_eq!(ok(accepted, 200)["stage"], "for_decision");

    // The meeting: four heads, a draft's question and another; majority and quorum.
    let now = s.advance_clock("0s");
    let starts = (now + jiff::SignedDuration::from_hours(2)).to_string();
    let mut input = json!({"title": "Заседание Правительства № 7", "starts_at": starts,
        "members": ["devhead", "finhead", "ecohead", "jushead"], "majority": "thirds"});
    let e = ok(okdo.post_json("/api/v1/meetings", &input), 400);
    assert_eq!(e["field"], "majority");
    input["majority"] = json!("simple");
    input["quorum_percent"] = json!(50);
    let id = ok(okdo.post_json("/api/v1/meetings", &input), 201)["id"].as_u64().unwrap();
    let agenda = json!({"questions": [
        {"title": "О проекте постановления о цифровых услугах", "draft": draft_id},
        {"title": "О ходе исполнения бюджета"},
    ]});
    ok(okdo.post_json(&format!("/api/v1/meetings/{id}/agenda"), &agenda), 200);
    let (_, _, manifest) = okdo.get_bytes(&format!("/api/v1/meetings/{id}/agenda/manifest"));
    let path = format!("/api/v1/meetings/{id}/agenda/signature");
    ok(post_cms(&okdo, &path, w.sign("okdo", &manifest)), 200);

    // finhead will not attend: fin votes in the seat, at this meeting only.
    let finhead = w.client("finhead");
    let fields = [("answer", "absent"), ("reason", "Болезнь"), ("substitute", "fin")];
    let (_, _, text) =
        finhead.get_bytes(&format!("/api/v1/meetings/{id}/attendance/text?{}", query(&fields)));
    ok(post_answer(&finhead, id, &fields, w.sign("finhead", &text)), 200);

    // No vote before the meeting begins.
    let open = json!({"question": 1, "resolution": "Одобрить проект постановления", "minutes": 30});
    let e = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls"), &open), 409);
    assert!(e["message"].as_str().unwrap().contains("не началось"), "{e}");
    s.advance_clock("2h");
    s.advance_clock("1m");
    let okdo = w.client("okdo");
    let (dev, eco, jus, fin, finhead, stranger) = (
        w.client("devhead"),
        w.client("ecohead"),
        w.client("jushead"),
        w.client("fin"),
        w.client("finhead"),
        w.client("stranger"),
    );

    // Bad openings, by field; only OKDO opens.
    ok(dev.post_json(&format!("/api/v1/meetings/{id}/polls"), &open), 403);
    let bad = json!({"question": 5, "resolution": "x"});
    assert_eq!(
        ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls"), &bad), 400)["field"],
        "question"
    );
    let bad = json!({"question": 1, "resolution": "  "});
    assert_eq!(
        ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls"), &bad), 400)["field"],
        "resolution"
    );
    let m = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls"), &open), 201);
    let poll = &m["polls"][0]["poll"];
    assert_eq!((poll["secrecy"].as_str(), poll["signed"].as_bool()), (Some("named"), Some(true)));
    assert_eq!(poll["electorate"], 4);
    ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls"), &open), 409);

    // The ballot names the meeting, the question and the resolution's hash.
    let (_, _, ballot) = dev.get_bytes(&format!("/api/v1/meetings/{id}/polls/1/ballot?choice=for"));
    let ballot = String::from_utf8(ballot).unwrap();
    assert!(
        ballot.contains(&format!("meeting: {id}\n")) && ballot.contains("question: 1\n"),
        "{ballot}"
    );
    assert!(ballot.contains("resolution-sha256: "), "{ballot}");

    // Members and the substitute vote; the absent member may not; a signature for the
    // other choice is refused; a stranger does not see the meeting.
    ok(vote(&w, &dev, "devhead", id, 1, "for"), 200);
    ok(vote(&w, &fin, "fin", id, 1, "for"), 200);
    let refused = vote(&w, &finhead, "finhead", id, 1, "for");
    assert_eq!(refused.0, 409, "{}", refused.1);
    let path = format!("/api/v1/meetings/{id}/polls/1/ballot?choice=for");
    let (_, _, against) =
        eco.get_bytes(&format!("/api/v1/meetings/{id}/polls/1/ballot?choice=against"));
    assert_eq!(post_cms(&eco, &path, w.sign("ecohead", &against)).0, 422);
    ok(vote(&w, &eco, "ecohead", id, 1, "against"), 200);
    assert_eq!(vote(&w, &stranger, "stranger", id, 1, "for").0, 404);
    ok(vote(&w, &dev, "devhead", id, 1, "for"), 409);

    // OKDO closes it: 2 for, 1 against, quorum 3 of 4 — accepted.
    ok(dev.post_json(&format!("/api/v1/meetings/{id}/polls/1/close"), &json!({})), 403);
    let m = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls/1/close"), &json!({})), 200);
    assert_eq!(m["polls"][0]["outcome"], "accepted", "{}", m["polls"]);

    // The second question's vote closes by the server's job at its time: no quorum.
    let open2 = json!({"question": 2, "resolution": "Принять к сведению", "minutes": 5});
    ok(okdo.post_json(&format!("/api/v1/meetings/{id}/polls"), &open2), 201);
    // jushead votes through the page's form (multipart: question, choice, signature).
    let page = jus.get(&format!("/meetings/{id}"));
    assert!(page.body.contains("Принять к сведению") && page.body.contains("name=\"choice\""));
    let (_, _, ballot) = jus.get_bytes(&format!("/api/v1/meetings/{id}/polls/2/ballot?choice=for"));
    let text = |name: &'static str, value: &str| Part {
        name,
        file_name: None,
        content_type: "text/plain",
        bytes: value.as_bytes().to_vec(),
    };
    let res = post_parts(
        &jus,
        &format!("/meetings/{id}/act/vote"),
        &[
            text("csrf", &jus.csrf().unwrap()),
            text("question", "2"),
            text("choice", "for"),
            Part {
                name: "signature",
                file_name: Some("ballot.p7s"),
                content_type: "application/pkcs7-signature",
                bytes: w.sign("jushead", &ballot),
            },
        ],
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let m = ok(jus.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(m["polls"][1]["poll"]["voted"], 1, "{}", m["polls"][1]);
    s.advance_clock("6m");
    let closed = wait_for("the job closes the second vote", 20, || {
        let m = ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200);
        m["polls"][1]["outcome"].as_str().map(str::to_owned)
    });
    assert_eq!(closed, "no_quorum");

    // The minutes: generated from the agenda, attendance and votes, posted, signed.
    let page = okdo.get(&format!("/meetings/{id}"));
    assert!(
        page.body.contains("name=\"text\"") && page.body.contains("Болезнь"),
        "the form holds the generated minutes"
    );
    assert!(page.body.contains("решение принято") && page.body.contains("нет кворума"));
    let (status, _, text) = okdo.get_bytes(&format!("/api/v1/meetings/{id}/minutes/draft"));
    assert_eq!(status, 200);
    let text = String::from_utf8(text).unwrap();
    for part in
        ["Болезнь", "Одобрить проект постановления", "вместо", "решение принято", "нет кворума"]
    {
        assert!(text.contains(part), "{part} in {text}");
    }
    ok(dev.post_json(&format!("/api/v1/meetings/{id}/minutes"), &json!({"text": text})), 403);
    let e =
        ok(okdo.post_json(&format!("/api/v1/meetings/{id}/minutes"), &json!({"text": " "})), 400);
    assert_eq!(e["field"], "text");
    let m =
        ok(okdo.post_json(&format!("/api/v1/meetings/{id}/minutes"), &json!({"text": text})), 201);
    let doc = m["minutes"]["document_id"].as_u64().unwrap();
    assert_eq!(m["minutes"]["signed"], false);
    ok(okdo.post_json(&format!("/api/v1/meetings/{id}/minutes"), &json!({"text": text})), 409);
    // Issue 12 item 5: posted, not yet signed, the printable minutes say so at the top.
    let print = okdo.get(&format!("/meetings/{id}/minutes/print"));
    assert_eq!(print.status, 200, "{}", print.body);
    assert!(print.body.contains("НЕ ПОДПИСАН"), "{}", print.body);
    let (_, _, manifest) = okdo.get_bytes(&format!("/api/v1/documents/{doc}/versions/1/manifest"));
    let path = format!("/api/v1/meetings/{id}/minutes/signature");
    assert_eq!(post_cms(&okdo, &path, w.sign("okdo", b"other")).0, 422);
    let view = ok(okdo.get_json(&format!("/api/v1/drafts/{draft_id}")), 200);
    assert!(view["minutes"].is_null(), "nothing moves before the signature: {view}");
    let m = ok(post_cms(&okdo, &path, w.sign("okdo", &manifest)), 200);
    assert_eq!(m["minutes"]["signed"], true);
    ok(post_cms(&okdo, &path, w.sign("okdo", &manifest)), 409);

    // Issue 12 item 5: the signed minutes as an A4 page, linked from the meeting page: the
    // text as posted, the attendance with the substitute (a table of the reporting layer),
    // the signature's standing and certificate; the shared print stylesheet sets A4 and
    // hides what must not print. Members read it; a stranger does not.
    let page = okdo.get(&format!("/meetings/{id}"));
    assert!(page.body.contains(&format!("href=\"/meetings/{id}/minutes/print\"")));
    let print = eco.get(&format!("/meetings/{id}/minutes/print"));
    assert_eq!(print.status, 200, "{}", print.body);
    let body = &print.body;
    assert!(!body.contains("НЕ ПОДПИСАН"), "signed now");
    for part in ["Одобрить проект постановления", "решение принято", "нет кворума"]
    {
        assert!(body.contains(part), "{part} in the printed minutes");
    }
    assert!(body.contains("class=\"list report\"") && body.contains("Лист участия"), "{body}");
    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200);
    let sub = row(&m["attendance"], "finhead")["substitute"]["name"].as_str().unwrap().to_owned();
    let tr = body.split("<tr>").find(|r| r.contains("Не буду участвовать")).expect("absent row");
    assert!(tr.contains(&format!("<td>{sub}</td>")), "the substitute {sub} in the row: {tr}");
    assert!(body.contains("Подпись: действительна") && body.contains("CN="), "{body}");
    assert!(body.contains("class=\"no-print\""));
    let css_href = body.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next();
    let (status, _, css) = eco.get_bytes(css_href.unwrap());
    assert_eq!(status, 200);
    let css = String::from_utf8(css).unwrap();
    assert!(css.contains("@page { size:A4") && css.contains(".no-print"), "A4 print rules");
    let denied = stranger.get(&format!("/meetings/{id}/minutes/print")).status;
    assert!(denied == 403 || denied == 404, "{denied}");

    // §21: the draft decided at the meeting received the minutes; its developer reads them,
    // OKDO may now set the final status; members are told.
    let view = ok(okdo.get_json(&format!("/api/v1/drafts/{draft_id}")), 200);
    assert_eq!(view["minutes"], doc, "{view}");
    ok(w.client("dev").get_json(&format!("/api/v1/documents/{doc}")), 200);
    w.smtp.wait_for_mail("ecohead@ipgo.test", "Подписан протокол");
    w.smtp.wait_for_mail("fin@ipgo.test", "Подписан протокол");
    let done =
        okdo.post_json(&format!("/api/v1/drafts/{draft_id}/decision"), &json!({"accepted": true}));
    assert_eq!(ok(done, 200)["stage"], "accepted");

    let log = s.audit_entries();
    for op in [
        "meeting.open_vote",
        "meeting.vote",
        "meeting.close_vote",
        "meeting.minutes",
        "meeting.sign_minutes",
        "meeting.minutes_print",
    ] {
        assert!(log.iter().any(|e| e["operation"] == op && e["outcome"] == "ok"), "{op}");
    }
}

#[test]
fn the_demo_shows_a_held_meeting_with_signed_minutes_and_an_upcoming_one_answered_in_part() {
    let server = crate::common::Server::builder().demo().start();
    let accounts = std::fs::read_to_string(server.data.join("demo-accounts.txt")).unwrap();
    let otp = accounts
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|c| c.len() == 4 && c[0] == "okdo.officer")
        .map(|c| c[3].to_owned())
        .unwrap();
    let okdo = server.client();
    okdo.login("okdo.officer", &otp);
    let body = ok(
        okdo.post_json(
            "/api/v1/me/password",
            &json!({"current_password": otp, "new_password": "Demo-Secret-2026"}),
        ),
        200,
    );
    okdo.set_csrf(body["csrf"].as_str());
    let list = ok(okdo.get_json("/api/v1/meetings"), 200);
    let meetings = list["meetings"].as_array().unwrap();
    let held = meetings.iter().find(|m| m["upcoming"] == false).expect("a held meeting");
    let upcoming = meetings.iter().find(|m| m["upcoming"] == true).expect("an upcoming one");

    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{}", held["id"])), 200);
    assert_eq!(m["agenda"]["signature"]["status"], "valid", "{m}");
    assert_eq!(m["polls"][0]["outcome"], "accepted", "{}", m["polls"]);
    assert_eq!(m["polls"][0]["poll"]["voted"], 3);
    assert_eq!(m["minutes"]["signed"], true, "{m}");
    let doc = m["minutes"]["document_id"].as_u64().unwrap();
    let minutes = ok(okdo.get_json(&format!("/api/v1/documents/{doc}")), 200);
    assert!(minutes.to_string().contains("проактивный формат"), "{minutes}");

    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{}", upcoming["id"])), 200);
    let sheet = &m["attendance"];
    assert_eq!(
        (sheet["attend"].as_u64(), sheet["absent"].as_u64(), sheet["not_answered"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{sheet}"
    );
    assert_eq!(row(sheet, "fin.head")["substitute"]["login"], "dev.employee");
    assert_eq!(row(sheet, "fin.head")["signature"], "valid");
    let page = okdo.get(&format!("/meetings/{}", upcoming["id"]));
    assert!(page.body.contains("Служебная командировка") && page.body.contains("Напомнить"));
    // Its first question carries a draft act at the stage "for decision" (§21) as a material.
    let q = &m["agenda"]["questions"][0];
    let draft = q["draft"].as_u64().expect("a draft act on the agenda");
    let d = ok(okdo.get_json(&format!("/api/v1/drafts/{draft}")), 200);
    assert_eq!(d["stage"], "for_decision", "{d}");
    let materials = q["materials"].as_array().unwrap();
    assert!(materials.iter().any(|x| x["document_id"] == d["document_id"]), "{q}");
    assert!(page.body.contains(&format!("href=\"/drafts/{draft}\"")));

    // The held meeting's signed minutes print.
    let print = okdo.get(&format!("/meetings/{}/minutes/print", held["id"]));
    assert_eq!(print.status, 200);
    assert!(print.body.contains("проактивный формат") && print.body.contains("действительна"));
}

/// The main path in headless Chromium, no script needed: the officer composes the agenda
/// and signs it by uploading a signature file; a member reads the text to sign through the
/// form's own button, then answers "will not attend" with a reason, a substitute and the
/// signature file; the officer sees the sheet; once the meeting begins a member's open page
/// follows the question the secretary moves to. Screenshots go to
/// `target/screenshots/meetings-*.png`.
#[test]
fn i385_s40_s45_the_main_path_in_chromium() {
    use crate::common::browser::Browser;
    let w = start_world();
    let s = &w.server;
    let shots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    let browser = Browser::start();
    let base = s.base_url();
    let sign_in = |login: &str| {
        browser.goto(&format!("{base}/login?lang=ru"));
        if browser.url() != format!("{base}/login?lang=ru") {
            browser.click("form[action='/logout'] button");
            wait_for("the sign-in page", 20, || browser.url().contains("/login").then_some(()));
            browser.goto(&format!("{base}/login?lang=ru"));
        }
        browser.type_into("#login", login);
        browser.type_into("#password", crate::common::PASSWORD);
        browser.click("#sign-in");
        wait_for("signed in", 20, || (!browser.url().contains("/login")).then_some(()));
    };
    let okdo = s.signed_in("okdo.a");
    let now = s.advance_clock("0s");
    let starts = (now + jiff::SignedDuration::from_hours(48)).to_string();
    let input = json!({"title": "Заседание (браузер)", "starts_at": starts,
        "members": ["mne.head", "fin.head"]});
    let id = ok(okdo.post_json("/api/v1/meetings", &input), 201)["id"].as_u64().unwrap();
    let file = |name: &str, bytes: Vec<u8>| {
        let path = std::env::temp_dir().join(format!("ipgo-meeting-{id}-{name}.p7s"));
        std::fs::write(&path, bytes).unwrap();
        path
    };

    sign_in("okdo.a");
    browser.goto(&format!("{base}/meetings/{id}"));
    browser.type_into("textarea[name='questions']", "О цифровизации государственных услуг\nРазное");
    browser.click("form[action$='/act/agenda'] button[type='submit']");
    wait_for("the composed agenda", 30, || {
        browser.text().contains("О цифровизации государственных услуг").then_some(())
    });
    let manifest = super::meetings::manifest_bytes(&okdo, id);
    let p = file("agenda", sign_as("okdo.a", &manifest));
    browser.type_into("form[action*='/act/sign'] input[name='signature']", p.to_str().unwrap());
    browser.screenshot(&shots, "meetings-1-agenda");
    browser.click("form[action*='/act/sign'] button[type='submit']");
    wait_for("the signed agenda", 30, || {
        browser.text().contains("подпись действительна").then_some(())
    });

    sign_in("fin.head");
    browser.goto(&format!("{base}/meetings/{id}"));
    browser.click("input[name='answer'][value='absent']");
    browser.type_into("textarea[name='reason']", "Служебная командировка");
    browser.type_into("input[name='substitute']", "mne.deputy");
    // The form's own button shows the exact text to sign (no script involved; a POST, so
    // the form's CSRF field never lands in an address).
    browser.click("#attendance button[formaction$='/act/answer_text']");
    let text = wait_for("the answer text", 30, || {
        let t = browser.text();
        t.contains("IPGO-MEETING-ATTENDANCE 1").then_some(t)
    });
    assert!(text.contains("answer: absent") && text.contains("substitute: mne.deputy"), "{text}");
    let fields =
        [("answer", "absent"), ("reason", "Служебная командировка"), ("substitute", "mne.deputy")];
    let fin = s.signed_in("fin.head");
    let (_, bytes) = answer_text(&fin, id, &fields);
    let p = file("answer", sign_as("fin.head", &bytes));
    browser.goto(&format!("{base}/meetings/{id}"));
    browser.click("input[name='answer'][value='absent']");
    browser.type_into("textarea[name='reason']", "Служебная командировка");
    browser.type_into("input[name='substitute']", "mne.deputy");
    browser.type_into("form[action*='/act/answer'] input[name='signature']", p.to_str().unwrap());
    browser.screenshot(&shots, "meetings-2-answer");
    browser.click("form[action$='/act/answer'] button:not([formaction])");
    wait_for("the answer recorded", 30, || {
        browser.text().contains("Ваш ответ: Не буду участвовать").then_some(())
    });
    w.smtp.wait_for_mail("mne.deputy@ipgo.test", "Вы замещаете");

    sign_in("okdo.a");
    browser.goto(&format!("{base}/meetings/{id}"));
    let page = browser.text();
    assert!(page.contains("Служебная командировка") && page.contains("Нет ответа"), "{page}");
    browser.screenshot(&shots, "meetings-3-sheet");

    // §45: the meeting begins; mne.head's open page follows the current question.
    let e = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/current"), &json!({"item": 1})), 409);
    assert_eq!(e["code"], "conflict", "not before the start: {e}");
    s.advance_clock("49h");
    let okdo = s.signed_in("okdo.a");
    sign_in("mne.head");
    browser.goto(&format!("{base}/meetings/{id}"));
    assert!(!browser.text().contains("Обсуждается"), "{}", browser.text());
    let bad = okdo.post_json(&format!("/api/v1/meetings/{id}/current"), &json!({"item": 3}));
    assert_eq!(ok(bad, 400)["field"], "question");
    ok(
        s.signed_in("mne.head")
            .post_json(&format!("/api/v1/meetings/{id}/current"), &json!({"item": 2})),
        403,
    );
    let m = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/current"), &json!({"item": 2})), 200);
    assert_eq!(m["current_item"], 2);
    wait_for("the page follows the current question", 30, || {
        browser.text().contains("Обсуждается Разное").then_some(())
    });
    browser.screenshot(&shots, "meetings-4-live");
}
