//! Who authors surveys (I385 §7.8: "a role the administrator grants; by default heads and
//! HR officers"), through the real server. An employee may not design a survey until the
//! administrator grants `survey_author` (an HR officer may not grant it); a head and an HR
//! officer author without it; an author runs only their own surveys; a revoked author no
//! longer changes or opens their draft. Every refusal answers 403 and is logged as denied
//! under the operation refused.

use serde_json::{Value, json};

use crate::common::Server;

fn design(title: &str) -> Value {
    let t = |ru: &str, kk: &str| json!({"ru": ru, "kk": kk});
    json!({
        "title": t(title, title),
        "anonymity": "anonymous",
        "audience": {"everyone": true},
        "opens_at": "2030-01-10T09:00",
        "closes_at": "2030-01-20T18:00",
        "sections": [{"title": t("Общее", "Жалпы"), "questions": [
            {"key": "q1", "type": "single", "required": true, "text": t("Да?", "Иә?"),
             "options": [t("Да", "Иә"), t("Нет", "Жоқ")]}
        ]}]
    })
}

fn denied(entries: &[Value], actor: &str, operation: &str) -> usize {
    entries
        .iter()
        .filter(|e| e["actor"] == actor && e["operation"] == operation && e["outcome"] == "denied")
        .count()
}

#[test]
fn only_survey_authors_design_and_run_surveys_and_the_administrator_grants_the_role() {
    let server = Server::builder().start();
    server.add_agency("SVA");
    server.add_user("sv-admin", "SVA", &["system_admin"]);
    server.add_user("sv-hr", "SVA", &["hr_officer"]);
    server.add_user("sv-head", "SVA", &["head"]);
    let clerk = server.add_user("sv-clerk", "SVA", &["employee"]);
    let admin = server.signed_in("sv-admin");

    // 1. An employee: no builder, no design (403, logged as denied).
    let (status, body) = server.signed_in("sv-clerk").post_json("/api/v1/surveys", &design("x"));
    assert_eq!(status, 403, "{body}");

    // 2. The HR officer may not grant the role (the administrator's), the administrator may.
    let roles = json!({"roles": ["employee", "survey_author"]});
    let (status, body) =
        server.signed_in("sv-hr").put_json(&format!("/api/v1/users/{clerk}/roles"), &roles);
    assert_eq!(status, 403, "{body}");
    let (status, body) = admin.put_json(&format!("/api/v1/users/{clerk}/roles"), &roles);
    assert_eq!(status, 200, "{body}");
    let author = server.signed_in("sv-clerk");
    let (status, mine) = author.post_json("/api/v1/surveys", &design("Опрос автора"));
    assert_eq!(status, 201, "the granted author designs: {mine}");
    let mine = mine["id"].as_u64().unwrap();
    let (status, body) =
        author.put_json(&format!("/api/v1/surveys/{mine}"), &design("Опрос автора 2"));
    assert_eq!(status, 200, "{body}");
    let (status, open) = author.post_json("/api/v1/surveys", &design("Открытый"));
    assert_eq!(status, 201, "{open}");
    let open = open["id"].as_u64().unwrap();
    let (status, body) = author.post_json(&format!("/api/v1/surveys/{open}/open"), &json!({}));
    assert_eq!((status, body["state"].as_str()), (200, Some("scheduled")), "{body}");

    // 3. By default heads and HR officers author, without the role; each runs only their own.
    let head = server.signed_in("sv-head");
    let (status, theirs) = head.post_json("/api/v1/surveys", &design("Опрос руководителя"));
    assert_eq!(status, 201, "{theirs}");
    let (status, _) = server.signed_in("sv-hr").post_json("/api/v1/surveys", &design("Кадры"));
    assert_eq!(status, 201);
    // A published survey the head may see (everyone is asked): 403.
    let (status, _) = head.put_json(&format!("/api/v1/surveys/{open}"), &design("чужой"));
    assert_eq!(status, 403, "another author does not change the survey");
    let (status, _) = head.post_json(&format!("/api/v1/surveys/{open}/close"), &json!({}));
    assert_eq!(status, 403, "another author does not close the survey");
    // Another's draft is not even shown to exist (404), and the refusal is logged all the same.
    let (status, _) = head.post_json(&format!("/api/v1/surveys/{mine}/open"), &json!({}));
    assert_eq!(status, 404, "another author's draft is concealed");

    // 4. Revoked: the former author no longer changes or opens the draft.
    let (status, _) =
        admin.put_json(&format!("/api/v1/users/{clerk}/roles"), &json!({"roles": ["employee"]}));
    assert_eq!(status, 200);
    let former = server.signed_in("sv-clerk");
    let (status, _) = former.put_json(&format!("/api/v1/surveys/{mine}"), &design("после"));
    assert_eq!(status, 403, "a revoked author does not change the draft");
    let (status, _) = former.post_json(&format!("/api/v1/surveys/{mine}/open"), &json!({}));
    assert_eq!(status, 403, "a revoked author does not open the draft");
    let (status, _) = former.post_json("/api/v1/surveys", &design("ещё"));
    assert_eq!(status, 403);

    // 5. Each refusal is in the access log, denied, under the operation refused.
    let log = server.audit_entries();
    assert_eq!(denied(&log, "sv-clerk", "survey.create"), 2);
    assert_eq!(denied(&log, "sv-head", "survey.manage"), 3);
    assert_eq!(denied(&log, "sv-clerk", "survey.manage"), 2);
    assert_eq!(denied(&log, "sv-hr", "role.grant.survey_author"), 1);
}

