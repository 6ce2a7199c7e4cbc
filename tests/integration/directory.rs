//! The staff directory and working groups (I385 §6.1, §16, §52; I617 §21): departments,
//! names in Kazakh and Russian, finding staff by name, agency and department, and groups
//! formed by a head with members from other agencies.

use serde_json::{Value, json};

use crate::common::Server;

/// Two agencies with a department each and three named people.
fn directory() -> (Server, u64) {
    let server = Server::start();
    server.add_agency("MINJUST");
    server.add_agency("MINFIN");
    server.add_user("hr.minjust", "MINJUST", &["hr_officer", "employee"]);
    server.add_user("head", "MINJUST", &["head", "employee"]);
    server.add_user("fin", "MINFIN", &["employee"]);
    let hr = server.signed_in("hr.minjust");
    let (status, dept) = hr.post_json(
        "/api/v1/agencies/MINJUST/departments",
        &json!({"name_kk": "Заң департаменті", "name_ru": "Юридический департамент"}),
    );
    assert_eq!(status, 201, "{dept}");
    let dept_id = dept["id"].as_u64().unwrap();
    let (status, body) = hr.post_json(
        "/api/v1/users",
        &json!({
            "login": "a.nurlanova", "agency": "MINJUST", "department_id": dept_id,
            "name_ru": "Нурланова Алия Маратовна", "name_kk": "Нұрланова Әлия Маратқызы",
            "position_ru": "Главный эксперт", "position_kk": "Бас сарапшы",
            "email": "a.nurlanova@minjust.gov.kz", "roles": ["employee"]
        }),
    );
    assert_eq!(status, 201, "{body}");
    assert!(body["one_time_password"].as_str().is_some(), "a new account gets a one-time password");
    // An HR officer cannot place someone in another agency's department.
    let (status, body) = hr.post_json(
        "/api/v1/users",
        &json!({"login": "b.other", "agency": "MINFIN", "department_id": dept_id}),
    );
    assert_eq!(status, 403, "{body}");
    (server, dept_id)
}

fn logins(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn i385_s6_1_staff_are_found_by_name_in_either_language_agency_and_department() {
    let (server, dept_id) = directory();
    let fin = server.signed_in("fin");
    for q in ["нурланова", "ӘЛИЯ", "Бас сарапшы", "minjust.gov.kz", "алия маратовна"]
    {
        let (status, body) = fin.get_json(&format!("/api/v1/directory?q={}", urlencode(q)));
        assert_eq!(status, 200);
        assert_eq!(logins(&body), ["a.nurlanova"], "query {q:?}");
    }
    let (_, body) = fin.get_json("/api/v1/directory?agency=minfin");
    assert_eq!(logins(&body), ["fin"]);
    let (_, body) = fin.get_json(&format!("/api/v1/directory?department={dept_id}"));
    assert_eq!(logins(&body), ["a.nurlanova"]);
    let (_, body) = fin.get_json("/api/v1/directory?q=nobody-like-this");
    assert_eq!(body["total"], 0);
    let (_, found) = fin.get_json(&format!("/api/v1/directory?q={}", urlencode("нурланова")));
    let person = &found["users"][0];
    assert_eq!(person["department_name_kk"], "Заң департаменті");
    assert_eq!(person["agency_code"], "MINJUST");

    // Disabled accounts drop out of the directory.
    server.cli(&["user", "disable", "--login", "a.nurlanova"], None).ok();
    let (_, body) = fin.get_json(&format!("/api/v1/directory?q={}", urlencode("нурланова")));
    assert_eq!(body["total"], 0);

    // The page works without JavaScript and shows the Kazakh name to a Kazakh reader.
    server.cli(&["user", "enable", "--login", "a.nurlanova"], None).ok();
    assert_eq!(fin.patch_json("/api/v1/me", &json!({"lang": "kk"})).0, 200);
    // A body is an object of named fields; an array is not read as the fields in order
    // (issue 20 point 1: `[null, null]` was taken for `{"email": null, "phone": null}`).
    let (status, e) = fin.patch_json("/api/v1/me", &json!(["x@y.kz", "+7 701"]));
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")), "{e}");
    let page = fin.get(&format!("/directory?q={}", urlencode("Әлия")));
    assert!(page.body.contains("<html lang=\"kk\">"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Нұрланова Әлия Маратқызы"), "{}", page.body);
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_owned()
}

#[test]
fn i385_s16_a_head_forms_a_working_group_across_agencies_and_only_members_see_it() {
    let (server, _) = directory();
    let head = server.signed_in("head");
    let (status, group) = head.post_json(
        "/api/v1/groups",
        &json!({"name_kk": "Жұмыс тобы", "name_ru": "Рабочая группа", "members": ["head", "fin"]}),
    );
    assert_eq!(status, 201, "{group}");
    let id = group["id"].as_u64().unwrap();

    let fin = server.signed_in("fin");
    let (_, groups) = fin.get_json("/api/v1/groups");
    assert_eq!(groups.as_array().unwrap().len(), 1, "a member from another agency sees it");
    let (_, me) = fin.get_json("/api/v1/me");
    assert_eq!(me["groups"], json!([id]));

    let hr = server.signed_in("hr.minjust");
    let (_, groups) = hr.get_json("/api/v1/groups");
    assert_eq!(groups.as_array().unwrap().len(), 1, "the agency's HR officer manages it");
    server.add_user("fin2", "MINFIN", &["employee"]);
    let (_, groups) = server.signed_in("fin2").get_json("/api/v1/groups");
    assert!(groups.as_array().unwrap().is_empty(), "a non-member of another agency does not");

    // A member who is not a head may not change the group; unknown logins are explained.
    let (status, _) =
        fin.put_json(&format!("/api/v1/groups/{id}/members"), &json!({"members": ["fin"]}));
    assert_eq!(status, 403);
    let (status, body) = head
        .put_json(&format!("/api/v1/groups/{id}/members"), &json!({"members": ["no.such.person"]}));
    assert_eq!((status, body["field"].as_str()), (400, Some("members")), "{body}");
    let (status, body) =
        head.put_json(&format!("/api/v1/groups/{id}/members"), &json!({"members": ["head"]}));
    assert_eq!(status, 200, "{body}");
    let (_, groups) = fin.get_json("/api/v1/groups");
    assert!(groups.as_array().unwrap().is_empty(), "a removed member no longer sees it");
}
