//! The forms pattern (`src/web/forms.rs`) on the workflows' forms that came to it last
//! (issue "pages people understand", point 1; I385 §59): the item page of an action plan
//! (I385 §33–§35) and the ballot of the voting engine (I385 §52–§54). Each refused form,
//! posted to the real server, comes back as a page with what was typed (or chosen), the
//! reason by the field under its own label, an error summary and the focus on the first
//! wrong field — in kk and ru — and an accepted one ends with its confirmation.

use serde_json::json;

use crate::common::client::Resp;
use crate::common::documents::{Part, post_form_parts};
use crate::common::{Server, ftl, wait_for};
use crate::forms::{as_lang, refused, signed_in_browser, speak, submit};

/// The confirmation a `303` answer carries, and its page without it.
fn confirmed(res: &Resp, message: &str) -> String {
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap();
    assert!(location.contains(&format!("done={message}")), "{location}");
    location.split('?').next().unwrap().to_owned()
}

/// I385 §33–§35: on a plan item's page, a task for an unknown executor keeps its title and
/// text (kk); a report without its text keeps the period chosen (ru); returning a report
/// without the comment comes back by the comment of that report's form (kk).
#[test]
fn plan_item_forms_keep_what_was_typed() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("resp", "MIN", &["employee", "plan_responsible"]);
    server.add_user("exp", "MIN", &["employee"]);
    let resp = as_lang(&server, "resp", "kk");
    let year = jiff::Zoned::now().year();
    let (start, end) = (format!("{year}-01-01"), format!("{}-12-31", year + 1));
    let (status, plan) = resp.post_json(
        "/api/v1/plans",
        &json!({"kind": "agency", "title": "Ведомстволық жоспар", "approved_on": start,
                "items": [{"number": "1", "start": start, "end": end, "periodicity": "quarterly",
                           "title": "Қызметтерді цифрландыру", "responsible": "MIN"}]}),
    );
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_u64().unwrap();
    let res = submit(&resp, &format!("/plans/{id}/post"), &[]);
    let plan_page = confirmed(&res, "done-plan-posted");
    assert_eq!(plan_page, format!("/plans/{id}"));
    let (_, plan) = resp.get_json(&format!("/api/v1/plans/{id}"));
    let item = format!("/plans/{id}/items/{}", plan["items"][0]["id"]);

    let task = [
        ("title", "Есеп дайындау"),
        ("text", "Өңірлер бойынша есептеулермен"),
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("executors", "nobody.here"),
    ];
    let res = submit(&resp, &format!("{item}/act/assign"), &task);
    refused(
        "a task for an unknown executor",
        &res,
        "kk",
        "plan-executors",
        &["Есеп дайындау", "Өңірлер бойынша есептеулермен", "nobody.here"],
    );
    assert!(res.body.contains("id=\"f-assign-executors-error\""), "the message by the field");
    let mut task = task;
    task[4] = ("executors", "exp");
    let res = submit(&resp, &format!("{item}/act/assign"), &task);
    assert_eq!(confirmed(&res, "done-plan-task-assigned"), item);
    let page = resp.get(&format!("{item}?done=done-plan-task-assigned"));
    assert!(page.body.contains(&ftl("kk", "done-plan-task-assigned")));

    let exp = as_lang(&server, "exp", "ru");
    let (_, view) = exp.get_json(&format!("/api/v1{item}"));
    let periods: Vec<String> = view["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap_or_default().to_owned())
        .collect();
    let period = periods.last().cloned().unwrap();
    let res = submit(&exp, &format!("{item}/act/report"), &[("period", &period), ("text", "  ")]);
    refused("a report without its text", &res, "ru", "plan-report-text", &[]);
    assert!(
        res.body.contains(&format!("value=\"{period}\" selected")),
        "the period chosen is kept: {period}"
    );
    let res = submit(
        &exp,
        &format!("{item}/act/report"),
        &[("period", &period), ("text", "Переведено 48 услуг из 312.")],
    );
    assert_eq!(confirmed(&res, "done-plan-report-sent"), item);

    let (_, view) = resp.get_json(&format!("/api/v1{item}"));
    let report = view["reports"][0]["id"].as_u64().unwrap().to_string();
    let res = submit(
        &resp,
        &format!("{item}/act/review"),
        &[("report", &report), ("decision", "return"), ("comment", "")],
    );
    refused("a report returned without a comment", &res, "kk", "plan-comment", &[]);
    assert!(
        res.body.contains(&format!("id=\"f-review-{report}-comment-error\"")),
        "the message by that report's comment"
    );
    let res = submit(
        &resp,
        &format!("{item}/act/review"),
        &[("report", &report), ("decision", "return"), ("comment", "Өңірлер бойынша есеп қосыңыз")],
    );
    assert_eq!(confirmed(&res, "done-plan-report-reviewed"), item);
    // Dates read as the rest of the page writes them.
    let (y, m, d) = (&period[..4], &period[5..7], &period[8..10]);
    let page = resp.get(&item).body;
    assert!(page.contains(&format!("{d}.{m}.{y}")) && !page.contains(&format!(" {period} ")));

    // In Chromium at 1024×768, Kazakh without JavaScript and Russian with it: the task
    // refused for an unknown executor keeps its title, the focus is on the executors, the
    // page fits. Screenshots `plan-task-refused-*` for review.
    server.add_user("resp.ru", "MIN", &["employee", "plan_responsible"]);
    as_lang(&server, "resp.ru", "ru");
    let shots = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let base = server.base_url();
    for (login, lang, js) in [("resp", "kk", false), ("resp.ru", "ru", true)] {
        let browser = signed_in_browser(&base, login, js);
        browser.goto(&format!("{base}{item}"));
        browser.type_into("#f-assign-title", "Өңірлік деректерді жинау");
        browser.type_into("#f-assign-executors", "nobody.here");
        browser.click(&format!("form[action='{item}/act/assign'] button[type='submit']"));
        wait_for("the form again", 30, || {
            browser.text().contains(&ftl(lang, "form-problem-title")).then_some(())
        });
        let title = browser.script("return document.getElementById('f-assign-title').value;");
        assert_eq!(title, "Өңірлік деректерді жинау", "{lang}: the title is kept");
        let focused = browser.script("return document.activeElement && document.activeElement.id;");
        assert_eq!(focused, "f-assign-executors", "{lang}: focus on the wrong field");
        let overflow =
            browser.script("return document.documentElement.scrollWidth > window.innerWidth;");
        assert_eq!(overflow, serde_json::Value::Bool(false), "{lang}: fits 1024 px");
        browser.screenshot(
            &shots,
            &format!("plan-task-refused-{lang}{}", if js { "" } else { "-nojs" }),
        );
    }
}

