//! Usage per agency (I617 §22) through the real server with the test's clock: the figures
//! match the sign-ins, documents and workflow actions made on several days and weeks, an
//! agency's officer sees only their agency and the support administrator every one, refusals
//! are 403 and logged, and the XLSX reads back in a real reader.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::{Server, documents, xlsx};

pub(crate) fn ticket(c: &Client, subject: &str) {
    let (status, t) = c.post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"category": "documents", "urgency": "normal", "subject": subject, "text": "Текст"}),
    );
    assert_eq!(status, 201, "{t}");
}

pub(crate) fn document(c: &Client, title: &str) {
    let res = documents::post(c, &json!({"title": title}), &[]);
    assert_eq!(res.status, 201, "{}", res.body);
}

fn day<'a>(u: &'a Value, date: &str) -> &'a Value {
    u["days"].as_array().unwrap().iter().find(|d| d["start"] == date).unwrap()
}

fn figures(row: &Value) -> [u64; 4] {
    ["active_users", "sign_ins", "documents", "actions"].map(|k| row[k].as_u64().unwrap())
}

#[test]
fn i617_s22_usage_counts_what_was_done_per_day_and_week_for_each_agency() {
    let server = Server::builder()
        .controllable_clock()
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    server.add_agency("MIN");
    server.add_agency("AKM");
    server.add_user("officer", "MIN", &["hr_officer"]);
    server.add_user("clerk", "MIN", &["employee"]);
    server.add_user("clerk2", "MIN", &["employee"]);
    server.add_user("akm", "AKM", &["employee"]);
    server.add_user("akmhr", "AKM", &["hr_officer"]);
    server.add_user("support", "AKM", &["support_admin"]);

    // Monday 15 March 2027: two people of MIN sign in, two documents, one helpdesk request.
    server.set_clock("2027-03-15T10:00:00+05:00");
    let clerk = server.signed_in("clerk");
    document(&clerk, "Приказ 1");
    document(&clerk, "Приказ 2");
    ticket(&clerk, "Вопрос 1");
    server.signed_in("clerk2");
    // Wednesday 17 March: the clerk again with a request; AKM posts a document.
    server.set_clock("2027-03-17T10:00:00+05:00");
    ticket(&server.signed_in("clerk"), "Вопрос 2");
    document(&server.signed_in("akm"), "Хабар");
    // Tuesday 23 March, the next week: the second clerk posts a document.
    server.set_clock("2027-03-23T11:00:00+05:00");
    document(&server.signed_in("clerk2"), "Приказ 3");

    server.set_clock("2027-03-24T09:00:00+05:00");
    let officer = server.signed_in("officer");
    let period = "from=2027-03-15&to=2027-03-23";
    let (status, u) = officer.get_json(&format!("/api/v1/usage?{period}"));
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["agency"], "MIN");
    assert_eq!(u["days"].as_array().unwrap().len(), 9);
    assert_eq!(figures(day(&u, "2027-03-15")), [2, 2, 2, 1], "{u}");
    assert_eq!(figures(day(&u, "2027-03-16")), [0, 0, 0, 0]);
    assert_eq!(figures(day(&u, "2027-03-17")), [1, 1, 0, 1], "{u}");
    assert_eq!(figures(day(&u, "2027-03-23")), [1, 1, 1, 0], "{u}");
    let weeks = u["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0]["start"], "2027-03-15");
    // Active users of a week are people, not the sum of the days (the clerk counts once).
    assert_eq!(figures(&weeks[0]), [2, 3, 2, 2], "{u}");
    assert_eq!(weeks[1]["start"], "2027-03-22");
    assert_eq!(figures(&weeks[1]), [1, 1, 1, 0]);
    assert_eq!((u["active_users"].as_u64(), u["sign_ins"].as_u64()), (Some(2), Some(4)));
    assert_eq!(u["documents"], 3);
    assert_eq!(u["actions"]["helpdesk"], 2);

    // Kept incrementally: what happens after the first view is counted by the next one.
    server.signed_in("clerk");
    let (_, today) = officer.get_json("/api/v1/usage?from=2027-03-24&to=2027-03-24");
    assert_eq!(figures(day(&today, "2027-03-24"))[..2], [2, 2], "{today}");

    // The support administrator sees the whole portal and any agency.
    let support = server.signed_in("support");
    let (status, all) = support.get_json(&format!("/api/v1/usage?{period}"));
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["agency"], Value::Null);
    assert_eq!((all["sign_ins"].as_u64(), all["documents"].as_u64()), (Some(5), Some(4)));
    let (_, akm) = support.get_json(&format!("/api/v1/usage?agency=akm&{period}"));
    assert_eq!((akm["agency"].as_str(), akm["documents"].as_u64()), (Some("AKM"), Some(1)));
    // An officer of AKM sees AKM without naming it.
    let (_, own) = server.signed_in("akmhr").get_json(&format!("/api/v1/usage?{period}"));
    assert_eq!((own["agency"].as_str(), own["sign_ins"].as_u64()), (Some("AKM"), Some(1)));

    // Another agency's figures, or any figures for an employee: 403, logged as refused.
    let (status, _) = officer.get_json(&format!("/api/v1/usage?agency=AKM&{period}"));
    assert_eq!(status, 403);
    let (status, _) = server.signed_in("clerk").get_json("/api/v1/usage");
    assert_eq!(status, 403);
    let (status, _, _) = officer.get_bytes("/api/v1/usage.xlsx?agency=AKM");
    assert_eq!(status, 403);
    let entries = server.audit_entries();
    let refused: Vec<&Value> = entries
        .iter()
        .filter(|e| e["operation"] == "usage.read" && e["outcome"] == "denied")
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused.iter().any(|e| e["actor"] == "clerk" && e["status"] == 403));

    // A period that ends before it starts: a clear message on the field.
    let (status, e) = officer.get_json("/api/v1/usage?from=2027-03-20&to=2027-03-10");
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("from"), "{e}");

    // XLSX read back: a row per day, figures in number cells.
    let (status, _, bytes) = officer.get_bytes(&format!("/api/v1/usage.xlsx?{period}"));
    assert_eq!(status, 200);
    let book = xlsx::read(&bytes);
    let rows = book["cached"].as_array().unwrap();
    assert!(rows.len() >= 10, "{book}");
    assert_eq!(rows[1][2], 2.0, "{book}");
    assert_eq!(rows[1][3], 2.0, "{book}");
    assert_eq!(rows[3][4], 1.0, "{book}");
    assert_eq!(rows[9][3], 1.0, "{book}");
    let (status, _, csv) = officer.get_bytes(&format!("/api/v1/usage.csv?{period}"));
    assert_eq!(status, 200);
    assert!(String::from_utf8(csv).unwrap().contains("Входы"));
}
