//! Notices in the reader's language: a notice is stored as a message key with arguments and
//! rendered when it is read — so the same notice reads in Kazakh to a Kazakh reader and in
//! Russian after they switch, the agency and title in it follow the reader's language, and
//! "mark all read" and acting on the object clear the inbox.

use serde_json::{Value, json};

use crate::common::documents::{meta, post_parts};
use crate::common::{Server, ftl};

fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in args {
        out = out.replace(&format!("{{ ${k} }}"), v);
    }
    out
}

fn inbox(server: &Server, login: &str, lang: &str) -> Value {
    let client = server.signed_in(login);
    let (status, body) = client.patch_json("/api/v1/me", &json!({"lang": lang}));
    assert_eq!(status, 200, "{body}");
    let (status, body) = client.get_json("/api/v1/inbox");
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn a_notice_written_on_a_russian_page_reads_in_the_language_of_each_reader() {
    let server = Server::start();
    server.add_agency("FIN");
    server.add_digital_ministry();
    server.add_user("dev", "DEV", &["employee"]);
    server.add_user("devhead", "DEV", &["employee", "head"]);
    server.add_user("devhead2", "DEV", &["employee", "head"]);

    // The employee posts the draft from a Russian page; the titles exist in both languages.
    let dev = server.signed_in("dev");
    dev.patch_json("/api/v1/me", &json!({"lang": "ru"}));
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[meta(&json!({
            "title": "О порядке согласования",
            "title_ru": "О порядке согласования",
            "title_kk": "Келісу тәртібі туралы",
            "text": "Бірінші бап.",
            "approving": ["FIN"],
        }))],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_u64().unwrap().to_string();

    let kk = inbox(&server, "devhead", "kk");
    let item = &kk["items"][0];
    let expected_kk =
        fill(&ftl("kk", "notice-draft-sign-subject"), &[("title", "Келісу тәртібі туралы")]);
    assert_eq!(item["subject"], expected_kk.as_str(), "{kk}");
    assert!(!item["body"].as_str().unwrap().contains("О порядке"), "no Russian in Kazakh: {item}");
    assert_eq!(item["link"], format!("/drafts/{id}"));

    // The same stored notice, read after switching to Russian, is Russian throughout.
    let ru = inbox(&server, "devhead", "ru");
    let expected_ru =
        fill(&ftl("ru", "notice-draft-sign-subject"), &[("title", "О порядке согласования")]);
    assert_eq!(ru["items"][0]["subject"], expected_ru.as_str(), "{ru}");
    assert_eq!(ru["items"][0]["id"], item["id"], "one notice, shown twice");

    // The inbox page renders it in the page's language too.
    let head = server.signed_in("devhead");
    head.patch_json("/api/v1/me", &json!({"lang": "kk"}));
    let page = head.get("/inbox");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&expected_kk), "{}", page.body);
    assert!(page.body.contains(&ftl("kk", "inbox-read-all")), "mark-all-read offered");

    // Mark all read (HTML form): the count drops to zero and the button goes.
    let token = head.csrf().expect("signed in");
    let res = head.post_form("/inbox/read-all", &[("csrf", &token)]);
    assert_eq!(res.status, 303, "{}", res.body);
    let after = inbox(&server, "devhead", "kk");
    assert_eq!(after["unread"], 0, "{after}");
    assert!(after["items"].as_array().unwrap().iter().all(|i| i["read"] == true), "{after}");
    assert!(!head.get("/inbox").body.contains(&ftl("kk", "inbox-read-all")));
    // Another head's notice is untouched by it.
    assert_eq!(inbox(&server, "devhead2", "en")["unread"], 1);
    let api = server.signed_in("devhead2");
    let (status, body) = api.post_json("/api/v1/inbox/read-all", &json!({}));
    assert_eq!((status, body["marked"].as_u64()), (200, Some(1)), "{body}");

    // The live stream tells a Kazakh reader about a new notice in Kazakh.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let (base, cookie) = (server.base_url(), head.cookie_header_value().unwrap());
    std::thread::spawn(move || {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut res =
            agent.get(format!("{base}/api/v1/events")).header("cookie", cookie).call().unwrap();
        use std::io::BufRead;
        for line in std::io::BufReader::new(res.body_mut().as_reader()).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the stream opens");
    let res = post_parts(
        &dev,
        "/api/v1/drafts",
        &[meta(
            &json!({"title": "О сроках", "title_kk": "Мерзімдер туралы", "approving": ["FIN"]}),
        )],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let live_kk = fill(&ftl("kk", "notice-draft-sign-subject"), &[("title", "Мерзімдер туралы")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut heard = None;
    while heard.is_none() && std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(500))
            && let Some(data) = line.strip_prefix("data: ")
        {
            let event: Value = serde_json::from_str(data).unwrap();
            if event["kind"] == "inbox" && event.get("subject").is_some() {
                heard = Some(event);
            }
        }
    }
    let heard = heard.expect("an inbox event with the new notice's subject");
    assert_eq!(heard["subject"], live_kk.as_str(), "{heard}");

    let entries = server.audit_entries();
    assert!(
        entries.iter().any(|e| e["operation"] == "inbox.mark_all_read" && e["outcome"] == "ok"),
        "mark-all-read is logged under its own name"
    );
}

/// The inbox is paged newest first: 50 notices on a page with a link to the older ones, and
/// `before`/`limit` in the API (refused when they are not whole numbers). Before, the page
/// showed the newest 200 and nothing older could be reached.
#[test]
fn the_inbox_is_paged_newest_first_and_older_notices_stay_reachable() {
    let server = Server::start();
    server.add_agency("FIN");
    server.add_digital_ministry();
    server.add_user("dev", "DEV", &["employee"]);
    server.add_user("devhead", "DEV", &["employee", "head"]);
    let dev = server.signed_in("dev");
    // Each draft posted asks the head to sign it: 51 notices.
    for i in 0..51 {
        let title = format!("Проект {i}");
        let res = post_parts(
            &dev,
            "/api/v1/drafts",
            &[meta(&json!({"title": title, "text": "Бірінші бап.", "approving": ["FIN"]}))],
            &[],
        );
        assert_eq!(res.status, 201, "{}", res.body);
    }
    let head = server.signed_in("devhead");
    let ids = |query: &str| -> Vec<u64> {
        let (status, body) = head.get_json(&format!("/api/v1/inbox{query}"));
        assert_eq!(status, 200, "{query}: {body}");
        body["items"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect()
    };
    let all = ids("");
    assert_eq!(all.len(), 51);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first: {all:?}");
    assert_eq!(ids("?limit=2"), all[..2]);
    assert_eq!(ids(&format!("?limit=2&before={}", all[1])), all[2..4]);
    assert_eq!(ids(&format!("?before={}", all[50])), Vec::<u64>::new());
    for bad in ["?limit=two", "?before=-1"] {
        let (status, body) = head.get_json(&format!("/api/v1/inbox{bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // The page: the newest 50, then a link to the 51st.
    let item = |id: u64| format!("action=\"/inbox/{id}\"");
    let first = head.get("/inbox");
    assert_eq!(first.status, 200);
    assert!(first.body.contains(&item(all[49])) && !first.body.contains(&item(all[50])));
    let older = format!("/inbox?before={}", all[49]);
    assert!(first.body.contains(&format!("href=\"{older}\"")), "{}", first.body);
    let second = head.get(&older);
    assert!(second.body.contains(&item(all[50])) && !second.body.contains(&item(all[49])));
    assert!(!second.body.contains("/inbox?before="), "no older page after the last");
    assert_eq!(head.get("/inbox?before=x").status, 200, "the page reads its links leniently");
}
