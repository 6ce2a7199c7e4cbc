//! Government meetings end to end (I385 §38–§47) through the real server: the agenda with
//! its materials signed by the responsible officer with an `openssl cms` signature over the
//! manifest and published to the members by inbox and mail; a change after publishing as a
//! new signed version with the earlier one still readable; a material changed after signing
//! named in an invalid signature; forbidden steps 403 (or 404 for a stranger) and logged.
//! Mail goes to a real SMTP server; time moves with the controllable clock. One server is
//! shared by the scenarios.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::common::Server;
use crate::common::client::Client;
use crate::common::documents::{self, post_parts};
use crate::common::smtp::Smtp;
use crate::drafts_world::{openssl_cms_sign, post_cms};
use crate::signatures::pki::{person, pki};

pub(crate) struct World {
    pub server: Server,
    pub smtp: Smtp,
}

const PEOPLE: &[(&str, &str, &[&str])] = &[
    ("okdo.a", "GOV", &["employee", "okdo_officer"]),
    ("okdo.b", "GOV", &["employee", "okdo_officer"]),
    ("mne.head", "MNE", &["employee", "head"]),
    ("fin.head", "FIN", &["employee", "head"]),
    ("kpm.head", "KPM", &["employee", "head"]),
    ("mne.deputy", "MNE", &["employee"]),
    ("stranger", "FIN", &["employee"]),
];

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let world = start_world();
        // A static is never dropped: end its processes with the test binary.
        crate::common::end_at_exit(world.smtp.pid());
        if let Some(pid) = world.server.pid() {
            crate::common::end_at_exit(pid);
        }
        world
    })
}

/// A server with the agencies, people and certificates of these scenarios, and its SMTP
/// server; scenarios that move the clock start their own.
pub(crate) fn start_world() -> World {
    let smtp = Smtp::start();
    let server = Server::builder()
        .controllable_clock()
        .mail_to(smtp.port)
        .env("IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP", "1000")
        .start();
    for a in ["GOV", "MNE", "FIN", "KPM"] {
        server.add_agency(a);
    }
    let p = pki();
    let (root, inter) = (p.path("root/cert.pem"), p.path("inter/cert.pem"));
    server.cli(&["trust", "add", root.to_str().unwrap(), inter.to_str().unwrap()], None).ok();
    server.cli(&["trust", "crl", p.path("root/crl.pem").to_str().unwrap()], None).ok();
    server.cli(&["trust", "crl", p.path("inter/crl.pem").to_str().unwrap()], None).ok();
    for (login, agency, roles) in PEOPLE {
        let email = format!("{login}@ipgo.test");
        let mut args = vec!["user", "add", "--login", login, "--agency", agency, "--email", &email];
        args.push("--password-stdin");
        for r in *roles {
            args.extend(["--role", r]);
        }
        server.cli(&args, Some(crate::common::PASSWORD)).ok();
        if roles.contains(&"okdo_officer") || roles.contains(&"head") || *login == "mne.deputy" {
            let (cert, _) = person(&format!("meetings-{login}"));
            let register = ["cert", "register", "--login", login, cert.to_str().unwrap()];
            server.cli(&register, None).ok();
        }
    }
    // The clock starts at the real time: openssl stamps signatures with it, and the test
    // CRLs are fresh for 7 days.
    World { server, smtp }
}

/// A day `days` after today in Astana: (`YYYY-MM-DD`, `DD.MM.YYYY`).
fn day_after(days: i64) -> (String, String) {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    let d = t.in_tz("Asia/Almaty").unwrap().date();
    (d.to_string(), d.strftime("%d.%m.%Y").to_string())
}

pub(crate) fn ok(r: (u16, Value), status: u16) -> Value {
    assert_eq!(r.0, status, "{}", r.1);
    r.1
}

/// A CMS signature by `login` (its registered demo certificate) over `content`.
pub(crate) fn sign_as(login: &str, content: &[u8]) -> Vec<u8> {
    let (cert, key) = person(&format!("meetings-{login}"));
    openssl_cms_sign(&cert, &key, content)
}