fn part(name: &'static str, value: &str) -> Part<'static> {
    Part { name, file_name: None, content_type: "text/plain", bytes: value.as_bytes().to_vec() }
}

/// I385 §52–§54: a signed ballot sent without its signature file comes back on the ballot
/// page with the choice kept and the file asked for again (kk); a ballot without a choice
/// names the choice (ru); a ballot the engine refuses never shows the error page.
#[test]
fn a_refused_ballot_keeps_the_choice_and_says_why_by_the_field() {
    let w = crate::drafts_world::world_with_clock("ballot-form");
    let t0 = w.server.advance_clock("1s");
    let ends = (t0 + jiff::SignedDuration::from_hours(48)).to_string();
    let dev = w.client("dev");
    let res = post_form_parts(
        &dev,
        "/api/v1/discussions",
        vec![
            crate::common::documents::meta(&json!({
                "title": "Тұжырымдама жобасы", "text": "1. Жалпы ережелер.",
                "discussion": {"members": ["finhead", "ecohead"], "ends_at": ends, "signed": true}
            })),
            crate::common::documents::file("Тұжырымдама.txt", "Мәтін".as_bytes().to_vec()),
        ],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let d = res.json();
    let (discussion, poll) = (d["id"].as_u64().unwrap(), d["poll"]["id"].as_u64().unwrap());
    let subject = format!("/discussions/{discussion}");

    let head = w.client("finhead");
    speak(&head, "kk");
    let ballot = format!("/polls/{poll}/ballot");
    let res =
        post_form_parts(&head, &ballot, vec![part("back", &subject), part("choice", "against")]);
    refused("a signed ballot without its signature", &res, "kk", "poll-signature-file", &[]);
    assert!(res.body.contains("value=\"against\" required checked"), "the choice is kept");
    assert!(res.body.contains(&crate::common::ftl("kk", "poll-choose-file-again")));
    assert!(res.body.contains(&format!("href=\"{subject}#poll-{poll}\"")), "a way back");

    let head = w.client("ecohead");
    speak(&head, "ru");
    let res = post_form_parts(&head, &ballot, vec![part("back", &subject)]);
    refused("a ballot without a choice", &res, "ru", "poll-your-choice", &[]);
    let (_, p) = head.get_json(&format!("/api/v1/polls/{poll}"));
    assert_eq!(p["voted"], 0, "nothing was counted: {p}");
}

/// I617 §20, §19: refusing an account request without the reason (kk) and declining a
/// training request without it (ru) bring the request's page back with the reason's field
/// marked, and what was typed in the other field of the page kept.
#[test]
fn refusals_without_their_reason_come_back_by_the_reason() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_agency("AKM");
    server.add_user("kadry", "MIN", &["hr_officer"]);
    server.add_user("clerk", "MIN", &["employee"]);
    server.add_user("sysadm", "AKM", &["system_admin"]);
    server.add_user("support", "AKM", &["support_admin"]);
    let hr = server.signed_in("kadry");
    let (status, r) = hr.post_json(
        "/api/v1/account-requests",
        &json!({"kind": "newcomer", "login": "n.bekov", "name_kk": "Бекова Айгерім",
                "name_ru": "Бекова Айгерим", "email": "n.bekov@ipgo.test", "roles": ["employee"]}),
    );
    assert_eq!(status, 201, "{r}");
    let sysadm = as_lang(&server, "sysadm", "kk");
    let path = format!("/account-requests/{}/refuse", r["id"]);
    let res = submit(&sysadm, &path, &[("reason", "  ")]);
    refused("an account refused without its reason", &res, "kk", "account-requests-reason", &[]);
    assert!(res.body.contains("id=\"f-refuse-reason-error\""), "the message by the reason");
    let res = submit(&sysadm, &path, &[("reason", "Лауазымы штат кестесінде жоқ")]);
    assert_eq!(res.status, 303, "{}", res.body);

    let (status, t) =
        hr.post_json("/api/v1/trainings", &json!({"topic": "ЭЦП", "trainees": ["clerk"]}));
    assert_eq!(status, 201, "{t}");
    let support = as_lang(&server, "support", "ru");
    let path = format!("/trainings/{}/decline", t["id"]);
    let res = submit(&support, &path, &[("reason", "")]);
    refused("a training declined without its reason", &res, "ru", "trainings-reason", &[]);
    assert!(res.body.contains("id=\"f-decline-reason-error\""), "the message by the reason");
    // The session form beside it is fresh, with what the page proposes.
    assert!(res.body.contains("id=\"f-session-capacity\" name=\"capacity\" value=\"20\""));
    let res = submit(&support, &path, &[("reason", "Группа уже набрана")]);
    assert_eq!(res.status, 303, "{}", res.body);
}

/// I617 §13: the helpdesk's routing page — a rule for an unknown assignee keeps the agency
/// typed (kk); a new team without members keeps its names (ru); a team saved without a
/// name comes back in that team's own form, the other forms fresh (ru).
#[test]
fn helpdesk_routing_forms_keep_what_was_typed() {
    let server = Server::start();
    server.add_agency("MIN");
    server.add_user("support", "MIN", &["support_admin"]);
    let support = as_lang(&server, "support", "kk");
    let body = support.get("/helpdesk/routing").body;
    assert!(body.contains(&ftl("kk", "helpdesk-no-rules")), "an empty table says so");
    let res = submit(
        &support,
        "/helpdesk/rules",
        &[("category", "workstation"), ("agency", "MIN"), ("assignee", "nobody.here")],
    );
    refused("a rule for an unknown assignee", &res, "kk", "helpdesk-assignee-login", &["MIN"]);
    assert!(res.body.contains("value=\"workstation\" selected"), "the category is kept");

    let support = as_lang(&server, "support", "ru");
    let team = [("name_kk", "Желі тобы"), ("name_ru", "Группа сети"), ("name_en", "Network")];
    let mut empty = team.to_vec();
    empty.push(("members", ""));
    let res = submit(&support, "/helpdesk/teams", &empty);
    refused("a team without members", &res, "ru", "helpdesk-team-members", &["Желі тобы"]);
    let mut full = team.to_vec();
    full.push(("members", "support"));
    assert_eq!(submit(&support, "/helpdesk/teams", &full).status, 303);
    let (_, routing) = support.get_json("/api/v1/helpdesk/routing");
    let id = routing["teams"][0]["id"].as_u64().unwrap();
    let res = submit(
        &support,
        &format!("/helpdesk/teams/{id}"),
        &[("name_kk", ""), ("name_ru", " "), ("name_en", "Network (new)"), ("members", "support")],
    );
    refused("a team without a name", &res, "ru", "helpdesk-team-name-ru", &["Network (new)"]);
    assert!(res.body.contains(&format!("id=\"f-edit-{id}-name-ru-error\"")), "{}", res.body);
    assert!(!res.body.contains("value=\"Желі тобы\""), "the team's form shows what was typed");
}
