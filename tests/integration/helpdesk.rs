//! The helpdesk end to end (I617 §12–§16) through the real server with a clock the test
//! controls: routing rules and a request routed to nobody, targets counted in support
//! hours across a Friday evening, a Saturday, a Sunday and the Nauryz holidays with a
//! pause while the applicant is asked, statuses that may not be skipped, reopening within
//! the period and a new linked request after it, requests entered for an applicant by
//! phone, the portal closing resolved requests nobody answered, the dashboard as XLSX,
//! forbidden steps refused and logged, and a notice of every status change delivered to
//! a real SMTP server.

use serde_json::{Value, json};

use crate::common::client::Client;
use crate::common::smtp::Smtp;
use crate::common::{PASSWORD, Server, entries_for, wait_for, xlsx};

struct World {
    server: Server,
    smtp: Smtp,
    /// Sessions opened since the clock last moved (moving it by hours ends them).
    sessions: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Client>>>,
}

fn add(server: &Server, login: &str, agency: &str, role: &str, lang: &str) {
    let email = format!("{login}@ipgo.test");
    let args = [
        "user",
        "add",
        "--login",
        login,
        "--agency",
        agency,
        "--role",
        role,
        "--email",
        &email,
        "--password-stdin",
    ];
    server.cli(&args, Some(PASSWORD)).ok();
    if lang != "ru" {
        let (status, body) =
            server.signed_in(login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200, "{body}");
    }
}

fn world() -> World {
    let smtp = Smtp::start();
    let server = Server::builder()
        .controllable_clock()
        .mail_to(smtp.port)
        .env("IPGO_HELPDESK__FIRST_RESPONSE_MINUTES__NORMAL", "60")
        .env("IPGO_HELPDESK__RESOLUTION_MINUTES__NORMAL", "600")
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    server.add_agency("MIN");
    server.add_agency("AKM");
    add(&server, "clerk", "MIN", "employee", "ru");
    add(&server, "kkclerk", "AKM", "employee", "kk");
    add(&server, "stranger", "MIN", "employee", "ru");
    add(&server, "support", "AKM", "support_admin", "ru");
    add(&server, "srvadm", "AKM", "system_admin", "ru");
    add(&server, "caadm", "AKM", "system_admin", "ru");
    add(&server, "auditor", "AKM", "auditor", "ru");
    // Friday 19 March 2027, 18:30 Astana: half an hour of support hours left that day.
    server.set_clock("2027-03-19T18:30:00+05:00");
    World { server, smtp, sessions: Default::default() }
}

impl World {
    /// A session of `login` opened since the clock last moved.
    fn as_(&self, login: &str) -> std::rc::Rc<Client> {
        let mut sessions = self.sessions.borrow_mut();
        sessions
            .entry(login.to_owned())
            .or_insert_with(|| std::rc::Rc::new(self.server.signed_in(login)))
            .clone()
    }

    fn at(&self, when: &str) {
        self.server.set_clock(when);
        self.sessions.borrow_mut().clear();
    }

    fn ticket(&self, login: &str, id: u64) -> Value {
        let (status, t) = self.as_(login).get_json(&format!("/api/v1/helpdesk/tickets/{id}"));
        assert_eq!(status, 200, "{t}");
        t
    }

    fn status(&self, login: &str, id: u64, to: &str, note: &str) -> (u16, Value) {
        self.as_(login).post_json(
            &format!("/api/v1/helpdesk/tickets/{id}/status"),
            &json!({"status": to, "note": note}),
        )
    }

    /// Mail to `login` whose subject contains `part`.
    fn mail(&self, login: &str, part: &str) -> Value {
        self.smtp.wait_for_mail(&format!("{login}@ipgo.test"), part)
    }
}

/// The server's clock runs on from each instant the test sets, so a due time lies a few
/// seconds after the one counted by hand.
fn near(v: &Value, expected: &str) {
    let got: jiff::Timestamp =
        v.as_str().unwrap_or_else(|| panic!("no time: {v}")).parse().unwrap();
    let want: jiff::Timestamp = expected.parse().unwrap();
    let off = got.duration_since(want).as_secs().abs();
    assert!(off < 90, "{got} is not {want}");
}

