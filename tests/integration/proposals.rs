//! Improvement proposals end to end (I617 §39–§41) through the real server: proposed with
//! a justification, supported once per person and never by the author, found by words in
//! any case, the most supported first, reviewed by the support administrator step by step
//! (a version when accepted, an explanation when rejected), the author and the supporters
//! told by mail delivered to a real SMTP server, forbidden steps refused and logged.

use serde_json::{Value, json};

use crate::common::smtp::Smtp;
use crate::common::{Server, entries_for};

fn id(v: &Value) -> u64 {
    v["id"].as_u64().unwrap_or_else(|| panic!("no id in {v}"))
}

#[test]
fn i617_s39_proposals_are_supported_once_reviewed_and_the_outcome_told() {
    let smtp = Smtp::start();
    let server = Server::builder()
        .env("IPGO_MAIL__ENABLED", "true")
        .env("IPGO_MAIL__RELAY", "127.0.0.1")
        .env("IPGO_MAIL__PORT", &smtp.port.to_string())
        .env("IPGO_MAIL__FROM", "Portal <portal@ipgo.test>")
        .start();
    server.add_agency("MIN");
    server.add_agency("AKM");
    for (login, agency, role) in [
        ("author", "MIN", "employee"),
        ("colleague", "MIN", "employee"),
        ("head", "AKM", "head"),
        ("support", "AKM", "support_admin"),
        ("srvadm", "AKM", "system_admin"),
        ("auditor", "AKM", "auditor"),
    ] {
        server.add_user_with_email(login, agency, &[role]);
    }
    let (author, colleague, head, support) = (
        server.signed_in("author"),
        server.signed_in("colleague"),
        server.signed_in("head"),
        server.signed_in("support"),
    );

    // Proposed: every field is required, and the support administrator hears of it.
    let (status, e) = author.post_json(
        "/api/v1/proposals",
        &json!({"title": "Поиск по номеру приказа", "text": "Отдельное поле", "justification": ""}),
    );
    assert_eq!(
        (status, e["code"].as_str(), e["field"].as_str()),
        (400, Some("invalid_input"), Some("justification")),
        "{e}"
    );
    let (status, wanted) = author.post_json(
        "/api/v1/proposals",
        &json!({
            "title": "Поиск по номеру приказа",
            "text": "Отдельное поле «регистрационный номер» с точным совпадением.",
            "justification": "Канцелярия ищет приказы по номеру десятки раз в день.",
        }),
    );
    assert_eq!(status, 201, "{wanted}");
    assert_eq!(wanted["status"], "submitted");
    assert_eq!(wanted["can"]["support"], false, "not one's own");
    let wanted_id = id(&wanted);
    smtp.wait_for_mail("support@ipgo.test", "Поиск по номеру приказа");
    let (status, other) = colleague.post_json(
        "/api/v1/proposals",
        &json!({"title": "Тёмная тема", "text": "Тёмное оформление.", "justification": "Вечером удобнее."}),
    );
    assert_eq!(status, 201, "{other}");
    let other_id = id(&other);

    // Supported once per person, never by the author; the most supported come first.
    let (status, p) =
        colleague.post_json(&format!("/api/v1/proposals/{wanted_id}/support"), &json!({}));
    assert_eq!(status, 200, "{p}");
    assert_eq!((p["supporters"].as_u64(), p["supported_by_me"].as_bool()), (Some(1), Some(true)));
    let (status, e) =
        colleague.post_json(&format!("/api/v1/proposals/{wanted_id}/support"), &json!({}));
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "{e}");
    let (status, _) =
        author.post_json(&format!("/api/v1/proposals/{wanted_id}/support"), &json!({}));
    assert_eq!(status, 403);
    let (status, p) = head.post_json(&format!("/api/v1/proposals/{wanted_id}/support"), &json!({}));
    assert_eq!((status, p["supporters"].as_u64()), (200, Some(2)), "{p}");
    let (_, list) = head.get_json("/api/v1/proposals");
    let order: Vec<u64> = list["proposals"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(order, vec![wanted_id, other_id], "the most supported first");
    let (_, list) = head.get_json("/api/v1/proposals?sort=new");
    assert_eq!(id(&list["proposals"][0]), other_id, "the newest first when asked");
    // An order it does not know is refused, as an unknown status is (issue 20 point 1).
    let (status, e) = head.get_json("/api/v1/proposals?sort=AAA");
    assert_eq!(
        (status, e["code"].as_str(), e["field"].as_str()),
        (400, Some("invalid_input"), Some("sort")),
        "{e}"
    );

    // Found by words in any case; a word that is in neither finds nothing.
    let (_, found) = head.get_json("/api/v1/proposals?q=%D0%9F%D0%9E%D0%98%D0%A1%D0%9A%20%D0%BA%D0%B0%D0%BD%D1%86%D0%B5%D0%BB%D1%8F%D1%80%D0%B8%D1%8F");
    let found: Vec<u64> = found["proposals"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(found, vec![wanted_id], "«ПОИСК канцелярия»");
    let (_, none) = head.get_json("/api/v1/proposals?q=calendar");
    assert_eq!(none["proposals"].as_array().unwrap().len(), 0);

    // Reviewed only by the support administrator, step by step, with a version and an
    // explanation where they are due.
    let review = |who: &crate::common::client::Client, id: u64, body: Value| {
        who.post_json(&format!("/api/v1/proposals/{id}/review"), &body)
    };
    let (status, _) = review(
        &server.signed_in("srvadm"),
        wanted_id,
        json!({"status": "accepted", "version": "1.3"}),
    );
    assert_eq!(status, 403, "a system administrator does not review proposals");
    let (status, e) =
        review(&support, wanted_id, json!({"status": "implemented", "version": "1.3"}));
    assert_eq!(
        (status, e["code"].as_str()),
        (409, Some("conflict")),
        "implemented before accepted: {e}"
    );
    let (status, e) = review(&support, wanted_id, json!({"status": "accepted"}));
    assert_eq!((status, e["field"].as_str()), (400, Some("version")), "{e}");
    let (status, p) = review(&support, wanted_id, json!({"status": "evaluating"}));
    assert_eq!((status, p["status"].as_str()), (200, Some("evaluating")), "{p}");
    let (status, p) = review(
        &support,
        wanted_id,
        json!({"status": "accepted", "version": "1.3", "note": "Вместе с реестром приказов."}),
    );
    assert_eq!((status, p["version"].as_str()), (200, Some("1.3")), "{p}");
    // The author and both supporters are told, the version in the subject.
    for login in ["author", "colleague", "head"] {
        let mail = smtp.wait_for_mail(&format!("{login}@ipgo.test"), "версия 1.3");
        assert!(mail["body"].as_str().unwrap().contains("Вместе с реестром приказов"), "{mail}");
    }
    let (status, p) = review(&support, wanted_id, json!({"status": "implemented"}));
    assert_eq!(
        (status, p["version"].as_str()),
        (200, Some("1.3")),
        "the planned version by default: {p}"
    );
    assert_eq!(p["steps"].as_array().unwrap().len(), 3);

    let (status, e) = review(&support, other_id, json!({"status": "rejected"}));
    assert_eq!((status, e["field"].as_str()), (400, Some("note")), "{e}");
    let (status, _) = review(
        &support,
        other_id,
        json!({"status": "rejected", "note": "Портал следует настройке контраста браузера."}),
    );
    assert_eq!(status, 200);
    let mail = smtp.wait_for_mail("colleague@ipgo.test", "Отклонено");
    assert!(mail["body"].as_str().unwrap().contains("настройке контраста"), "{mail}");
    let (status, e) = head.post_json(&format!("/api/v1/proposals/{other_id}/support"), &json!({}));
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "a settled proposal: {e}");

    // The auditor reads but proposes nothing; the pages show the same.
    let auditor = server.signed_in("auditor");
    let (status, _) = auditor.get_json(&format!("/api/v1/proposals/{wanted_id}"));
    assert_eq!(status, 200);
    let (status, _) = auditor
        .post_json("/api/v1/proposals", &json!({"title": "x", "text": "y", "justification": "z"}));
    assert_eq!(status, 403);
    let page = head.get("/proposals");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Поиск по номеру приказа") && page.body.contains("Реализовано"),
        "{}",
        page.body
    );
    let page = support.get(&format!("/proposals/{wanted_id}"));
    assert!(page.body.contains("1.3") && page.body.contains("Вместе с реестром приказов"));

    // Refusals are in the access log under their operations.
    let entries = server.audit_entries();
    let support_path = format!("/api/v1/proposals/{wanted_id}/support");
    let denied = entries_for(&entries, "POST", &support_path);
    assert!(
        denied.iter().any(|e| e["actor"] == "author"
            && e["outcome"] == "denied"
            && e["operation"] == "proposal.support"),
        "{denied:?}"
    );
    let created = entries_for(&entries, "POST", "/api/v1/proposals");
    assert!(
        created.iter().any(|e| e["actor"] == "auditor" && e["outcome"] == "denied"),
        "{created:?}"
    );
}
