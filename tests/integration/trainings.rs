//! Training end to end (I617 §19) through the real server on a clock the test controls: an
//! agency's HR officer asks for named employees to be trained; the support administrator
//! schedules a session (capacity, place or link) and the trainees are invited by mail; the
//! attendance is recorded only once the session has started; a second session takes those
//! not invited or absent, and the request is completed when everyone's attendance is in;
//! the agency and the trainees follow the status; a decline tells its reason; bad input is
//! refused on its field with a translated message; forbidden steps 403 and logged.

use serde_json::{Value, json};

use crate::common::smtp::Smtp;
use crate::common::{Server, entries_for, ftl};

fn id(v: &Value) -> u64 {
    v["id"].as_u64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn trainee_status(t: &Value, login: &str) -> String {
    let found = t["trainees"].as_array().unwrap().iter().find(|p| p["login"] == login);
    found.unwrap_or_else(|| panic!("{login} in {t}"))["status"].as_str().unwrap().to_owned()
}

#[test]
fn i617_s19_training_is_requested_scheduled_attended_and_followed_by_the_agency() {
    let smtp = Smtp::start();
    let server = Server::builder().controllable_clock().mail_to(smtp.port).start();
    server.set_clock("2027-01-11T09:00:00+05:00");
    server.add_agency("MIN");
    server.add_agency("AKM");
    for (login, agency, role) in [
        ("kadry", "MIN", "hr_officer"),
        ("boss", "MIN", "head"),
        ("clerk", "MIN", "employee"),
        ("aliya", "MIN", "employee"),
        ("bolat", "MIN", "employee"),
        ("dana", "MIN", "employee"),
        ("stranger", "AKM", "employee"),
        ("support", "AKM", "support_admin"),
    ] {
        server.add_user_with_email(login, agency, &[role]);
    }
    let (kadry, support) = (server.signed_in("kadry"), server.signed_in("support"));

    // Asked by the agency's officer for its own employees only.
    let ask = json!({"topic": "Подписание документов ЭЦП", "trainees": ["aliya, bolat\ndana"],
                     "preferred": "середина января"});
    assert_eq!(server.signed_in("clerk").post_json("/api/v1/trainings", &ask).0, 403);
    let (status, e) = kadry.post_json(
        "/api/v1/trainings",
        &json!({"topic": "ЭЦП", "trainees": ["aliya", "stranger"]}),
    );
    assert_eq!(
        (status, e["field"].as_str(), e["detail"].as_str()),
        (400, Some("trainees"), Some("stranger")),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains(&ftl("ru", "training-trainee-unknown")), "{e}");
    let (status, t) = kadry.post_json("/api/v1/trainings", &ask);
    assert_eq!((status, t["status"].as_str()), (201, Some("requested")), "{t}");
    assert_eq!(t["trainees"].as_array().unwrap().len(), 3);
    let training = id(&t);
    smtp.wait_for_mail("support@ipgo.test", "Подписание документов ЭЦП");

    // Read by the agency's officers, the trainees named and support; unseen by others.
    let path = format!("/api/v1/trainings/{training}");
    assert_eq!(server.signed_in("boss").get_json(&path).0, 200);
    assert_eq!(server.signed_in("aliya").get_json(&path).0, 200);
    assert_eq!(server.signed_in("stranger").get_json(&path).0, 404);

    // Scheduled by support only; bad sessions refused on their field.
    let sessions = format!("{path}/sessions");
    let session = |starts: &str, place: &str, capacity: u32, invite: &[&str]| json!({"starts": starts, "place": place, "capacity": capacity, "invite": invite});
    assert_eq!(kadry.post_json(&sessions, &session("2027-01-14T10:00", "каб. 214", 2, &[])).0, 403);
    for (body, field) in [
        (session("2027-01-10T10:00", "каб. 214", 2, &[]), "starts"),
        (session("2027-01-14T10:00", "", 2, &[]), "place"),
        (session("2027-01-14T10:00", "каб. 214", 0, &[]), "capacity"),
        (session("2027-01-14T10:00", "каб. 214", 2, &["aliya", "bolat", "dana"]), "invite"),
        (session("2027-01-14T10:00", "каб. 214", 2, &["boss"]), "invite"),
    ] {
        let (status, e) = support.post_json(&sessions, &body);
        assert_eq!((status, e["field"].as_str()), (400, Some(field)), "{body}: {e}");
    }
    let (status, t) =
        support.post_json(&sessions, &session("2027-01-14T10:00", "Акимат, каб. 214", 2, &[]));
    assert_eq!((status, t["status"].as_str()), (200, Some("scheduled")), "{t}");
    assert_eq!(
        (trainee_status(&t, "aliya"), trainee_status(&t, "bolat"), trainee_status(&t, "dana")),
        ("invited".into(), "invited".into(), "waiting".into()),
        "the first two, as many as the seats"
    );
    let mail = smtp.wait_for_mail("aliya@ipgo.test", "Приглашение");
    assert!(mail["body"].as_str().unwrap().contains("каб. 214"), "{mail}");
    smtp.wait_for_mail("kadry@ipgo.test", "занятие");

    // Attendance only once the session has started.
    let attendance = |no: u32| format!("{path}/sessions/{no}/attendance");
    let (status, e) = support.post_json(&attendance(1), &json!({"present": ["aliya"]}));
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "{e}");
    server.set_clock("2027-01-14T11:40:00+05:00");
    let support = server.signed_in("support");
    let (status, e) = support.post_json(&attendance(1), &json!({"present": ["dana"]}));
    assert_eq!((status, e["field"].as_str()), (400, Some("present")), "not invited: {e}");
    let (status, t) = support.post_json(&attendance(1), &json!({"present": ["aliya"]}));
    assert_eq!(
        (status, t["status"].as_str()),
        (200, Some("scheduled")),
        "dana is still to come: {t}"
    );
    assert_eq!(
        (trainee_status(&t, "aliya"), trainee_status(&t, "bolat")),
        ("attended".into(), "absent".into())
    );
    smtp.wait_for_mail("kadry@ipgo.test", "присутствие");

    // A second session, online, for the absent and the one not invited yet; completed when
    // its attendance is in.
    let (status, t) = support.post_json(
        &sessions,
        &json!({"starts": "2027-01-21T10:00", "link": "https://vks.gov.kz/room/17",
                "capacity": 5, "invite": ["bolat", "dana"]}),
    );
    assert_eq!(status, 200, "{t}");
    smtp.wait_for_mail("dana@ipgo.test", "Приглашение");
    server.set_clock("2027-01-21T12:00:00+05:00");
    let (kadry, support) = (server.signed_in("kadry"), server.signed_in("support"));
    let (status, t) = support.post_json(&attendance(2), &json!({"present": ["bolat", "dana"]}));
    assert_eq!((status, t["status"].as_str()), (200, Some("completed")), "{t}");
    for login in ["aliya", "bolat", "dana"] {
        assert_eq!(trainee_status(&t, login), "attended");
    }
    let (status, e) = support.post_json(&format!("{path}/decline"), &json!({"reason": "поздно"}));
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "{e}");

    // Declined with a reason the agency reads.
    let (_, other) =
        kadry.post_json("/api/v1/trainings", &json!({"topic": "Опросы", "trainees": ["clerk"]}));
    let decline = format!("/api/v1/trainings/{}/decline", id(&other));
    let (status, e) = support.post_json(&decline, &json!({"reason": ""}));
    assert_eq!((status, e["field"].as_str()), (400, Some("reason")), "{e}");
    let (status, t) =
        support.post_json(&decline, &json!({"reason": "Тема войдёт в общий вебинар."}));
    assert_eq!((status, t["status"].as_str()), (200, Some("declined")), "{t}");
    let mail = smtp.wait_for_mail("kadry@ipgo.test", "отклонена");
    assert!(mail["body"].as_str().unwrap().contains("общий вебинар"), "{mail}");

    // The pages: the agency's list and the request; a refused form keeps what was typed.
    let page = kadry.get("/trainings");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Подписание документов ЭЦП") && page.body.contains("Проведено"));
    let page = kadry.get(&format!("/trainings/{training}"));
    assert!(page.body.contains("vks.gov.kz/room/17") && page.body.contains("Присутствовал"));
    let page = kadry.post_form(
        "/trainings",
        &[
            ("csrf", &kadry.csrf().unwrap()),
            ("topic", "Работа с поиском"),
            ("trainees", "aliya\nnobody.here"),
        ],
    );
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("Работа с поиском") && page.body.contains("nobody.here"),
        "{}",
        page.body
    );
    assert!(page.body.contains("aria-invalid"));
    // Issue 21 point 1 (Form::settle): the message under the trainees' own label.
    let by_field = format!(
        "<label for=\"f-request-trainees\">{}</label><span class=\"field-error\" id=\"f-request-trainees-error\">",
        ftl("ru", "trainings-trainees-field")
    );
    assert!(page.body.contains(&by_field), "{}", page.body);
    assert!(page.body.contains("error-summary") && page.body.contains("autofocus"));

    // Refusals are in the access log under their operations.
    let entries = server.audit_entries();
    let sessions_path = format!("/api/v1/trainings/{training}/sessions");
    assert!(
        entries_for(&entries, "POST", &sessions_path).iter().any(|e| e["actor"] == "kadry"
            && e["outcome"] == "denied"
            && e["operation"] == "training.schedule"),
        "a schedule by the HR officer is logged as denied"
    );
    assert!(
        entries_for(&entries, "POST", "/api/v1/trainings")
            .iter()
            .any(|e| e["actor"] == "clerk" && e["outcome"] == "denied"),
        "a request by an employee is logged as denied"
    );
}
