//! The `ipgo` command line (issue 2 items 1, 3, 4; I617 §20): accounts and agencies are
//! managed the same way whether the server runs (through the admin socket) or not (directly
//! on the data directory), bad input is explained, and every command is logged.

use std::os::unix::fs::PermissionsExt;

use crate::common::{PASSWORD, Server, ipgo};

#[test]
fn i617_s20_user_add_works_before_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ipgo(
        &data,
        &["agency", "add", "--code", "MINJUST", "--name-ru", "Минюст", "--name-kk", "Әділет"],
        None,
    )
    .ok();
    let out = ipgo(
        &data,
        &[
            "user",
            "add",
            "--login",
            "aliya",
            "--agency",
            "MINJUST",
            "--role",
            "employee",
            "--password-stdin",
        ],
        Some(PASSWORD),
    )
    .ok();
    assert!(out.stdout.contains("user aliya added"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("one-time password"),
        "no one-time password with --password-stdin"
    );

    let server = Server::builder().data(&data).start();
    let client = server.client();
    let (status, body) = client.try_login("aliya", PASSWORD);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["must_change_password"], false, "a chosen password is not forced to change");

    // The commands were logged as the operator's, on the admin channel.
    let entries = server.audit_entries();
    let created = entries.iter().find(|e| e["operation"] == "user.create").expect("user.create");
    assert_eq!(created["channel"], "admin");
    assert_eq!(created["route"], "user add");
    assert!(created["actor"].as_str().unwrap().starts_with("cli:"), "{created}");
    assert_eq!(created["detail"]["login"], "aliya");
    assert_eq!(created["detail"]["one_time_password"], false);
    assert!(entries.iter().any(|e| e["operation"] == "agency.create"));
}

#[test]
fn i617_s20_user_add_works_while_the_server_runs_through_the_admin_socket() {
    let server = Server::start();
    let socket = server.data.join("admin.sock");
    let mode = std::fs::metadata(&socket).expect("admin socket exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only the server's user may use the admin socket");

    server.add_agency("MINJUST");
    server.add_user("aliya", "MINJUST", &["employee", "head"]);
    // Signing in works at once: the running server made the account.
    let client = server.client();
    client.login("aliya", PASSWORD);
    let (_, me) = client.get_json("/api/v1/me");
    assert_eq!(me["roles"], serde_json::json!(["employee", "head"]));

    let list = server.cli(&["user", "list"], None).ok().stdout;
    assert!(list.contains("aliya\tMINJUST\temployee,head\tactive"), "{list}");
    let agencies = server.cli(&["agency", "list"], None).ok().stdout;
    assert!(agencies.starts_with("MINJUST\t"), "{agencies}");

    // A one-time password is printed when none is given, and must then be changed.
    let (_, otp) = server.add_user_otp("bolat", "MINJUST", &["employee"]);
    let (status, body) = server.client().try_login("bolat", &otp);
    assert_eq!((status, body["must_change_password"].as_bool()), (200, Some(true)));

    // reset-password sets a new one-time password and ends the sessions.
    let out = server.cli(&["user", "reset-password", "--login", "aliya"], None).ok();
    let new_otp = out.stdout.trim().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(client.get_json("/api/v1/me").0, 401, "reset ends the sessions");
    assert_eq!(server.client().try_login("aliya", PASSWORD).0, 401);
    let (status, body) = server.client().try_login("aliya", &new_otp);
    assert_eq!((status, body["must_change_password"].as_bool()), (200, Some(true)));
}

#[test]
fn the_command_line_explains_bad_input_and_changes_nothing() {
    let server = Server::start();
    server.add_agency("MINJUST");
    let cases: [(&[&str], Option<&str>, &str); 5] = [
        (
            &["user", "add", "--login", "x1y", "--agency", "NOPE", "--password-stdin"],
            Some(PASSWORD),
            "agency",
        ),
        (
            &["user", "add", "--login", "aliya", "--agency", "MINJUST", "--password-stdin"],
            Some("short"),
            "password",
        ),
        (
            &["user", "add", "--login", "aliya", "--agency", "MINJUST", "--role", "king"],
            None,
            "role",
        ),
        (&["user", "add", "--login", "1 bad login", "--agency", "MINJUST"], None, "login"),
        (
            &["agency", "add", "--code", "MINJUST", "--name-ru", "Дубль", "--name-kk", "Қайталау"],
            None,
            "code",
        ),
    ];
    for (args, stdin, word) in cases {
        let out = server.cli(args, stdin);
        assert_ne!(out.code, 0, "{args:?} succeeded: {}", out.stdout);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.starts_with("error: ") || text.contains("\nerror: "), "{args:?}: {text}");
        assert!(text.to_lowercase().contains(word), "{args:?} does not mention {word}: {text}");
    }
    let list = server.cli(&["user", "list"], None).ok().stdout;
    assert_eq!(list.trim(), "", "no account was created: {list}");
    // A missing data directory without a server is created on demand, but a missing
    // configuration file is an error.
    let out = ipgo(&server.data, &["user", "list", "--config", "/nonexistent/ipgo.toml"], None);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
}