/// The demo (issue 16 point 6): an open anonymous survey on working conditions answered by
/// every participant account, whose results show charts and merge the agencies under k into
/// "other"; a closed named survey of the ministry; a draft.
#[test]
fn the_demo_seeds_an_answered_open_anonymous_survey_a_closed_named_one_and_a_draft() {
    let server = Server::builder().demo().start();
    for login in ["hr.officer", "dev.head", "admin", "auditor"] {
        server
            .cli(
                &["user", "reset-password", "--login", login, "--password-stdin"],
                Some(crate::common::PASSWORD),
            )
            .ok();
    }
    let hr = server.signed_in("hr.officer");
    let (status, list) = hr.get_json("/api/v1/surveys");
    assert_eq!(status, 200);
    let mine: Vec<(&str, &str)> = list["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] != "closed")
        .map(|s| (s["state"].as_str().unwrap(), s["anonymity"].as_str().unwrap()))
        .collect();
    assert!(
        mine.contains(&("open", "anonymous")) && mine.contains(&("draft", "anonymous")),
        "{list}"
    );
    let open = list["surveys"].as_array().unwrap().iter().find(|s| s["state"] == "open").unwrap();
    let id = open["id"].as_u64().unwrap();
    let (status, r) = hr.get_json(&format!("/api/v1/surveys/{id}/results?by=agency"));
    assert_eq!(status, 200, "{r}");
    let responses = r["responses"].as_u64().unwrap();
    // Issue 16 point 6: every participant and a few hundred generated respondents answered.
    assert!(responses >= 250, "a few hundred answers: {responses}");
    // The generated respondents are accounts marked as demo data that cannot sign in.
    let users = server.cli(&["user", "list"], None).ok().stdout;
    let generated: Vec<&str> =
        users.lines().filter(|l| l.starts_with("demo.respondent.")).collect();
    assert!(generated.len() >= 200, "{}", generated.len());
    let (status, _) = server.client().try_login("demo.respondent.001", crate::common::PASSWORD);
    assert_eq!(status, 401, "a generated respondent has no password");
    // Marked as demo data where colleagues see them, the staff directory.
    let (status, found) = hr.get_json("/api/v1/directory?q=demo.respondent.001");
    assert_eq!(status, 200, "{found}");
    assert!(found.to_string().contains("Демо-респондент"), "{found}");
    let groups: Vec<&str> =
        r["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert!(groups.contains(&"other"), "small agencies merged into other: {groups:?}");
    let page = hr.get(&format!("/surveys/{id}/results?by=agency"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "charts drawn");
    let head = server.signed_in("dev.head");
    let (_, list) = head.get_json("/api/v1/surveys");
    assert!(
        list["surveys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["state"] == "closed" && s["anonymity"] == "named"),
        "{list}"
    );
    // The open survey asks everyone, but roles that stand alone (the administrator, the
    // auditor) take no part in the portal's work and may not open it: their dashboard and
    // list must not offer it (they did — a link to a 404, found by crawling the demo).
    for login in ["admin", "auditor"] {
        let person = server.signed_in(login);
        assert_eq!(person.get(&format!("/api/v1/surveys/{id}")).status, 404, "{login}");
        let dashboard = person.get("/");
        assert_eq!(dashboard.status, 200);
        assert!(
            !dashboard.body.contains("surveys-waiting")
                && !dashboard.body.contains(&format!("/surveys/{id}\"")),
            "{login}'s dashboard offers a survey they may not open"
        );
        let (status, list) = person.get_json("/api/v1/surveys");
        assert_eq!(status, 200);
        assert_eq!(list["surveys"], json!([]), "{login}: {list}");
    }
}