/// Posts a document readable by everyone; returns its id.
pub(crate) fn post_document(c: &Client, title: &str, file: (&str, &[u8])) -> u64 {
    let res = documents::post(
        c,
        &json!({"title": title, "text": format!("{title}.\n"), "access": "all"}),
        &[(file.0, file.1.to_vec())],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    res.json()["id"].as_u64().unwrap()
}

fn create_meeting(okdo: &Client, title: &str, starts: &str) -> u64 {
    let input = json!({"title": title, "starts_at": starts, "place": "",
        "members": ["mne.head", "fin.head", "kpm.head"], "invited": ["okdo.b"]});
    ok(okdo.post_json("/api/v1/meetings", &input), 201)["id"].as_u64().unwrap()
}

/// Signs the meeting's current unsigned agenda as `login`.
pub(crate) fn sign_agenda(c: &Client, login: &str, id: u64) -> (u16, Value) {
    let path = format!("/api/v1/meetings/{id}/agenda/signature");
    post_cms(c, &path, sign_as(login, &manifest_bytes(c, id)))
}

pub(crate) fn manifest_bytes(c: &Client, id: u64) -> Vec<u8> {
    let (status, _, body) = c.get_bytes(&format!("/api/v1/meetings/{id}/agenda/manifest"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    body
}

#[test]
fn i385_s38_s41_the_agenda_is_signed_published_and_changed_as_a_new_version() {
    let w = world();
    let s = &w.server;
    let okdo = s.signed_in("okdo.a");
    let other_okdo = s.signed_in("okdo.b");
    let head = s.signed_in("mne.head");
    let stranger = s.signed_in("stranger");

    let plan = "Жоба мәтіні: цифрландыру туралы қаулы\n".as_bytes().to_vec();
    let note = "Пояснительная записка к вопросу".as_bytes().to_vec();
    let doc1 = post_document(&okdo, "Проект постановления о цифровизации", ("proekt.txt", &plan));
    let doc2 = post_document(&okdo, "Справка Министерства финансов", ("spravka.txt", &note));

    // Only an OKDO officer creates a meeting; bad input is refused by field.
    let (day, shown) = day_after(3);
    let starts = format!("{day}T10:00");
    let input = json!({"title": "Заседание", "starts_at": starts, "members": ["mne.head"]});
    ok(head.post_json("/api/v1/meetings", &input), 403);
    let mut bad = input.clone();
    bad["members"] = json!(["mne.deputy"]);
    let e = ok(okdo.post_json("/api/v1/meetings", &bad), 400);
    assert_eq!((e["field"].as_str(), e["detail"].as_str()), (Some("members"), Some("mne.deputy")));
    bad = input.clone();
    bad["starts_at"] = json!(format!("{}T10:00", day_after(-1).0));
    assert_eq!(ok(okdo.post_json("/api/v1/meetings", &bad), 400)["field"], "starts_at");

    let id = create_meeting(&okdo, "Заседание Правительства Республики Казахстан", &starts);
    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(m["starts_at"], format!("{day}T05:00:00.000000Z"), "10:00 Astana time");
    // One `members` in the answer, the list of people (issue 20 point 1: the summary's count
    // was flattened in beside it, a duplicate key that a parser may read either way).
    let raw = okdo.get(&format!("/api/v1/meetings/{id}")).body;
    assert_eq!(raw.matches("\"members\":").count(), 1, "{raw}");
    assert!(m["members"].is_array(), "{}", m["members"]);
    assert_eq!(
        (m["videoconference"].as_bool(), m["responsible"]["login"].as_str()),
        (Some(true), Some("okdo.a"))
    );
    // A stranger may not even learn that the meeting exists.
    ok(stranger.get_json(&format!("/api/v1/meetings/{id}")), 404);

    // Nothing to sign yet; the agenda is composed with its materials.
    assert_eq!(okdo.get_bytes(&format!("/api/v1/meetings/{id}/agenda/manifest")).0, 409);
    let agenda = json!({"questions": [
        {"title": "О проекте постановления о цифровизации государственных услуг", "materials": [doc1]},
        {"title": "О ходе исполнения республиканского бюджета", "materials": [doc2]},
    ]});
    ok(head.post_json(&format!("/api/v1/meetings/{id}/agenda"), &agenda), 403);
    let e = ok(
        okdo.post_json(&format!("/api/v1/meetings/{id}/agenda"), &json!({"questions": []})),
        400,
    );
    assert_eq!(e["field"], "questions");
    let m = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/agenda"), &agenda), 200);
    assert_eq!(
        (m["agenda"]["version"].as_u64(), m["agenda"]["published"].as_bool()),
        (Some(1), Some(false))
    );
    // Members see no unsigned agenda.
    let seen = ok(head.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert!(seen["agenda"].is_null(), "{seen}");

    // The manifest names every question and the sha256 of every material.
    let manifest = String::from_utf8(manifest_bytes(&okdo, id)).unwrap();
    assert!(
        manifest.starts_with(&format!("IPGO-MEETING-AGENDA 1\nmeeting: {id}\nagenda-version: 1\n"))
    );
    assert!(
        manifest
            .contains("question 1: О проекте постановления о цифровизации государственных услуг\n")
    );
    assert!(manifest.contains("question 2: О ходе исполнения республиканского бюджета\n"));
    assert!(
        manifest.contains(&format!(
            "sha256={} size={} name=proekt.txt",
            documents::sha256(&plan),
            plan.len()
        )),
        "{manifest}"
    );
    assert!(manifest.contains(&format!(
        "sha256={} size={} name=spravka.txt",
        documents::sha256(&note),
        note.len()
    )));

    // Only the responsible officer signs; a signature over other bytes is refused.
    let refused = post_cms(
        &other_okdo,
        &format!("/api/v1/meetings/{id}/agenda/signature"),
        sign_as("okdo.b", manifest.as_bytes()),
    );
    assert_eq!(refused.0, 403, "{}", refused.1);
    let wrong = post_cms(
        &okdo,
        &format!("/api/v1/meetings/{id}/agenda/signature"),
        sign_as("okdo.a", b"another text"),
    );
    assert_eq!(
        (wrong.0, wrong.1["code"].as_str()),
        (422, Some("signature_rejected")),
        "{}",
        wrong.1
    );
    let m = ok(sign_agenda(&okdo, "okdo.a", id), 200);
    assert_eq!(m["agenda"]["signature"]["status"], "valid", "{m}");
    assert_eq!(m["agenda_version"], 1);

    // Published: members are told by mail and inbox, with the link.
    let mail = w.smtp.wait_for_mail("mne.head@ipgo.test", "Повестка заседания");
    assert!(mail["body"].as_str().unwrap().contains(&format!("{shown} 10:00")), "{mail}");
    w.smtp.wait_for_mail("kpm.head@ipgo.test", "Повестка заседания");
    let inbox = ok(head.get_json("/api/v1/inbox"), 200);
    assert!(inbox.to_string().contains(&format!("/meetings/{id}")), "{inbox}");
    let seen = ok(head.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(seen["agenda"]["questions"].as_array().unwrap().len(), 2);
    assert_eq!(seen["actions"], json!(["answer"]), "a member composes nothing, answers");
    // Signing twice is refused.
    let again = post_cms(
        &okdo,
        &format!("/api/v1/meetings/{id}/agenda/signature"),
        sign_as("okdo.a", manifest.as_bytes()),
    );
    assert_eq!(again.0, 409, "{}", again.1);

    // A change after publishing is a new version; members keep reading version 1 until the
    // new one is signed, then are told what changed.
    let changed = json!({"questions": [
        {"title": "О проекте постановления о цифровизации государственных услуг", "materials": [doc1]},
        {"title": "О ходе исполнения республиканского бюджета", "materials": [doc2]},
        {"title": "Разное"},
    ], "changes": "Добавлен вопрос «Разное»"});
    let m = ok(okdo.post_json(&format!("/api/v1/meetings/{id}/agenda"), &changed), 200);
    assert_eq!(m["agenda"]["version"], 2);
    assert_eq!(ok(head.get_json(&format!("/api/v1/meetings/{id}")), 200)["agenda"]["version"], 1);
    ok(sign_agenda(&okdo, "okdo.a", id), 200);
    let mail = w.smtp.wait_for_mail("fin.head@ipgo.test", "Изменена повестка");
    assert!(mail["body"].as_str().unwrap().contains("Добавлен вопрос «Разное»"), "{mail}");
    let seen = ok(head.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(seen["agenda"]["version"], 2);
    let versions: Vec<u64> = seen["agenda_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1], "the earlier version stays readable");

    // A material changed after signing: the signature shows invalid and names it.
    let res = post_parts(
        &okdo,
        &format!("/api/v1/documents/{doc2}/versions"),
        &[documents::meta(
            &json!({"title": "Справка Министерства финансов", "text": "Уточнено.\n", "base_version": 1}),
        )],
        &[],
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let seen = ok(head.get_json(&format!("/api/v1/meetings/{id}")), 200);
    let sig = &seen["agenda"]["signature"];
    assert_eq!(sig["status"], "invalid", "{seen}");
    assert_eq!(sig["changed"], json!(["2.1 Справка Министерства финансов"]));

    // The pages: list and meeting, as a member.
    let page = head.get(&format!("/meetings/{id}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Разное") && page.body.contains("Материалы изменены после подписания")
    );
    let list = head.get("/meetings");
    assert!(list.body.contains("Заседание Правительства Республики Казахстан"));
    assert!(
        !stranger.get("/meetings").body.contains("Заседание Правительства Республики Казахстан")
    );

    // Forbidden steps are in the access log as denials.
    let log = s.audit_entries();
    let denied: Vec<&str> = log
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .filter_map(|e| e["operation"].as_str())
        .filter(|o| o.starts_with("meeting."))
        .collect();
    for op in ["meeting.create", "meeting.read", "meeting.manage", "meeting.sign"] {
        assert!(denied.contains(&op), "{op} denied in {denied:?}");
    }
    assert!(log.iter().any(|e| e["operation"] == "meeting.sign_agenda" && e["outcome"] == "ok"));
}

/// A refused page form, as the forms pattern (`web::forms`, issue 21) wants it: the same page
/// (not the error page) with a 4xx status, the summary and the message under the field's
/// own label, the field marked and focused, every value typed still there.
fn refused_form(what: &str, res: &crate::common::client::Resp, label_key: &str, kept: &[&str]) {
    use crate::common::ftl;
    assert!((400..500).contains(&res.status), "{what}: status {}\n{}", res.status, res.body);
    let body = &res.body;
    assert!(
        !body.contains(&format!("<h1>{}</h1>", ftl("ru", "error-title"))),
        "{what}: error page"
    );
    assert!(body.contains("class=\"error-summary\""), "{what}: no summary:\n{body}");
    let label = ftl("ru", label_key);
    let label = label.split(" {").next().unwrap().replace('"', "&quot;");
    assert!(body.contains(&label), "{what}: the label {label:?}");
    assert!(body.contains(" autofocus") && body.contains("aria-invalid=\"true\""), "{what}");
    assert!(body.contains("class=\"field-error\""), "{what}: the message by the field");
    for value in kept {
        let value = value.replace('&', "&amp;").replace('"', "&quot;");
        assert!(body.contains(&value), "{what}: {value:?} was lost:\n{body}");
    }
    for address in ["?csrf=", "&csrf=", "&amp;csrf="] {
        assert!(!body.contains(address), "{what}: a token in an address");
    }
}

/// Issue 12 with issue 21: every form of the meetings pages refused comes back with what was
/// typed — the new meeting (time passed, a member who is not a head, a quorum that is not a
/// number), the agenda (a line that cannot be read), the signature of the agenda (a file that
/// is no signature), the attendance answer (absent without a reason, in both the "text to
/// sign" button and the signed answer, and the answer without its signature file).
#[test]
fn issue21_refused_meeting_forms_keep_what_was_typed() {
    use crate::common::documents::Part;
    let w = world();
    let okdo = w.server.signed_in("okdo.a");
    let head = w.server.signed_in("kpm.head");
    let submit = |c: &Client, path: &str, fields: &[(&str, &str)]| {
        let token = c.csrf().unwrap();
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        c.post_form(path, &all)
    };
    let (day, _) = day_after(4);
    let starts = format!("{day}T11:30");
    let form = |starts: &str, members: &str, quorum: &str| {
        vec![
            ("title".to_owned(), "Заседание «формы»".to_owned()),
            ("starts_at".to_owned(), starts.to_owned()),
            ("place".to_owned(), "Зал № 3".to_owned()),
            ("members".to_owned(), members.to_owned()),
            ("invited".to_owned(), "okdo.b".to_owned()),
            ("majority".to_owned(), "two_thirds".to_owned()),
            ("quorum_percent".to_owned(), quorum.to_owned()),
        ]
    };
    let post = |f: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        submit(&okdo, "/meetings", &pairs)
    };
    let kept = ["Заседание «формы»", "Зал № 3", "okdo.b"];
    let res = post(form("2020-01-01T10:00", "mne.head, fin.head", "60"));
    refused_form("a time passed", &res, "meeting-starts", &kept);
    assert!(
        res.body.contains("value=\"2020-01-01T10:00\"") && res.body.contains("mne.head, fin.head")
    );
    assert!(res.body.contains("value=\"two_thirds\" selected"), "the rule chosen is kept");
    let res = post(form(&starts, "mne.head, mne.deputy", "60"));
    refused_form("not a head", &res, "meeting-members", &kept);
    assert!(res.body.contains("mne.deputy"), "the member named");
    let res = post(form(&starts, "mne.head", "много"));
    refused_form("quorum", &res, "meeting-quorum", &kept);
    assert!(res.body.contains("value=\"много\""));
    // Not mne.head: the agenda scenario waits for mne.head's first agenda mail.
    let res = post(form(&starts, "fin.head, kpm.head", "60"));
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    assert!(location.contains("done=done-meeting-created"), "{location}");
    let id: u64 =
        location.trim_start_matches("/meetings/").split('?').next().unwrap().parse().unwrap();
    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(
        (m["title"].as_str(), m["place"].as_str()),
        (Some("Заседание «формы»"), Some("Зал № 3"))
    );

    // The agenda: a line whose material is not a number.
    let lines = "О цифровизации | 12, x\nРазное";
    let res = submit(
        &okdo,
        &format!("/meetings/{id}/act/agenda"),
        &[("questions", lines), ("changes", "")],
    );
    refused_form("agenda line", &res, "meeting-questions", &["О цифровизации | 12, x\nРазное"]);
    assert!(res.body.contains("type=\"file\" multiple"), "a new file goes in on the form itself");
    let doc = post_document(&okdo, "Справка к заседанию", ("spravka.txt", b"spravka\n"));
    let lines = format!("О цифровизации | {doc}\nРазное");
    let res = submit(
        &okdo,
        &format!("/meetings/{id}/act/agenda"),
        &[("questions", &lines), ("changes", "")],
    );
    assert_eq!(res.status, 303, "{}", res.body);

    // The signature of the agenda: a file that is no signature of the manifest.
    let part = |name: &'static str, value: &str| Part {
        name,
        file_name: None,
        content_type: "text/plain",
        bytes: value.as_bytes().to_vec(),
    };
    let file = |bytes: Vec<u8>| Part {
        name: "signature",
        file_name: Some("s.p7s"),
        content_type: "application/pkcs7-signature",
        bytes,
    };
    let res = post_parts(
        &okdo,
        &format!("/meetings/{id}/act/sign"),
        &[part("csrf", &okdo.csrf().unwrap()), file(sign_as("okdo.a", b"not the manifest"))],
        &[],
    );
    refused_form("agenda signature", &res, "meeting-signature-file", &[]);
    ok(sign_agenda(&okdo, "okdo.a", id), 200);

    // Attendance: "will not attend" without a reason, through the text button and the
    // signed answer; then the answer without its file.
    let fields = [("answer", "absent"), ("reason", ""), ("substitute", "mne.deputy")];
    let res = submit(&head, &format!("/meetings/{id}/act/answer_text"), &fields);
    refused_form("absent without a reason (text)", &res, "meeting-reason", &["mne.deputy"]);
    assert!(res.body.contains("value=\"absent\" checked"), "the answer chosen is kept");
    let res = post_parts(
        &head,
        &format!("/meetings/{id}/act/answer"),
        &[
            part("csrf", &head.csrf().unwrap()),
            part("answer", "absent"),
            part("reason", ""),
            part("substitute", "mne.deputy"),
            file(sign_as("kpm.head", b"whatever")),
        ],
        &[],
    );
    refused_form("absent without a reason (signed)", &res, "meeting-reason", &["mne.deputy"]);
    assert!(res.body.contains(&crate::common::ftl("ru", "meeting-choose-file-again")));
    let res = post_parts(
        &head,
        &format!("/meetings/{id}/act/answer"),
        &[
            part("csrf", &head.csrf().unwrap()),
            part("answer", "absent"),
            part("reason", "Командировка в г. Шымкент"),
            part("substitute", "mne.deputy"),
        ],
        &[],
    );
    refused_form(
        "no signature file",
        &res,
        "meeting-signature-file",
        &["Командировка в г. Шымкент", "mne.deputy"],
    );
}

/// Issue 12 point 1 (I385 §39: materials are documents of the portal "or new files"): a new
/// file chosen on the agenda's own form is posted as a document through the documents
/// service and attached to the question named, in one submission; its sha256 is in the
/// manifest the officer signs and the members read it. A refused file is refused as any
/// upload (named, the reason in words) with everything typed kept; an agenda refused before
/// the file is posted (no such question, a material that does not exist) leaves no document.
#[test]
fn i385_s39_a_new_file_goes_on_the_agenda_from_its_own_form() {
    use crate::common::documents::{Part, post_form_parts};
    use crate::common::ftl;
    let w = world();
    let okdo = w.server.signed_in("okdo.a");
    let member = w.server.signed_in("fin.head");
    let stranger = w.server.signed_in("stranger");
    let (day, _) = day_after(6);
    let input = json!({"title": "Заседание о бюджете", "starts_at": format!("{day}T15:00"),
        "place": "Зал № 1", "members": ["fin.head", "kpm.head"]});
    let id = ok(okdo.post_json("/api/v1/meetings", &input), 201)["id"].as_u64().unwrap();
    let page = okdo.get(&format!("/meetings/{id}"));
    assert!(page.body.contains("enctype=\"multipart/form-data\" class=\"stack\">"));
    assert!(page.body.contains("type=\"file\" multiple"), "the agenda form takes a file");
    let existing = post_document(&okdo, "Справка к бюджету", ("budget.txt", b"budget\n"));
    let title = "Пояснительная записка к бюджету (новый файл)";
    let titled = |t: &str| {
        let list = ok(okdo.get_json("/api/v1/documents?limit=500"), 200);
        list["documents"].as_array().unwrap().iter().filter(|d| d["title"] == t).count()
    };
    let text = |name: &'static str, value: &str| Part {
        name,
        file_name: None,
        content_type: "text/plain",
        bytes: value.as_bytes().to_vec(),
    };
    let file = |file_name: &'static str, bytes: &[u8]| Part {
        name: "file",
        file_name: Some(file_name),
        content_type: "application/octet-stream",
        bytes: bytes.to_vec(),
    };
    let act = format!("/meetings/{id}/act/agenda");
    let lines = format!("О бюджете на 2027 год | {existing}\nРазное");

    // A program named `.pdf`: refused as a document upload is, nothing typed lost.
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00program";
    let parts = |question: &str, file_part: Part<'static>| {
        vec![
            text("questions", &lines),
            text("material_question", question),
            text("title", title),
            file_part,
            text("changes", ""),
        ]
    };
    let res = post_form_parts(&okdo, &act, parts("1", file("zapiska.pdf", elf)));
    refused_form("a program as a material", &res, "meeting-material-file", &[&lines, title]);
    assert_eq!(res.status, 415);
    let reason = ftl("ru", "file-mismatch-program")
        .replace("{ $file }", "zapiska.pdf")
        .replace("{ $claimed }", "PDF");
    assert!(res.body.contains(&reason), "the file and why, in words:\n{}", res.body);
    assert!(res.body.contains(&ftl("ru", "meeting-choose-material-again")));
    assert!(
        res.body
            .contains("id=\"f-agenda-material-question\" name=\"material_question\" value=\"1\""),
        "the question number is kept"
    );

    // The agenda refused before the file is posted: no document is left behind.
    let note = "Бюджет: пояснения к статьям расходов.\n".as_bytes();
    let res = post_form_parts(&okdo, &act, parts("3", file("zapiska.txt", note)));
    refused_form("no such question", &res, "meeting-material-question", &[&lines, title]);
    let bad_lines = "О бюджете | 999999\nРазное";
    let mut bad = parts("1", file("zapiska.txt", note));
    bad[0] = text("questions", bad_lines);
    let res = post_form_parts(&okdo, &act, bad);
    refused_form("a material that does not exist", &res, "meeting-questions", &[bad_lines]);
    let unknown = ftl("ru", "meeting-material-unknown").replace("{ $id }", "999999");
    assert!(res.body.contains(&unknown), "the number named, in words:\n{}", res.body);
    assert_eq!(titled(title), 0, "a refused agenda posts no document");
    assert!(ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200)["agenda"].is_null());

    // Accepted: one submission posts the document and attaches it to question 2.
    let res = post_form_parts(&okdo, &act, parts("2", file("zapiska.txt", note)));
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(res.header("location").unwrap().contains("done=done-meeting-saved"));
    assert_eq!(titled(title), 1, "exactly one document");
    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200);
    let questions = m["agenda"]["questions"].as_array().unwrap();
    assert_eq!(questions[0]["materials"][0]["document_id"].as_u64(), Some(existing));
    let material = &questions[1]["materials"][0];
    assert_eq!((material["title"].as_str(), material["files"].as_u64()), (Some(title), Some(1)));
    let doc = material["document_id"].as_u64().unwrap();
    let manifest = String::from_utf8(manifest_bytes(&okdo, id)).unwrap();
    let pinned = format!("sha256={} size={} name=zapiska.txt", documents::sha256(note), note.len());
    assert!(manifest.contains(&pinned), "the new file is pinned in the manifest:\n{manifest}");
    // The members read it as posted; a stranger does not.
    let d = ok(member.get_json(&format!("/api/v1/documents/{doc}")), 200);
    let file_id = d["versions"][0]["files"][0]["id"].as_u64().unwrap();
    let path = format!("/api/v1/documents/{doc}/versions/1/files/{file_id}");
    let (status, _, bytes) = documents::download(&member, &path);
    assert_eq!((status, bytes.as_slice()), (200, note));
    assert!(stranger.get_json(&format!("/api/v1/documents/{doc}")).0 >= 403);
    // Both steps are in the access log: the document posted and the agenda composed.
    let log = w.server.audit_entries();
    let created =
        |e: &&Value| e["operation"] == "document.create" && e["detail"]["document_id"] == doc;
    assert_eq!(log.iter().filter(created).count(), 1, "the document posted once");
    assert!(log.iter().any(|e| e["operation"] == "meeting.agenda" && e["detail"]["meeting"] == id));

    // Without a file (a browser sends the empty input), the form composes the agenda alone;
    // a typed title with no file posts nothing; the file's name is the title when none.
    let again = format!("{}\nРазное | {doc}", lines.lines().next().unwrap());
    let mut parts2 = parts("", file("", b""));
    parts2[0] = text("questions", &again);
    parts2[2] = text("title", "Без файла");
    let res = post_form_parts(&okdo, &act, parts2);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(titled("Без файла"), 0);
    let mut parts3 = parts("", file("Справка № 2.txt", b"second\n"));
    parts3[0] = text("questions", "Единственный вопрос");
    parts3[2] = text("title", "");
    let res = post_form_parts(&okdo, &act, parts3);
    assert_eq!(res.status, 303, "one question: no number needed\n{}", res.body);
    let m = ok(okdo.get_json(&format!("/api/v1/meetings/{id}")), 200);
    assert_eq!(m["agenda"]["questions"][0]["materials"][0]["title"], "Справка № 2.txt");
}
