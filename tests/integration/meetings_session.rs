//! A Government meeting from the members' answers to the signed minutes (I385 §42–§47, §21)
//! through the real server: attendance answers signed with `openssl cms` over the exact
//! answer text, a substitute told by mail and inbox, the attendance sheet and reminders,
//! refusals of bad input by field. Each scenario runs its own server because it moves the
//! clock to the meeting's start.

use serde_json::{Value, json};

use super::meetings::{World, ok, post_document, sign_agenda, sign_as, start_world};
use crate::common::client::Client;
use crate::common::documents::{Part, post_parts};
use crate::drafts::post_cms;

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
    let csrf = mne.csrf().unwrap();
    let res = post_parts(
        &mne,
        &format!("/meetings/{id}/act/answer?csrf={csrf}"),
        &[
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