#[test]
fn the_demo_prints_working_logins_for_every_role() {
    let server = Server::builder().demo().start();
    let accounts = std::fs::read_to_string(server.data.join("demo-accounts.txt")).unwrap();
    assert!(server.stdout().contains("auditor"), "the demo prints the accounts");
    let mut roles = Vec::new();
    let mut logins = Vec::new();
    for line in accounts.lines().skip(2) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() == 4 {
            logins.push((cols[0].to_owned(), cols[3].to_owned()));
            roles.push(cols[1].to_owned());
        }
    }
    for role in crate::common::ROLES {
        assert!(roles.iter().any(|r| r == role), "no demo account for {role}: {accounts}");
    }
    let (login, password) = logins.iter().find(|(l, _)| l == "auditor").unwrap();
    let (status, body) = server.client().try_login(login, password);
    assert_eq!((status, body["must_change_password"].as_bool()), (200, Some(true)), "{body}");

    // Separation of duties (A.1, A.11): the administrators and the auditor are separate
    // people holding their one role; everyone else also works as an employee.
    let users = server.cli(&["user", "list"], None).ok().stdout;
    for line in users.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let roles: Vec<&str> = cols[2].split(',').collect();
        if roles.iter().any(|r| ["system_admin", "support_admin", "auditor"].contains(r)) {
            assert_eq!(roles.len(), 1, "{line}");
        } else {
            assert!(roles.contains(&"employee"), "{line}");
        }
    }
    let verified = server.cli(&["verify"], None).ok().stdout;
    assert!(verified.contains("separation of duties holds for every account"), "{verified}");

    let agencies = server.cli(&["agency", "list"], None).ok().stdout;
    assert!(agencies.lines().count() >= 6, "{agencies}");
    assert!(agencies.contains("KPM\t"), "the Chancellery is a demo agency: {agencies}");

    the_demo_shows_draft_acts_in_their_stages_signed_with_its_own_keys(&server, &logins);
    crate::discussions::the_demo_shows_discussions_in_every_phase(&server, &logins);
}

