//! Answering surveys on the pages, without JavaScript, through the real server (I385 §7.8;
//! issue 16 point 2; forms pattern of issue 21). One section per page with its progress;
//! a refused page comes back with every answer kept and the reason under the question in
//! the reader's language (kk and ru), focus on it; "back" keeps the answers; a page left
//! out by an earlier answer is skipped; the answers of an anonymous survey travel in the
//! form only (no draft row ever), a named survey's draft survives a new session and goes
//! with the submission; a second answer is refused.

use serde_json::{Value, json};

use crate::common::installation::read_database;
use crate::common::{Server, ftl};

fn design(anonymity: &str, opens: &str, closes: &str) -> Value {
    let t = |ru: &str, kk: &str| json!({"ru": ru, "kk": kk});
    json!({
        "title": t("Бланк на страницах", "Беттердегі сауалнама"),
        "anonymity": anonymity,
        "audience": {"everyone": true},
        "opens_at": opens,
        "closes_at": closes,
        "sections": [
            {"title": t("Общее", "Жалпы"), "questions": [
                {"key": "q1", "type": "single", "required": true,
                 "text": t("Довольны ли вы?", "Қанағаттанасыз ба?"),
                 "options": [t("Да", "Иә"), t("Нет", "Жоқ")]},
                {"key": "q2", "type": "multiple", "max": 2,
                 "text": t("Что важно?", "Не маңызды?"),
                 "options": [t("Зарплата", "Жалақы"), t("Коллектив", "Ұжым"), t("График", "Кесте")]}
            ]},
            {"title": t("Почему нет", "Неге жоқ"), "questions": [
                {"key": "q3", "type": "long_text", "text": t("Почему?", "Неге?"),
                 "show_if": {"question": "q1", "any_of": ["2"]}}
            ]},
            {"title": t("Оценки", "Бағалар"), "questions": [
                {"key": "q4", "type": "matrix", "max": 5, "required": true,
                 "text": t("Оцените", "Бағалаңыз"),
                 "rows": [t("Кабинет", "Кабинет"), t("Техника", "Техника")]},
                {"key": "q5", "type": "number", "min": 18, "max": 70, "text": t("Возраст", "Жасы")}
            ]}
        ]
    })
}

fn post(
    c: &crate::common::client::Client,
    id: u64,
    fields: &[(&str, &str)],
) -> crate::common::client::Resp {
    let token = c.csrf().expect("signed in");
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    c.post_form(&format!("/surveys/{id}/answer"), &all)
}

fn progress(lang: &str, step: u32, steps: u32) -> String {
    ftl(lang, "survey-page-progress")
        .replace("{ $step }", &step.to_string())
        .replace("{ $steps }", &steps.to_string())
}

