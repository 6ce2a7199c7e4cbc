//! Access control decided in one place (I385 §6.1, §61; I617 §20–§21): officers act only
//! inside their own agency, every denial is logged, and the system administrator does not
//! read the access log while the auditor does (separation of duties).

use serde_json::json;

use crate::common::{Server, ftl};

/// Agencies A and B; an HR officer and an employee in A, an employee in B, an administrator
/// and an auditor. Returns the server and the ids of `emp_a` and `emp_b`.
fn two_agencies() -> (Server, u64, u64) {
    let server = Server::start();
    server.add_agency("AGENCY-A");
    server.add_agency("AGENCY-B");
    server.add_user("hr.a", "AGENCY-A", &["hr_officer", "employee"]);
    let emp_a = server.add_user("emp.a", "AGENCY-A", &["employee"]);
    let emp_b = server.add_user("emp.b", "AGENCY-B", &["employee"]);
    server.add_user("admin", "AGENCY-A", &["system_admin"]);
    server.add_user("auditor", "AGENCY-A", &["auditor"]);
    (server, emp_a, emp_b)
}

#[test]
fn i617_s21_an_hr_officer_cannot_touch_accounts_of_another_agency_and_the_denial_is_logged() {
    let (server, emp_a, emp_b) = two_agencies();
    let hr = server.signed_in("hr.a");

    let other = format!("/api/v1/users/{emp_b}");
    let attempts = [
        ("PATCH", other.clone(), hr.patch_json(&other, &json!({"name_ru": "Изменено"}))),
        ("POST", format!("{other}/disable"), hr.post_json(&format!("{other}/disable"), &json!({}))),
        (
            "PUT",
            format!("{other}/roles"),
            hr.put_json(&format!("{other}/roles"), &json!({"roles": ["head"]})),
        ),
        ("GET", other.clone(), hr.get_json(&other)),
        (
            "POST",
            "/api/v1/users".into(),
            hr.post_json("/api/v1/users", &json!({"login": "intruder", "agency": "AGENCY-B"})),
        ),
    ];
    for (method, path, (status, body)) in &attempts {
        assert_eq!(
            (*status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{method} {path}: {body}"
        );
    }

    // The same officer may act on their own agency's accounts.
    let own = format!("/api/v1/users/{emp_a}");
    let (status, body) = hr.patch_json(&own, &json!({"name_ru": "Ерлан Асқаров"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name_ru"], "Ерлан Асқаров");

    // Nothing changed in agency B.
    let admin = server.signed_in("admin");
    let (_, b) = admin.get_json(&other);
    assert_eq!((b["name_ru"].as_str(), b["status"].as_str()), (Some(""), Some("active")), "{b}");
    assert_eq!(b["roles"], json!(["employee"]));
    let (_, list) = admin.get_json("/api/v1/users");
    assert!(!list.as_array().unwrap().iter().any(|u| u["login"] == "intruder"));

    // Each denial is in the access log with who, what and where.
    let entries = server.audit_entries();
    for (method, path, _) in &attempts {
        let found: Vec<_> = crate::common::entries_for(&entries, method, path)
            .into_iter()
            .filter(|e| e["actor"] == "hr.a")
            .collect();
        assert_eq!(found.len(), 1, "{method} {path}: {found:#?}");
        let e = found[0];
        assert_eq!((e["outcome"].as_str(), e["status"].as_u64()), (Some("denied"), Some(403)));
        assert_eq!(e["agency"], "AGENCY-A");
        assert!(!e["operation"].as_str().unwrap().is_empty());
    }
    let edit = crate::common::entries_for(&entries, "PATCH", &other)[0];
    assert_eq!(edit["operation"], "user.edit");
    assert_eq!(edit["route"], "/api/v1/users/{id}");
}

#[test]
fn an_hr_officer_grants_agency_roles_but_not_appliance_roles() {
    let (server, emp_a, _) = two_agencies();
    let hr = server.signed_in("hr.a");
    let roles = format!("/api/v1/users/{emp_a}/roles");
    for role in ["system_admin", "auditor", "support_admin"] {
        let (status, body) = hr.put_json(&roles, &json!({"roles": ["employee", role]}));
        assert_eq!(status, 403, "{role}: {body}");
    }
    let (status, body) = hr.put_json(&roles, &json!({"roles": ["employee", "head"]}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roles"], json!(["employee", "head"]));
}

#[test]
fn separation_of_duties_the_system_admin_cannot_read_the_access_log_but_the_auditor_can() {
    let (server, _, _) = two_agencies();
    let admin = server.signed_in("admin");
    let auditor = server.signed_in("auditor");

    for path in ["/api/v1/audit", "/audit", "/audit/export.csv"] {
        let res = admin.get(path);
        assert_eq!(res.status, 403, "system_admin reads {path}");
    }
    let (status, body) = auditor.get_json("/api/v1/audit");
    assert_eq!(status, 200, "{body}");
    assert!(!body["entries"].as_array().unwrap().is_empty());
    assert_eq!(auditor.get("/audit").status, 200);
    let csv = auditor.get("/audit/export.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));

    // The auditor reads but changes nothing; the administrator manages accounts.
    let (status, _) = auditor
        .post_json("/api/v1/agencies", &json!({"code": "AUD", "name_ru": "x", "name_kk": "x"}));
    assert_eq!(status, 403);
    let (status, _) = auditor.get_json("/api/v1/users");
    assert_eq!(status, 403);
    let (status, body) = admin.post_json(
        "/api/v1/agencies",
        &json!({"code": "ADM", "name_ru": "Орган", "name_kk": "Орган"}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(admin.get_json("/api/v1/users").0, 200);

    // An employee sees the directory, not the administration.
    let employee = server.signed_in("emp.a");
    assert_eq!(employee.get_json("/api/v1/directory").0, 200);
    assert_eq!(employee.get_json("/api/v1/users").0, 403);
    assert_eq!(employee.get("/admin/users").status, 403);
    assert_eq!(employee.get_json("/api/v1/audit").0, 403);

    let denied: Vec<_> = server
        .audit_entries()
        .into_iter()
        .filter(|e| e["actor"] == "admin" && e["outcome"] == "denied")
        .collect();
    assert_eq!(denied.len(), 3, "{denied:#?}");
    assert!(denied.iter().all(|e| e["operation"].as_str().unwrap().starts_with("audit.")));
}

/// A.1, A.11, I385 §61 — separation of duties: the system administrator, the support
/// administrator and the auditor must each be an account's only role. Every way of giving
/// roles — the API, the pages, the command line — refuses a combination with the
/// translated reason, and every pair of roles is answered as the policy's table says.
#[test]
fn a1_roles_that_must_stand_alone_are_refused_beside_any_other_on_every_route() {
    let (server, emp_a, _) = two_agencies();
    let admin = server.signed_in("admin");
    let roles_of = |id: u64| server_roles(&admin, id);
    let standalone = ["system_admin", "support_admin", "auditor"];
    let all = crate::common::ROLES;
    // Every pair through the API, on one account; the refusal names the standalone role.
    let path = format!("/api/v1/users/{emp_a}/roles");
    for (i, a) in all.iter().enumerate() {
        for b in &all[i..] {
            let pair: Vec<&str> = if a == b { vec![a] } else { vec![a, b] };
            let (status, body) = admin.put_json(&path, &json!({"roles": pair}));
            let alone = pair.iter().find(|r| standalone.contains(r)).filter(|_| pair.len() == 2);
            if let Some(alone) = alone {
                assert_eq!(status, 400, "{pair:?}: {body}");
                assert_eq!(
                    (body["code"].as_str(), body["field"].as_str()),
                    (Some("invalid_input"), Some("roles"))
                );
                let key = format!("roles-stand-alone-{}", alone.replace('_', "-"));
                let message = body["message"].as_str().unwrap();
                assert!(message.contains(&ftl("ru", &key)), "{pair:?}: {message}");
            } else {
                assert_eq!(status, 200, "{pair:?}: {body}");
                let mut expected = pair.clone();
                expected.sort_by_key(|r| all.iter().position(|x| x == r));
                assert_eq!(body["roles"], json!(expected), "{pair:?}");
            }
        }
    }
    assert_eq!(admin.put_json(&path, &json!({"roles": ["employee"]})).0, 200);
    // New accounts through the API.
    let (status, body) = admin.post_json(
        "/api/v1/users",
        &json!({"login": "both", "agency": "AGENCY-A", "roles": ["employee", "system_admin"]}),
    );
    assert_eq!((status, body["field"].as_str()), (400, Some("roles")), "{body}");
    // The pages (forms without JavaScript), in the person's language.
    let csrf = admin.csrf().unwrap();
    let page = admin.post_form(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("login", "both"),
            ("agency", "AGENCY-A"),
            ("role", "auditor"),
            ("role", "head"),
        ],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains(&html_text(&ftl("ru", "roles-stand-alone-auditor"))),
        "{}",
        page.body
    );
    let page = admin.post_form(
        &format!("/admin/users/{emp_a}/roles"),
        &[("csrf", &csrf), ("role", "employee"), ("role", "support_admin")],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains(&html_text(&ftl("ru", "roles-stand-alone-support-admin"))));
    // The command line, in English.
    for args in [
        &[
            "user",
            "add",
            "--login",
            "both",
            "--agency",
            "AGENCY-A",
            "--role",
            "system_admin",
            "--role",
            "employee",
        ][..],
        &["user", "roles", "--login", "emp.a", "--role", "employee", "--role", "auditor"][..],
    ] {
        let out = server.cli(args, None);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("must be the account’s only role"), "{args:?}: {}", out.stdout);
    }
    assert_eq!(roles_of(emp_a), json!(["employee"]), "refusals change nothing");
    server.cli(&["user", "roles", "--login", "emp.a", "--role", "head"], None).ok();
    // Nothing was created or changed by a refusal.
    let list = server.cli(&["user", "list"], None).ok().stdout;
    assert!(!list.contains("both"), "{list}");
    assert_eq!(roles_of(emp_a), json!(["head"]));
}

fn server_roles(admin: &crate::common::client::Client, id: u64) -> serde_json::Value {
    admin.get_json(&format!("/api/v1/users/{id}")).1["roles"].clone()
}

/// The text as an HTML page shows it (askama escapes quotes and apostrophes).
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&#34;").replace('\'', "&#39;")
}