/// The demo walks draft acts through their stages with real signatures (I385 §12–§25): every
/// signature on them is valid against the trust store, the absentee vote under way has one
/// signed ballot, the decided one its named result — and a head can vote with the demo key
/// the demo wrote for them, signing with `ipgo sign` as a person without NCALayer would.
fn the_demo_shows_draft_acts_in_their_stages_signed_with_its_own_keys(
    server: &Server,
    logins: &[(String, String)],
) {
    let signed_in = |login: &str| {
        let (_, otp) = logins.iter().find(|(l, _)| l == login).unwrap();
        let client = server.client();
        client.login(login, otp);
        let (status, body) = client.post_json(
            "/api/v1/me/password",
            &serde_json::json!({"current_password": otp, "new_password": "Demo-Secret-2026"}),
        );
        assert_eq!(status, 200, "{body}");
        client.set_csrf(body["csrf"].as_str());
        client
    };
    let okdo = signed_in("okdo.officer");
    let (status, list) = okdo.get_json("/api/v1/drafts");
    assert_eq!(status, 200, "{list}");
    let drafts = list["drafts"].as_array().unwrap();
    let mut stages: Vec<&str> = drafts.iter().map(|d| d["stage"].as_str().unwrap()).collect();
    stages.sort_unstable();
    assert_eq!(
        stages,
        [
            "accepted",
            "at_chancellery",
            "awaiting_developer_signature",
            // The upcoming demo meeting's agenda carries it (I385 §21).
            "for_decision",
            "on_approval",
            "voting"
        ]
    );
    for d in drafts {
        for a in d["approvals"].as_array().unwrap() {
            if a["decision"] == "approved" {
                assert_eq!(a["signature_status"], "valid", "{d}");
            }
        }
    }
    let by_stage = |stage: &str| drafts.iter().find(|d| d["stage"] == stage).unwrap();
    let accepted = &by_stage("accepted")["poll"];
    assert_eq!(
        (accepted["state"].as_str(), accepted["outcome"].as_str()),
        (Some("closed"), Some("accepted"))
    );
    assert!(accepted["seats"].as_array().unwrap().iter().all(|s| s["signature"] == "valid"));
    let voting = by_stage("voting");
    assert_eq!(
        (voting["poll"]["state"].as_str(), voting["poll"]["voted"].as_u64()),
        (Some("open"), Some(1))
    );

    // econ.head has not voted yet: they sign the ballot with their demo key and vote.
    let id = voting["id"].as_u64().unwrap();
    let head = signed_in("econ.head");
    let ballot = head.get(&format!("/api/v1/drafts/{id}/ballot?choice=for"));
    assert_eq!(ballot.status, 200, "{}", ballot.body);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ballot.txt"), &ballot.body).unwrap();
    let p12 = server.data.join("demo-signing/econ.head.p12");
    let mode = std::fs::metadata(&p12).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the demo keys are private to the server's user");
    let out = std::process::Command::new(crate::common::server::BIN)
        .arg("sign")
        .arg("--p12")
        .arg(&p12)
        .arg("--manifest")
        .arg(dir.path().join("ballot.txt"))
        .arg("--out")
        .arg(dir.path().join("ballot.p7s"))
        .env("IPGO_P12_PASSWORD", "demo")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csrf = head.csrf().unwrap();
    let res = head.send(
        "POST",
        &format!("/api/v1/drafts/{id}/ballot?choice=for"),
        &[("x-csrf-token", &csrf)],
        Some((
            "application/pkcs7-signature",
            std::fs::read(dir.path().join("ballot.p7s")).unwrap(),
        )),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["poll"]["voted"], 2);

    // Action plans (I385 §29–§37): the Government plan holds an item whose consolidated
    // report the ministry's head signed with the demo key — open to the Chancellery now —
    // and one still awaiting the signature, which the Chancellery does not see yet.
    let (status, plans) = okdo.get_json("/api/v1/plans");
    assert_eq!(status, 200, "{plans}");
    let gov = plans["plans"].as_array().unwrap().iter().find(|p| p["kind"] == "government");
    let gov = gov.unwrap_or_else(|| panic!("a Government plan in the demo: {plans}"));
    let (status, plan) = okdo.get_json(&format!("/api/v1/plans/{}", gov["id"]));
    assert_eq!(status, 200, "{plan}");
    let item = |n: &str| {
        let it = plan["items"].as_array().unwrap().iter().find(|i| i["number"] == n).unwrap();
        okdo.get_json(&format!("/api/v1/plans/{}/items/{}", gov["id"], it["id"])).1
    };
    let signed = item("1");
    assert!(signed["consolidated"]["signed"].is_object(), "{signed}");
    assert!(signed["consolidated"]["text"].as_str().unwrap().contains("48"), "{signed}");
    assert!(item("1.1")["consolidated"].is_null(), "not yet signed, not yet open");
}

/// Time-dependent rules are tested by moving the portal's clock, never by sleeping: only a
/// server configured for it lets the operator move it, and each move is logged.
#[test]
fn the_clock_moves_only_on_a_test_installation() {
    let server = Server::builder().controllable_clock().start();
    let before = jiff::Timestamp::now();
    let moved = server.advance_clock("3h");
    let ahead = moved.duration_since(before);
    assert!(
        ahead >= jiff::SignedDuration::from_hours(3) && ahead < jiff::SignedDuration::from_hours(4),
        "{ahead:?}"
    );
    let set = server.set_clock("2027-01-04T13:00:00+05:00");
    assert_eq!(set.strftime("%Y-%m-%dT%H").to_string(), "2027-01-04T08");
    assert!(server.audit_entries().iter().any(|e| e["route"] == "clock"));

    let plain = Server::start();
    let out = plain.cli(&["clock", "--advance", "1h"], None);
    assert_ne!(out.code, 0);
    assert!(out.stdout.contains("cannot be moved"), "{}", out.stdout);
}

/// The harness trusts an answer on its port only once its own server says it listens there:
/// another test's server may take the same free port between the probe and the bind, and
/// answer first. Seen in CI: a demo test read the accounts file while its own demo was
/// still seeding. Here a stand-in holds the port and answers 200 to everything.
#[test]
fn the_harness_waits_for_its_own_server_when_another_answers_on_its_port() {
    use std::io::{Read, Write};
    let stand_in = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = stand_in.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in stand_in.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.read(&mut [0u8; 4096]);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let server = Server::builder().port(taken).demo().start();
    assert_ne!(server.port, taken, "the harness moved on to a port of its own");
    assert!(server.data.join("demo-accounts.txt").exists(), "the demo had seeded when it answered");
    assert!(server.stderr().contains("ipgo listening"));
}