#[test]
fn surveys_are_answered_page_by_page_without_losing_an_answer() {
    let mut server = Server::builder().controllable_clock().start();
    server.add_agency("SPA");
    server.add_user("sp-author", "SPA", &["hr_officer"]);
    server.add_user("sp-kk", "SPA", &["employee"]);
    server.add_user("sp-ru", "SPA", &["employee"]);
    let (status, _) = server.signed_in("sp-kk").patch_json("/api/v1/me", &json!({"lang": "kk"}));
    assert_eq!(status, 200);
    let t0 = server.advance_clock("1s");
    let closes = (t0 + jiff::SignedDuration::from_hours(48)).to_string();
    let author = server.signed_in("sp-author");
    let mut ids = Vec::new();
    for anonymity in ["anonymous", "named"] {
        let (status, s) =
            author.post_json("/api/v1/surveys", &design(anonymity, &t0.to_string(), &closes));
        assert_eq!(status, 201, "{s}");
        let id = s["id"].as_u64().unwrap();
        let (status, _) = author.post_json(&format!("/api/v1/surveys/{id}/open"), &json!({}));
        assert_eq!(status, 200);
        ids.push(id);
    }
    let (anon, named) = (ids[0], ids[1]);

    // --- Anonymous, in Kazakh ---------------------------------------------------------
    let kk = server.signed_in("sp-kk");
    // The start page and the inbox tell the audience of the open surveys.
    let home = kk.get("/");
    assert!(home.body.contains(&ftl("kk", "dashboard-surveys")), "{}", home.body);
    assert!(home.body.contains(&format!("<a href=\"/surveys/{anon}\">")));
    let inbox_links = |c: &crate::common::client::Client| -> Vec<String> {
        let (_, inbox) = c.get_json("/api/v1/inbox");
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["link"].as_str().unwrap().to_owned())
            .collect()
    };
    let links = inbox_links(&kk);
    assert_eq!(links.iter().filter(|l| **l == format!("/surveys/{anon}")).count(), 1, "{links:?}");
    let list = kk.get("/surveys");
    assert!(
        list.body.contains(&format!("href=\"/surveys/{anon}\"")),
        "an open survey links to its pages"
    );
    let first = kk.get(&format!("/surveys/{anon}"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("lang=\"kk\""));
    assert!(first.body.contains(&progress("kk", 1, 2)), "page 1 of 2 while nothing shows q3");
    assert!(first.body.contains("Қанағаттанасыз ба?") && !first.body.contains("Неге?"));
    assert!(first.body.contains(&ftl("kk", "survey-page-anonymous")));
    assert_eq!(first.body.matches("<script").count(), 1, "no script but the layout's optional one");
    // A required question left empty, three options where two at most: the page comes back
    // with the reason under the question, in Kazakh, the choices kept, focus on it.
    let refused =
        post(&kk, anon, &[("section", "0"), ("nav", "next"), ("a.q2", "1"), ("a.q2", "3")]);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains(&ftl("kk", "survey-answer-required")), "{}", refused.body);
    assert!(refused.body.contains("id=\"f-answer-a-q1-error\""), "the message is by the question");
    assert!(
        refused.body.contains("name=\"a.q1\" value=\"1\" autofocus"),
        "focus on the first wrong question"
    );
    assert!(refused.body.contains("name=\"a.q2\" value=\"1\" checked"), "the choices are kept");
    assert!(refused.body.contains("name=\"a.q2\" value=\"3\" checked"));
    let refused = post(
        &kk,
        anon,
        &[
            ("section", "0"),
            ("nav", "next"),
            ("a.q1", "1"),
            ("a.q2", "1"),
            ("a.q2", "2"),
            ("a.q2", "3"),
        ],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains(&ftl("kk", "survey-answer-count")), "{}", refused.body);
    assert!(refused.body.contains("name=\"a.q1\" value=\"1\" checked"));
    // "Yes": the "why not" page is skipped — page 2 of 2 is the ratings, page 1 travels along.
    let second =
        post(&kk, anon, &[("section", "0"), ("nav", "next"), ("a.q1", "1"), ("a.q2", "2")]);
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.contains(&progress("kk", 2, 2)), "{}", second.body);
    assert!(second.body.contains("Бағалаңыз") && !second.body.contains("Неге?"));
    assert!(second.body.contains("<input type=\"hidden\" name=\"a.q1\" value=\"1\">"));
    assert!(second.body.contains("<input type=\"hidden\" name=\"a.q2\" value=\"2\">"));
    assert!(second.body.contains("name=\"section\" value=\"2\""));
    // Back keeps what was answered on both pages.
    let back = post(
        &kk,
        anon,
        &[
            ("section", "2"),
            ("nav", "back"),
            ("a.q1", "1"),
            ("a.q2", "2"),
            ("a.q4.1", "4"),
            ("a.q5", "33"),
        ],
    );
    assert_eq!(back.status, 200);
    assert!(back.body.contains(&progress("kk", 1, 2)), "{}", back.body);
    assert!(back.body.contains("name=\"a.q1\" value=\"1\" checked"));
    assert!(back.body.contains("<input type=\"hidden\" name=\"a.q4.1\" value=\"4\">"));
    assert!(back.body.contains("<input type=\"hidden\" name=\"a.q5\" value=\"33\">"));
    // Submitting with a matrix row left empty: the ratings page, the number kept.
    let all = [("a.q1", "1"), ("a.q2", "2"), ("a.q4.1", "4"), ("a.q5", "33")];
    let mut fields = vec![("section", "2"), ("nav", "submit")];
    fields.extend_from_slice(&all);
    let refused = post(&kk, anon, &fields);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains(&ftl("kk", "survey-answer-required")));
    assert!(refused.body.contains("id=\"f-answer-a-q4-error\""));
    assert!(refused.body.contains("value=\"33\""), "the age is kept");
    fields.push(("a.q4.2", "5"));
    let sent = post(&kk, anon, &fields);
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.header("location"), Some("/surveys?done=done-survey-answered"));
    let again = kk.get(&format!("/surveys/{anon}"));
    assert!(again.body.contains(&ftl("kk", "surveys-answered-already")), "{}", again.body);
    assert!(!again.body.contains("Қанағаттанасыз ба?"), "the questions are not offered again");
    let twice = post(&kk, anon, &fields);
    assert!(twice.body.contains(&ftl("kk", "surveys-answered-already")) && twice.status == 200);
    let (_, results) = author.get_json(&format!("/api/v1/surveys/{anon}/results"));
    assert_eq!(results["responses"], 1, "{results}");
    assert!(!kk.get("/").body.contains(&format!("<a href=\"/surveys/{anon}\">")), "answered: gone");
    // Reminders go to those who have not answered, from the register only; the author
    // learns how many, the log records the count.
    let (status, reminded) =
        author.post_json(&format!("/api/v1/surveys/{anon}/remind"), &json!({}));
    assert_eq!(status, 200, "{reminded}");
    assert!(reminded["reminded"].as_u64().unwrap() >= 1, "{reminded}");
    assert_eq!(
        inbox_links(&kk).iter().filter(|l| **l == format!("/surveys/{anon}")).count(),
        1,
        "no reminder to who answered"
    );
    let ru_links = inbox_links(&server.signed_in("sp-ru"));
    assert_eq!(
        ru_links.iter().filter(|l| **l == format!("/surveys/{anon}")).count(),
        2,
        "opened + reminder: {ru_links:?}"
    );
    let (status, _) =
        server.signed_in("sp-ru").post_json(&format!("/api/v1/surveys/{anon}/remind"), &json!({}));
    assert_eq!(status, 403, "only the author reminds");

    // --- Named, in Russian: the draft survives a new session --------------------------
    let ru = server.signed_in("sp-ru");
    let no = post(&ru, named, &[("section", "0"), ("nav", "next"), ("a.q1", "2")]);
    assert_eq!(no.status, 200, "{}", no.body);
    assert!(no.body.contains(&progress("ru", 2, 3)), "'no' shows the 'why' page: {}", no.body);
    assert!(no.body.contains(&ftl("ru", "survey-page-named")));
    let long = "я".repeat(10_000);
    let refused =
        post(&ru, named, &[("section", "1"), ("nav", "next"), ("a.q1", "2"), ("a.q3", &long)]);
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains(&ftl("ru", "survey-answer-too-long")));
    assert!(refused.body.contains(&long), "10,000 characters refused, not lost");
    let saved =
        post(&ru, named, &[("section", "1"), ("nav", "save"), ("a.q1", "2"), ("a.q3", "Шумно")]);
    assert_eq!(saved.status, 303);
    assert_eq!(saved.header("location"), Some("/surveys?done=done-survey-draft-saved"));
    let later = server.signed_in("sp-ru");
    let resumed = later.get(&format!("/surveys/{named}"));
    assert!(resumed.body.contains(&progress("ru", 2, 3)), "{}", resumed.body);
    assert!(resumed.body.contains(">Шумно</textarea>"), "{}", resumed.body);
    assert!(resumed.body.contains("<input type=\"hidden\" name=\"a.q1\" value=\"2\">"));
    let sent = post(
        &later,
        named,
        &[
            ("section", "2"),
            ("nav", "submit"),
            ("a.q1", "2"),
            ("a.q3", "Шумно"),
            ("a.q4.1", "2"),
            ("a.q4.2", "3"),
        ],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let (_, named_results) = author.get_json(&format!("/api/v1/surveys/{named}/results"));
    assert_eq!(named_results["responses"], 1, "{named_results}");

    // The access log has drafts of the named survey only, and names the survey, no answer.
    let log = server.audit_entries();
    let drafts: Vec<&Value> = log.iter().filter(|e| e["operation"] == "survey.draft").collect();
    assert!(!drafts.is_empty());
    for e in &drafts {
        assert_eq!(e["detail"], json!({"survey": named}), "{e}");
    }
    assert!(!log.iter().any(|e| e.to_string().contains("Шумно")), "no answer in the log");
    server.stop();
    let (rows, _) = read_database(&server);
    let left: Vec<_> = rows.iter().filter(|(t, _, _)| t == "survey_drafts").collect();
    assert!(left.is_empty(), "no draft is left after the submission, none was anonymous: {left:?}");
}

