//! Approval of draft legal acts end to end (issue 7; I385 §11–§25, §41): the real server,
//! real signatures made by `openssl cms` with certificates of a real test PKI registered to
//! the signers, and mail delivered to a real SMTP server (aiosmtpd, storing into a Maildir)
//! whose messages are read back and checked.

use base64::Engine;
use percent_encoding::NON_ALPHANUMERIC;
use serde_json::{Value, json};

use crate::common::documents::{meta, post_parts};
use crate::common::smtp::Smtp;
use crate::common::{PASSWORD, Server, wait_for};
use crate::drafts_world::*;
use crate::signatures::pki::person;

#[test]
fn a_three_agencies_approve_okdo_accepts_the_absentee_vote_passes_and_mail_arrives() {
    let w = world("a");
    // One head reads the portal in Kazakh: their mail comes in Kazakh.
    assert_eq!(w.client("finhead").patch_json("/api/v1/me", &json!({"lang": "kk"})).0, 200);
    let draft = create_draft(&w, "О порядке А");
    let id = draft["id"].as_u64().unwrap();
    let mail = w.smtp.wait_for_mail("devhead@ipgo.test", "О порядке А");
    assert!(mail["subject"].as_str().unwrap().contains("ожидает вашей подписи"), "{mail}");
    assert!(
        mail["body"].as_str().unwrap().contains(&format!("https://portal.ipgo.test/drafts/{id}")),
        "link back to the portal: {mail}"
    );

    let signed = developer_signs(&w, &draft);
    let letter = signed["cover_letter"].as_u64().expect("a cover letter document (§15)");
    let export = w.client("fin").get_json(&format!("/api/v1/drafts/{id}/cover-letter")).1;
    assert_eq!(export["document_id"], letter);
    // Written inside the signature's transaction, the letter is indexed once that commits
    // (I385 §6.6): an approving agency finds it by search without any restart.
    let fin = w.client("fin");
    let q = percent_encoding::utf8_percent_encode("сопроводительное", NON_ALPHANUMERIC);
    wait_for("the cover letter found by search", 5, || {
        let (status, found) = fin.get_json(&format!("/api/v1/search?q={q}&type=cover_letter"));
        assert_eq!(status, 200, "{found}");
        found["hits"].as_array()?.iter().any(|h| h["document_id"] == letter).then_some(())
    });
    let mut to: Vec<&str> =
        export["to"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    to.sort();
    assert_eq!(to, ["ECO", "FIN", "JUS"]);
    let kk = w.smtp.wait_for_mail("finhead@ipgo.test", "О порядке А");
    assert!(
        kk["subject"].as_str().unwrap().starts_with("Келісуге"),
        "mail in the recipient's language: {kk}"
    );
    w.smtp.wait_for_mail("fin@ipgo.test", "На согласование");

    approve(&w, id, "fin", "finhead");
    approve(&w, id, "ecohead", "ecohead");
    let last = approve(&w, id, "jushead", "jushead");
    assert_eq!(last["stage"], "at_chancellery", "§19: every approving head signed");
    assert!(
        last["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["decision"] == "approved" && a["signature_status"] == "valid")
    );
    w.smtp.wait_for_mail("okdo@ipgo.test", "В Канцелярии");

    let okdo = w.client("okdo");
    let (status, body) =
        okdo.post_json(&format!("/api/v1/drafts/{id}/chancellery"), &json!({"accepted": true}));
    assert_eq!((status, body["stage"].as_str()), (200, Some("for_decision")), "{body}");
    let (status, body) = okdo.post_json(
        &format!("/api/v1/drafts/{id}/vote"),
        &json!({"heads": ["finhead", "ecohead", "jushead"]}),
    );
    assert_eq!((status, body["stage"].as_str()), (200, Some("voting")), "{body}");
    w.smtp.wait_for_mail("ecohead@ipgo.test", "Заочное голосование");
    for (head, choice) in [("finhead", "for"), ("ecohead", "for"), ("jushead", "against")] {
        let c = w.client(head);
        let ballot = c.get(&format!("/api/v1/drafts/{id}/ballot?choice={choice}"));
        assert!(ballot.body.contains(&format!("choice: {choice}")), "{}", ballot.body);
        let (status, body) = post_cms(
            &c,
            &format!("/api/v1/drafts/{id}/ballot?choice={choice}"),
            w.sign(head, ballot.body.as_bytes()),
        );
        assert_eq!(status, 200, "{body}");
    }
    // A signature over the ballot for the other choice is refused (the choice is signed).
    let c = w.client("finhead");
    let ballot = c.get(&format!("/api/v1/drafts/{id}/ballot?choice=against")).body;
    let (status, _) = post_cms(
        &c,
        &format!("/api/v1/drafts/{id}/ballot?choice=for"),
        w.sign("finhead", ballot.as_bytes()),
    );
    assert_eq!(status, 422, "a ballot signed for 'against' cannot count as 'for'");
    let view = okdo.get_json(&format!("/api/v1/drafts/{id}")).1;
    assert_eq!(
        (view["vote"]["for"].as_u64(), view["vote"]["against"].as_u64()),
        (Some(2), Some(1))
    );
    let (status, body) = okdo.post_json(
        &format!("/api/v1/drafts/{id}/decision"),
        &json!({"accepted": true, "reason": ""}),
    );
    assert_eq!((status, body["stage"].as_str()), (200, Some("accepted")), "{body}");
    w.smtp.wait_for_mail("dev@ipgo.test", "Принят");
    let inbox = w.client("devhead").get_json("/api/v1/inbox").1;
    assert!(inbox["unread"].as_u64().unwrap() >= 2, "{inbox}");
    assert!(
        inbox["items"].as_array().unwrap().iter().any(|i| i["link"] == format!("/drafts/{id}"))
    );
    // Every transition is in the access log.
    let ops: Vec<String> = w
        .server
        .audit_entries()
        .iter()
        .map(|e| e["operation"].as_str().unwrap_or("").to_owned())
        .collect();
    for op in [
        "draft.create",
        "draft.developer_sign",
        "draft.register_letter",
        "draft.approve",
        "draft.chancellery_accept",
        "draft.open_vote",
        "draft.vote",
        "draft.finish",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} logged");
    }
}

#[test]
fn b_a_rejection_a_revised_version_and_approvals_restart() {
    let w = world("b");
    let draft = create_draft(&w, "О порядке Б");
    let id = draft["id"].as_u64().unwrap();
    let doc = draft["document_id"].as_u64().unwrap();
    developer_signs(&w, &draft);
    approve(&w, id, "fin", "finhead");
    let eco = w.client("ecohead");
    assert_eq!(
        eco.post_json(&format!("/api/v1/drafts/{id}/letter"), &json!({"number": "7"})).0,
        200
    );
    let (status, body) = eco.post_json(
        &format!("/api/v1/drafts/{id}/rejection"),
        &json!({"reason": "Противоречит статье 12 Бюджетного кодекса"}),
    );
    assert_eq!(status, 200, "{body}");
    let mail = w.smtp.wait_for_mail("dev@ipgo.test", "Отклонено");
    assert!(
        mail["body"].as_str().unwrap().contains("статье 12"),
        "the reasoned answer reaches the developer: {mail}"
    );
    // The developer revises: a new version, approvals start again (§18).
    let dev = w.client("dev");
    let res = post_parts(
        &dev,
        &format!("/api/v1/drafts/{id}/versions"),
        &[meta(
            &json!({"title": "О порядке Б", "text": "Бірінші бап (түзетілген).\n", "note": "учтены замечания"}),
        )],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let revised = res.json();
    assert_eq!(
        (revised["version"].as_u64(), revised["stage"].as_str()),
        (Some(2), Some("awaiting_developer_signature"))
    );
    assert!(
        revised["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["decision"] == "pending" && a["registered"].is_null())
    );
    // Earlier signatures stay attached to version 1.
    let v1 = dev.get_json(&format!("/api/v1/documents/{doc}/versions/1/signatures")).1;
    assert_eq!(
        v1["signatures"].as_array().unwrap().len(),
        2,
        "developer and FIN signatures on v1: {v1}"
    );
    assert!(v1["signatures"].as_array().unwrap().iter().all(|s| s["status"] == "valid"));
    developer_signs(&w, &revised);
    approve(&w, id, "fin", "finhead");
    approve(&w, id, "ecohead", "ecohead");
    let last = approve(&w, id, "jushead", "jushead");
    assert_eq!(last["stage"], "at_chancellery");
    let diff = dev.get_json(&format!("/api/v1/documents/{doc}/diff?from=1&to=2")).1;
    assert!(diff["lines"].as_array().unwrap().iter().any(|l| l["kind"] == "added"));
}

#[test]
fn c_a_disagreement_protocol_signed_by_both_sides() {
    let w = world("c");
    let draft = create_draft(&w, "О порядке В");
    let id = draft["id"].as_u64().unwrap();
    developer_signs(&w, &draft);
    let dev = w.client("dev");
    let res = post_parts(
        &dev,
        &format!("/api/v1/drafts/{id}/protocols?agency=FIN"),
        &[meta(
            &json!({"title": "Протокол разногласий с Минфином", "text": "п. 3 — редакция разработчика"}),
        )],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let protocol = res.json();
    let pid = protocol["protocol"].as_u64().unwrap();
    let pdoc = protocol["draft"]["protocols"][0]["document_id"].as_u64().unwrap();
    approve(&w, id, "fin", "finhead");
    approve(&w, id, "ecohead", "ecohead");
    let body = approve(&w, id, "jushead", "jushead");
    assert_eq!(body["stage"], "on_approval", "the unsigned protocol holds the draft");
    for head in ["devhead", "finhead"] {
        let c = w.client(head);
        let cms = w.sign_version(head, &c, pdoc, 1);
        let (status, body) =
            post_cms(&c, &format!("/api/v1/drafts/{id}/protocols/{pid}/signature"), cms);
        assert_eq!(status, 200, "{head}: {body}");
    }
    let view = dev.get_json(&format!("/api/v1/drafts/{id}")).1;
    assert_eq!(view["stage"], "at_chancellery", "{view}");
    assert!(
        view["protocols"][0]["developer"].is_object()
            && view["protocols"][0]["approver"].is_object()
    );
    // Another approving agency's head cannot sign FIN's side.
    let sigs = dev.get_json(&format!("/api/v1/documents/{pdoc}/versions/1/signatures")).1;
    assert_eq!(sigs["signatures"].as_array().unwrap().len(), 2);
}

#[test]
fn d_okdo_returns_the_draft_at_the_check() {
    let w = world("d");
    let draft = create_draft(&w, "О порядке Г");
    let id = draft["id"].as_u64().unwrap();
    developer_signs(&w, &draft);
    approve(&w, id, "fin", "finhead");
    approve(&w, id, "ecohead", "ecohead");
    approve(&w, id, "jushead", "jushead");
    let okdo = w.client("okdo");
    let (status, body) = okdo.post_json(
        &format!("/api/v1/drafts/{id}/chancellery"),
        &json!({"accepted": false, "reason": ""}),
    );
    assert_eq!(status, 409, "a return needs a reason: {body}");
    let (status, body) = okdo.post_json(
        &format!("/api/v1/drafts/{id}/chancellery"),
        &json!({"accepted": false, "reason": "Не соблюдены требования юридической техники"}),
    );
    assert_eq!((status, body["stage"].as_str()), (200, Some("returned_by_chancellery")), "{body}");
    let mail = w.smtp.wait_for_mail("devhead@ipgo.test", "Возвращено Канцелярией");
    assert!(mail["body"].as_str().unwrap().contains("юридической техники"));
}

#[test]
fn e_nobody_acts_outside_their_role_or_agency_and_every_refusal_is_logged() {
    let w = world("e");
    let draft = create_draft(&w, "О порядке Д");
    let id = draft["id"].as_u64().unwrap();
    let doc = draft["document_id"].as_u64().unwrap();
    // An employee of the developer cannot sign for the head.
    let dev = w.client("dev");
    let manifest = dev.get(&format!("/api/v1/documents/{doc}/versions/1/manifest")).body;
    let (status, _) = post_cms(
        &dev,
        &format!("/api/v1/drafts/{id}/developer-signature"),
        w.sign("devhead", manifest.as_bytes()),
    );
    assert_eq!(status, 403);
    // A stranger from another agency sees nothing and signs nothing: the draft answers
    // exactly like one that does not exist (A.11).
    let stranger = w.client("stranger");
    let (status, body) = stranger.get_json(&format!("/api/v1/drafts/{id}"));
    assert_eq!((status, &body), (404, &stranger.get_json("/api/v1/drafts/999999").1));
    let html = |d: u64| {
        let res = stranger.get(&format!("/drafts/{d}"));
        (res.status, res.body.replace(&format!("/drafts/{d}"), "/drafts/ID"))
    };
    assert_eq!(html(id), html(999_999));
    let sign_as_stranger = |d: u64| {
        post_cms(
            &stranger,
            &format!("/api/v1/drafts/{d}/developer-signature"),
            w.sign("stranger", manifest.as_bytes()),
        )
    };
    assert_eq!(sign_as_stranger(id), sign_as_stranger(999_999));
    assert_eq!(sign_as_stranger(id).0, 404);
    developer_signs(&w, &draft);
    // The developer's head cannot approve for an approving agency; OKDO cannot approve;
    // the stranger is not even told the draft exists.
    for (login, expected) in [("devhead", 403), ("okdo", 403), ("stranger", 404)] {
        let c = w.client(login);
        let (status, _) = c.post_json(
            &format!("/api/v1/drafts/{id}/rejection"),
            &json!({"reason": "не согласен с проектом"}),
        );
        assert_eq!(status, expected, "{login} rejecting");
    }
    // Only OKDO checks and decides; only listed heads vote.
    for login in ["finhead", "dev"] {
        let c = w.client(login);
        assert_eq!(
            c.post_json(&format!("/api/v1/drafts/{id}/chancellery"), &json!({"accepted": true})).0,
            403,
            "{login}"
        );
        assert_eq!(
            c.post_json(&format!("/api/v1/drafts/{id}/decision"), &json!({"accepted": true})).0,
            403,
            "{login}"
        );
    }
    // A signature by someone else's certificate is refused with its reason.
    let fin = w.client("fin");
    assert_eq!(
        fin.post_json(&format!("/api/v1/drafts/{id}/letter"), &json!({"number": "1"})).0,
        200
    );
    let finhead = w.client("finhead");
    let m = finhead.get(&format!("/api/v1/documents/{doc}/versions/1/manifest")).body;
    let (status, body) = post_cms(
        &finhead,
        &format!("/api/v1/drafts/{id}/approval"),
        w.sign("ecohead", m.as_bytes()),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"], "not_registered");
    let entries = w.server.audit_entries();
    let denied: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["outcome"] == "denied" && e["operation"].as_str().unwrap_or("").starts_with("draft.")
        })
        .collect();
    assert!(denied.len() >= 8, "each forbidden step is logged: {}", denied.len());
    // The stranger's refusals are denials though they were answered "not found".
    let strangers: Vec<_> = denied.iter().filter(|e| e["actor"] == "stranger").collect();
    assert!(strangers.len() >= 4 && strangers.iter().all(|e| e["status"] == 404), "{strangers:#?}");
}

#[test]
fn f_undeliverable_mail_becomes_a_dead_letter_and_can_be_sent_again() {
    // A relay port where nothing listens: every attempt fails quickly.
    let dead_port = crate::common::free_port();
    let server = Server::builder()
        .env("IPGO_MAIL__ENABLED", "true")
        .env("IPGO_MAIL__PORT", &dead_port.to_string())
        .env("IPGO_MAIL__MAX_ATTEMPTS", "2")
        .env("IPGO_MAIL__MAX_RETRY_DELAY_SECONDS", "1")
        .start();
    for a in ["DEV", "FIN"] {
        server.add_agency(a);
    }
    server
        .cli(
            &[
                "user",
                "add",
                "--login",
                "dev",
                "--agency",
                "DEV",
                "--role",
                "employee",
                "--email",
                "dev@ipgo.test",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .ok();
    server
        .cli(
            &[
                "user",
                "add",
                "--login",
                "devhead",
                "--agency",
                "DEV",
                "--role",
                "head",
                "--email",
                "devhead@ipgo.test",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .ok();
    server
        .cli(
            &[
                "user",
                "add",
                "--login",
                "admin",
                "--agency",
                "DEV",
                "--role",
                "system_admin",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .ok();
    let dev = server.signed_in("dev");
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[meta(&json!({"title": "Письмо не дойдёт", "approving": ["FIN"]}))],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let admin = server.signed_in("admin");
    let dead = wait_for("a dead letter", 60, || {
        let list = admin.get_json("/api/v1/admin/mail").1;
        list["messages"].as_array().unwrap().iter().find(|m| m["status"] == "dead").cloned()
    });
    assert_eq!(dead["attempts"], 2);
    assert!(!dead["last_error"].as_str().unwrap().is_empty());
    // The in-app inbox got the notice even though mail failed.
    assert_eq!(server.signed_in("devhead").get_json("/api/v1/inbox").1["unread"], 1);
    let (status, _) =
        admin.post_json(&format!("/api/v1/admin/mail/{}/retry", dead["id"]), &json!({}));
    assert_eq!(status, 200);
    let page = admin.get("/admin/mail");
    assert_eq!(page.status, 200);
    // An employee may not see the mail queue.
    assert_eq!(dev.get_json("/api/v1/admin/mail").0, 403);
}

#[test]
fn g_live_updates_reach_an_open_event_stream() {
    let w = world("g");
    let devhead = w.client("devhead");
    // Open the stream with the head's session and read events in a thread.
    let stream = crate::drafts_vote::event_stream(&devhead);
    create_draft(&w, "О порядке Ж");
    // A change event for the new draft reaches the developer head's stream.
    crate::drafts_vote::wait_for_event(&stream, &["data:", "\"kind\":\"change\"", "draft:"]);
}

#[test]
fn h_an_overdue_stage_is_highlighted_and_notified_once() {
    let smtp = Smtp::start();
    let server = Server::builder()
        .env("IPGO_MAIL__ENABLED", "true")
        .env("IPGO_MAIL__PORT", &smtp.port.to_string())
        .env("IPGO_DRAFTS__DEVELOPER_SIGN_DAYS", "0")
        .env("IPGO_DRAFTS__OVERDUE_CHECK_SECONDS", "1")
        .start();
    for a in ["DEV", "FIN"] {
        server.add_agency(a);
    }
    server
        .cli(
            &[
                "user",
                "add",
                "--login",
                "dev",
                "--agency",
                "DEV",
                "--role",
                "employee",
                "--email",
                "dev@ipgo.test",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .ok();
    server
        .cli(
            &[
                "user",
                "add",
                "--login",
                "devhead",
                "--agency",
                "DEV",
                "--role",
                "head",
                "--email",
                "devhead@ipgo.test",
                "--password-stdin",
            ],
            Some(PASSWORD),
        )
        .ok();
    let dev = server.signed_in("dev");
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[meta(&json!({"title": "Срочный проект", "approving": ["FIN"]}))],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_u64().unwrap();
    assert_eq!(dev.get_json(&format!("/api/v1/drafts/{id}")).1["overdue"], true);
    assert!(dev.get("/drafts").body.contains("class=\"overdue\""), "the list highlights it");
    smtp.wait_for_mail("devhead@ipgo.test", "Просрочено");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let overdue = smtp
        .messages()
        .into_iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("Просрочено"))
        .count();
    assert_eq!(overdue, 1, "notified once per stage, not at every check");
}

/// The main path in a real browser (headless Chromium): the developer posts the draft
/// through the form, its head signs by uploading a signature file, an approving agency
/// registers the letter and its head approves, the Chancellery accepts; screenshots of
/// each page go to `target/screenshots/drafts-*.png`.
#[test]
fn i_the_main_path_in_chromium_with_screenshots() {
    use crate::common::browser::Browser;
    let w = world_with("i", false);
    let shots =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    // NCALayer's stand-in serves a self-signed certificate on wss://127.0.0.1:13579.
    let browser = Browser::start_with(&["--ignore-certificate-errors"]);
    let base = w.server.base_url();
    let sign_in = |login: &str| {
        browser.goto(&format!("{base}/login?lang=ru"));
        if browser.url() != format!("{base}/login?lang=ru") {
            browser.click("form[action='/logout'] button");
            wait_for("the sign-in page", 20, || browser.url().contains("/login").then_some(()));
            browser.goto(&format!("{base}/login?lang=ru"));
        }
        browser.type_into("#login", login);
        browser.type_into("#password", PASSWORD);
        browser.click("#sign-in");
        let landed = wait_for("an answer to signing in", 20, || {
            let u = browser.url();
            (!u.contains("/login")).then_some(u)
        });
        assert_eq!(landed, format!("{base}/"), "{login} signed in: {}", browser.text());
    };
    sign_in("dev");
    browser.goto(&format!("{base}/drafts/new"));
    browser.type_into("input[name='title']", "О порядке (браузер)");
    browser.type_into("textarea[name='text']", "Статья 1. Текст проекта.");
    for code in ["FIN", "ECO", "JUS"] {
        browser.click(&format!("input[name='approving.{code}']"));
    }
    browser.screenshot(&shots, "drafts-1-new");
    browser.click("form[action^='/drafts'] button[type='submit']");
    let url = wait_for("the draft page", 30, || {
        let u = browser.url();
        (u.contains("/drafts/") && !u.ends_with("/new")).then_some(u)
    });
    let path = url.split(['?', '#']).next().unwrap();
    let id: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
    assert!(browser.text().contains("ожидает подписи разработчика"), "{}", browser.text());
    browser.screenshot(&shots, "drafts-2-posted");

    let view = w.client("dev").get_json(&format!("/api/v1/drafts/{id}")).1;
    let doc = view["document_id"].as_u64().unwrap();
    let sig_file = |login: &str| {
        let c = w.client(login);
        let cms = w.sign_version(login, &c, doc, 1);
        let path = std::env::temp_dir().join(format!("ipgo-browser-{id}-{login}.p7s"));
        std::fs::write(&path, cms).unwrap();
        path
    };
    sign_in("devhead");
    browser.goto(&format!("{base}/drafts/{id}"));
    let p = sig_file("devhead");
    browser.type_into(
        "form[action*='/act/developer_sign'] input[name='signature']",
        p.to_str().unwrap(),
    );
    browser.click("form[action*='/act/developer_sign'] button[type='submit']");
    wait_for("on approval", 30, || browser.text().contains("на согласовании").then_some(()));
    browser.screenshot(&shots, "drafts-3-signed");

    sign_in("fin");
    browser.goto(&format!("{base}/drafts/{id}"));
    browser.type_into("form[action*='/act/register_letter'] input[name='number']", "01-15/123");
    browser.click("form[action*='/act/register_letter'] button[type='submit']");
    wait_for("the registered letter", 30, || browser.text().contains("01-15/123").then_some(()));

    sign_in("finhead");
    browser.goto(&format!("{base}/drafts/{id}"));
    // The approving head signs through NCALayer (the script on the draft page), not a file.
    let (cert, key) = person(&format!("{}-finhead", w.tag));
    let layer = crate::signing_browser::ncalayer::NcaLayer::start(move |data, _attached| {
        openssl_cms_sign(&cert, &key, data)
    });
    browser.click("#act-approve [data-ncalayer-sign]");
    wait_for("FIN approved", 60, || browser.text().contains("согласовано").then_some(()));
    {
        let requests = layer.requests.lock().unwrap();
        let asked = requests.last().expect("NCALayer was asked to sign");
        let manifest =
            w.client("finhead").get(&format!("/api/v1/documents/{doc}/versions/1/manifest"));
        assert_eq!(
            asked["args"]["data"].as_str().unwrap(),
            base64::engine::general_purpose::STANDARD.encode(manifest.body.as_bytes()),
            "NCALayer signs exactly the draft version's manifest"
        );
    }
    drop(layer);
    browser.screenshot(&shots, "drafts-4-approved");
    approve(&w, id, "ecohead", "ecohead");
    approve(&w, id, "jushead", "jushead");

    sign_in("okdo");
    browser.goto(&format!("{base}/drafts/{id}"));
    assert!(browser.text().contains("в Канцелярии"), "{}", browser.text());
    browser.click("form[action*='/act/chancellery_check'] button[type='submit']");
    wait_for("for decision", 30, || {
        browser.text().contains("на решение Правительства").then_some(())
    });
    browser.screenshot(&shots, "drafts-5-chancellery");
    for i in 1..=5 {
        assert!(
            shots
                .join(format!(
                    "drafts-{i}-{}.png",
                    ["new", "posted", "signed", "approved", "chancellery"][i - 1]
                ))
                .exists()
        );
    }
}