fn id(v: &Value) -> u64 {
    v["id"].as_u64().unwrap_or_else(|| panic!("no id in {v}"))
}

#[test]
fn helpdesk_routes_counts_support_hours_and_tells_the_applicant() {
    let w = world();
    let support = w.as_("support");

    // Routing: a team for signatures, an administrator for documents of MIN.
    let (status, team) = support.post_json(
        "/api/v1/helpdesk/teams",
        &json!({"name_ru": "Администраторы УЦ", "name_kk": "КО әкімшілері", "members": ["caadm", "srvadm"]}),
    );
    assert_eq!(status, 201, "{team}");
    let (status, rule) = support
        .post_json("/api/v1/helpdesk/rules", &json!({"category": "signatures", "team": id(&team)}));
    assert_eq!(status, 201, "{rule}");
    let (status, _) = support.post_json(
        "/api/v1/helpdesk/rules",
        &json!({"category": "documents", "agency": "MIN", "assignee": "srvadm"}),
    );
    assert_eq!(status, 201);
    // A participant cannot be a handler; the same conditions twice are refused.
    let (status, e) = support
        .post_json("/api/v1/helpdesk/rules", &json!({"category": "mail", "assignee": "clerk"}));
    assert_eq!((status, e["field"].as_str()), (400, Some("assignee")), "{e}");
    let (status, e) = support.post_json(
        "/api/v1/helpdesk/rules",
        &json!({"category": "documents", "agency": "MIN", "assignee": "caadm"}),
    );
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "{e}");
    // Only the support administrator keeps the rules.
    let (status, _) = w
        .as_("clerk")
        .post_json("/api/v1/helpdesk/rules", &json!({"category": "mail", "assignee": "srvadm"}));
    assert_eq!(status, 403);

    // Friday 18:30: the clerk's request about documents goes to srvadm at once.
    let (status, t1) = w.as_("clerk").post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"category": "documents", "urgency": "normal",
                "subject": "Не открывается вложение", "text": "Файл приказа не скачивается.\nОшибка 500."}),
    );
    assert_eq!(status, 201, "{t1}");
    let t1_id = id(&t1);
    assert_eq!(t1["number"], "2027-00001");
    assert_eq!(t1["status"], "assigned");
    assert_eq!(t1["assignee"]["login"], "srvadm");
    assert_eq!(t1["text"], "Файл приказа не скачивается.\nОшибка 500.");
    w.mail("clerk", "2027-00001");
    w.mail("srvadm", "Вам назначено обращение № 2027-00001");

    // A request no rule matches falls to the support administrators, flagged.
    let (status, t2) = w.as_("kkclerk").post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"category": "other", "subject": "Сұрақ", "text": "Портал туралы сұрақ"}),
    );
    assert_eq!(status, 201, "{t2}");
    let t2_id = id(&t2);
    assert_eq!((t2["status"].as_str(), t2["unrouted"].as_bool()), (Some("new"), Some(true)));
    w.mail("support", "не распределено");
    let (_, queue) = support.get_json("/api/v1/helpdesk/tickets?unrouted=true");
    let flagged: Vec<u64> =
        queue["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_u64().unwrap()).collect();
    assert_eq!(flagged, vec![t2_id]);
    // Skipping "in progress" is refused, to the support service too.
    let (status, e) = w.status("support", t2_id, "resolved", "Готово");
    assert_eq!((status, e["code"].as_str()), (409, Some("conflict")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("без пропусков"), "{e}");
    let (status, t2) = support.post_json(
        &format!("/api/v1/helpdesk/tickets/{t2_id}/assignment"),
        &json!({"assignee": "caadm"}),
    );
    assert_eq!((status, t2["status"].as_str()), (200, Some("assigned")), "{t2}");
    // The Kazakh-speaking applicant is told in Kazakh.
    w.mail("kkclerk", "Тағайындалды");

    // Friday 21:00: 30 minutes counted; the first response falls due Saturday 10:30.
    w.at("2027-03-19T21:00:00+05:00");
    let t = w.ticket("clerk", t1_id);
    assert_eq!(t["clocks"]["first_response"]["elapsed_minutes"], 30);
    near(&t["clocks"]["first_response"]["due"], "2027-03-20T05:30:00Z");
    // Saturday 12:00: 30 + 120 minutes; overdue, and the queue highlights it.
    w.at("2027-03-20T12:00:00+05:00");
    let t = w.ticket("srvadm", t1_id);
    assert_eq!(t["clocks"]["first_response"]["state"], "overdue", "{t}");
    assert_eq!(t["clocks"]["first_response"]["elapsed_minutes"], 150);
    let (_, alarm) = w.as_("support").get_json("/api/v1/helpdesk/tickets?alarm=true");
    assert!(alarm["tickets"].as_array().unwrap().iter().any(|r| r["id"] == t1_id), "{alarm}");
    // Saturday 12:30 srvadm takes it; Thursday 25th 10:00 (Sunday and the Nauryz days off
    // count nothing) srvadm asks the clerk a question: 30 + 180 + 60 minutes.
    w.at("2027-03-20T12:30:00+05:00");
    assert_eq!(w.status("srvadm", t1_id, "in_progress", "").0, 200);
    w.at("2027-03-25T10:00:00+05:00");
    let (status, e) = w.status("srvadm", t1_id, "waiting", "");
    assert_eq!((status, e["field"].as_str()), (400, Some("note")), "a question is needed");
    let (status, t) = w.status("srvadm", t1_id, "waiting", "Какой браузер?");
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["clocks"]["first_response"]["state"], "missed");
    assert_eq!(t["clocks"]["resolution"]["elapsed_minutes"], 270);
    w.mail("clerk", "Ожидает ответа заявителя");
    // Paused until the clerk answers on Friday 15:00.
    w.at("2027-03-26T15:00:00+05:00");
    let t = w.ticket("clerk", t1_id);
    assert_eq!(t["clocks"]["resolution"]["state"], "paused");
    assert_eq!(t["clocks"]["resolution"]["elapsed_minutes"], 270);
    let (status, r) = w.as_("clerk").post_json(
        &format!("/api/v1/helpdesk/tickets/{t1_id}/messages"),
        &json!({"text": "Chromium 120"}),
    );
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["ticket"]["status"], "in_progress", "the answer takes it back into work");
    near(&r["ticket"]["clocks"]["resolution"]["due"], "2027-03-27T06:30:00Z");
    w.mail("srvadm", "Заявитель ответил");
    // An internal note is not shown to the applicant.
    let (status, _) = w.as_("srvadm").post_json(
        &format!("/api/v1/helpdesk/tickets/{t1_id}/messages"),
        &json!({"text": "Проверить прокси", "internal": true}),
    );
    assert_eq!(status, 201);
    let (status, e) = w.as_("clerk").post_json(
        &format!("/api/v1/helpdesk/tickets/{t1_id}/messages"),
        &json!({"text": "x", "internal": true}),
    );
    assert_eq!((status, e["field"].as_str()), (400, Some("internal")));
    let shown = w.ticket("clerk", t1_id);
    assert_eq!(shown["messages"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(w.ticket("srvadm", t1_id)["messages"].as_array().unwrap().len(), 2);
    // Saturday 27th 11:00: resolved within the target (570 of 600 minutes).
    w.at("2027-03-27T11:00:00+05:00");
    let (status, t) = w.status("srvadm", t1_id, "resolved", "Очищен кэш браузера");
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["clocks"]["resolution"]["state"], "met");
    assert_eq!(t["clocks"]["resolution"]["elapsed_minutes"], 570);
    w.mail("clerk", "Решено");

    // Forbidden steps: a colleague sees nothing (404 as for a missing id), the applicant
    // may not assign (403), the auditor files nothing; each is logged as denied.
    let stranger = w.as_("stranger");
    let missing = stranger.get_json("/api/v1/helpdesk/tickets/999999");
    assert_eq!(stranger.get_json(&format!("/api/v1/helpdesk/tickets/{t1_id}")), missing);
    assert_eq!(missing.0, 404);
    let (status, _) = w.as_("clerk").post_json(
        &format!("/api/v1/helpdesk/tickets/{t1_id}/assignment"),
        &json!({"assignee": "caadm"}),
    );
    assert_eq!(status, 403);
    let (status, _) = w.as_("auditor").post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"category": "other", "subject": "x", "text": "y"}),
    );
    assert_eq!(status, 403);
    let (status, _) = w.as_("clerk").get_json("/api/v1/helpdesk/dashboard");
    assert_eq!(status, 403);

    // Reopened by the applicant's answer within the period: the clock goes on from 570.
    w.at("2027-04-02T09:00:00+05:00");
    let (status, r) = w.as_("clerk").post_json(
        &format!("/api/v1/helpdesk/tickets/{t1_id}/messages"),
        &json!({"text": "Снова не открывается"}),
    );
    assert_eq!((status, r["continued"].as_bool()), (201, Some(false)), "{r}");
    assert_eq!(r["ticket"]["status"], "in_progress");
    w.mail("srvadm", "возобновлено");
    w.at("2027-04-02T10:00:00+05:00");
    let t = w.ticket("srvadm", t1_id);
    assert_eq!(t["clocks"]["resolution"]["elapsed_minutes"], 630);
    assert_eq!(t["clocks"]["resolution"]["state"], "overdue");
    assert_eq!(w.status("srvadm", t1_id, "resolved", "Заменён файл").0, 200);
    assert_eq!(w.status("clerk", t1_id, "closed", "").0, 200, "the applicant confirms");
    // Eleven days later an answer opens a new request that continues the closed one.
    w.at("2027-04-13T10:00:00+05:00");
    let (status, r) = w.as_("clerk").post_json(
        &format!("/api/v1/helpdesk/tickets/{t1_id}/messages"),
        &json!({"text": "Опять та же ошибка"}),
    );
    assert_eq!((status, r["continued"].as_bool()), (201, Some(true)), "{r}");
    let t3_id = id(&r["ticket"]);
    assert_eq!(r["ticket"]["continues"], t1_id);
    assert_eq!(r["ticket"]["status"], "assigned", "routed like any request");
    assert_eq!(w.ticket("clerk", t1_id)["continued_by"], t3_id);
    let (status, e) = w.status("clerk", t1_id, "in_progress", "Снова");
    assert_eq!((status, e["detail_key"].as_str().or(e["code"].as_str())), (409, Some("conflict")));

    // Entered by the support service for a caller: marked so; a channel is required.
    let (status, e) = w.as_("support").post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"applicant": "kkclerk", "channel": "portal", "category": "mail", "subject": "Хат", "text": "Хат келмейді"}),
    );
    assert_eq!((status, e["field"].as_str()), (400, Some("channel")), "{e}");
    let (status, e) = w.as_("support").post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"applicant": "nobody", "channel": "phone", "category": "mail", "subject": "Хат", "text": "Хат келмейді"}),
    );
    assert_eq!((status, e["field"].as_str()), (400, Some("applicant")), "{e}");
    let (status, phoned) = w.as_("support").post_json(
        "/api/v1/helpdesk/tickets",
        &json!({"applicant": "kkclerk", "channel": "phone", "category": "signatures", "urgency": "high",
                "subject": "ЭЦҚ", "text": "NCALayer кілтті көрмейді"}),
    );
    assert_eq!(status, 201, "{phoned}");
    assert_eq!(phoned["entered_by"]["login"], "support");
    assert_eq!(phoned["applicant"]["login"], "kkclerk");
    assert_eq!(phoned["channel"], "phone");
    assert_eq!(phoned["team"]["name"], "Администраторы УЦ", "the signatures rule's team");
    // A team member works on it.
    assert_eq!(w.status("caadm", id(&phoned), "in_progress", "").0, 200);

    // A resolved request nobody answers is closed by the portal after three working days.
    assert_eq!(w.status("caadm", t2_id, "in_progress", "").0, 200);
    assert_eq!(w.status("caadm", t2_id, "resolved", "Жауап берілді").0, 200);
    w.at("2027-04-19T10:00:00+05:00");
    wait_for("the unanswered request to close", 30, || {
        (w.ticket("kkclerk", t2_id)["status"] == "closed").then_some(())
    });
    w.mail("kkclerk", "Жабылды");

    // The dashboard: filed and resolved per month (a request counts where it was last
    // resolved: ticket 1, met in March, was reopened and resolved late in April), and its
    // XLSX read back.
    let support = w.as_("support");
    let (status, d) = support.get_json("/api/v1/helpdesk/dashboard?from=2027-03-01&to=2027-04-30");
    assert_eq!(status, 200, "{d}");
    let march = &d["periods"][0];
    let counts =
        |p: &Value, keys: &[&str]| keys.iter().map(|k| p[*k].as_u64().unwrap()).collect::<Vec<_>>();
    let keys = [
        "filed",
        "resolved",
        "first_response_met",
        "first_response_missed",
        "resolution_met",
        "resolution_missed",
    ];
    assert_eq!(counts(march, &keys), vec![2, 0, 0, 1, 0, 0], "{d}");
    assert_eq!(counts(&d["periods"][1], &keys), vec![2, 2, 1, 1, 0, 2], "{d}");
    assert_eq!(d["unrouted"], 0);
    assert_eq!(
        d["queue"].as_array().unwrap().iter().map(|q| q["count"].as_u64().unwrap()).sum::<u64>(),
        2,
        "{d}"
    );
    let (status, _, bytes) =
        support.get_bytes("/api/v1/helpdesk/dashboard.xlsx?from=2027-03-01&to=2027-04-30");
    assert_eq!(status, 200);
    let book = xlsx::read(&bytes);
    assert_eq!(book["cached"][1][0], "03.2027");
    assert_eq!(book["cached"][1][1], 2.0);

    // Every change of ticket 1's status reached the clerk by mail: registered (assigned),
    // in progress, waiting, in progress (own answer: not told), resolved twice, reopened
    // (own), closed (own).
    let to_clerk: Vec<String> = w
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m["to"].as_str().unwrap_or("").contains("clerk@ipgo.test"))
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("2027-00001"))
        .map(|m| m["subject"].as_str().unwrap().to_owned())
        .collect();
    for part in ["зарегистрировано", "В работе", "Ожидает ответа заявителя", "Решено"]
    {
        assert!(to_clerk.iter().any(|s| s.contains(part)), "{part}: {to_clerk:?}");
    }
    assert_eq!(to_clerk.iter().filter(|s| s.contains("Решено")).count(), 2, "{to_clerk:?}");

    // The refusals are in the access log.
    let entries = w.server.audit_entries();
    let denied = entries_for(&entries, "GET", &format!("/api/v1/helpdesk/tickets/{t1_id}"))
        .into_iter()
        .filter(|e| e["actor"] == "stranger")
        .collect::<Vec<_>>();
    assert!(
        denied.iter().any(|e| e["outcome"] == "denied"
            && e["status"] == 404
            && e["operation"] == "helpdesk.read"),
        "{denied:?}"
    );
    let assign =
        entries_for(&entries, "POST", &format!("/api/v1/helpdesk/tickets/{t1_id}/assignment"));
    assert!(assign.iter().any(|e| e["actor"] == "clerk" && e["outcome"] == "denied"), "{assign:?}");
    assert!(
        entries.iter().any(|e| e["operation"] == "helpdesk.close_unanswered"
            && e["actor"] == "system:helpdesk-close"),
        "the portal's closing is logged"
    );
}