/// The main path in Chromium with script off, at 1024×768, in kk and ru (I385 §7.8; issue
/// 16 "a browser test answers without JavaScript at 1024×768"): from the survey list to the
/// first page, a required question left empty comes back refused with the message in the
/// reader's language and focus on the question, then the answers, the next page with its
/// progress, the matrix, the submission and its confirmation; no page scrolls sideways.
/// The two answers arrive (the results count them).
#[test]
fn surveys_are_answered_in_chromium_without_javascript_at_1024_in_kk_and_ru() {
    use crate::common::browser::Browser;
    use crate::common::{PASSWORD, wait_for};
    let server = Server::builder().controllable_clock().start();
    server.add_agency("SBR");
    server.add_user("br-author", "SBR", &["hr_officer"]);
    for (login, lang) in [("br-kk", "kk"), ("br-ru", "ru")] {
        server.add_user(login, "SBR", &["employee"]);
        let (status, _) = server.signed_in(login).patch_json("/api/v1/me", &json!({"lang": lang}));
        assert_eq!(status, 200);
    }
    let t0 = server.advance_clock("1s");
    let closes = (t0 + jiff::SignedDuration::from_hours(48)).to_string();
    let author = server.signed_in("br-author");
    let (status, s) =
        author.post_json("/api/v1/surveys", &design("anonymous", &t0.to_string(), &closes));
    assert_eq!(status, 201, "{s}");
    let id = s["id"].as_u64().unwrap();
    let (status, _) = author.post_json(&format!("/api/v1/surveys/{id}/open"), &json!({}));
    assert_eq!(status, 200);
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let base = server.base_url();
    for (login, lang) in [("br-kk", "kk"), ("br-ru", "ru")] {
        let browser = Browser::start_with(&[
            "--window-size=1024,768",
            "--blink-settings=scriptEnabled=false",
        ]);
        let fits = |what: &str| {
            let w =
                browser.script("return [document.documentElement.scrollWidth, window.innerWidth];");
            let (sw, iw) = (w[0].as_f64().unwrap(), w[1].as_f64().unwrap());
            assert!(sw <= iw, "{lang} {what}: no horizontal scroll at 1024 px: {w}");
        };
        browser.goto(&format!("{base}/login"));
        browser.type_into("#login", login);
        browser.type_into("#password", PASSWORD);
        browser.click("#sign-in");
        wait_for("signed in", 20, || (!browser.url().contains("/login")).then_some(()));
        browser.goto(&format!("{base}/surveys"));
        assert_eq!(browser.lang(), lang);
        browser.click(&format!("a[href='/surveys/{id}']"));
        wait_for("the first page", 20, || {
            browser.text().contains(&progress(lang, 1, 2)).then_some(())
        });
        fits("first page");
        // Nothing answered: refused, the reason in the reader's language, focus on q1.
        browser.click("button[name='nav'][value='next']");
        wait_for("the refusal", 20, || {
            browser.text().contains(&ftl(lang, "survey-answer-required")).then_some(())
        });
        let focused = browser.script("return document.activeElement.name;");
        assert_eq!(focused.as_str(), Some("a.q1"), "{lang}: focus on the question");
        browser.screenshot(&shots, &format!("survey-refused-{lang}"));
        browser.click("input[name='a.q1'][value='1']");
        browser.click("input[name='a.q2'][value='2']");
        browser.click("button[name='nav'][value='next']");
        // q1 "yes" leaves out the "why not" page: the ratings are page 2 of 2.
        wait_for("the ratings page", 20, || {
            browser.text().contains(&progress(lang, 2, 2)).then_some(())
        });
        fits("ratings page");
        browser.click("input[name='a.q4.1'][value='4']");
        browser.click("input[name='a.q4.2'][value='5']");
        browser.type_into("input[name='a.q5']", "41");
        browser.screenshot(&shots, &format!("survey-ratings-{lang}"));
        browser.click("button[name='nav'][value='submit']");
        wait_for("the confirmation", 20, || {
            browser.text().contains(&ftl(lang, "done-survey-answered")).then_some(())
        });
        fits("confirmation");
    }
    let (status, r) = author.get_json(&format!("/api/v1/surveys/{id}/results"));
    assert_eq!(status, 200, "{r}");
    // Fewer than k answered: an anonymous survey's figures stay hidden, the count shows.
    assert_eq!(r["responses"].as_u64(), Some(2), "{r}");
}
