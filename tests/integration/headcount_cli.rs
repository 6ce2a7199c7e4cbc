//! Headcount through the command line (I385 §27, issue 14 point 2: "any attempt, through
//! any route, the CLI included, is refused with a stable code and logged"): the operator
//! exports a period's returns of the demo and imports them back. Figures read back
//! unchanged pass; a changed accepted return refuses the whole file (the draft changed
//! beside it stays as it was), with the stable refusal and an access-log entry; a changed
//! draft alone is loaded.

use serde_json::Value;

use crate::common::{CliOutput, Server, ftl};

/// The demo's two quarters: the one before the current quarter (`later`) and the one
/// before that (`earlier`), as the demo computes them from today's Astana date.
fn demo_quarters() -> (String, String) {
    let astana = jiff::tz::TimeZone::fixed(jiff::tz::offset(5));
    let today = jiff::Timestamp::now().to_zoned(astana).date();
    let q = (today.month() - 1) / 3 + 1;
    let (y1, q1) = if q == 1 { (today.year() - 1, 4) } else { (today.year(), q - 1) };
    let (y0, q0) = if q1 == 1 { (y1 - 1, 4) } else { (y1, q1 - 1) };
    (format!("{y0}-Q{q0}"), format!("{y1}-Q{q1}"))
}

fn export(server: &Server, period: &str) -> Value {
    let out = server.cli(&["headcount", "export", "--period", period], None).ok();
    serde_json::from_str(&out.stdout).expect("the export is JSON")
}

fn import(server: &Server, file: &Value) -> CliOutput {
    let path = server.data.join("headcount-import.json");
    std::fs::write(&path, serde_json::to_vec_pretty(file).unwrap()).unwrap();
    server.cli(&["headcount", "import", path.to_str().unwrap()], None)
}

fn by_state<'a>(file: &'a mut Value, state: &str) -> &'a mut Value {
    file["returns"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["state"] == state)
        .unwrap_or_else(|| panic!("a {state} return"))
}

/// Moves one person from filled to vacant: the totals still add up.
fn one_more_vacancy(r: &mut Value) {
    let v = &mut r["values"];
    v["filled"] = (v["filled"].as_u64().unwrap() - 1).into();
    v["vacant"] = (v["vacant"].as_u64().unwrap() + 1).into();
}

#[test]
fn i385_s27_the_cli_import_never_changes_an_accepted_return_and_the_refusal_is_logged() {
    let server = Server::builder().demo().start();
    let (earlier, later) = demo_quarters();

    // The earlier quarter: accepted everywhere; read back unchanged it passes.
    let before = export(&server, &earlier);
    let returns = before["returns"].as_array().unwrap();
    assert!(returns.len() >= 3, "{before}");
    assert!(returns.iter().all(|r| r["state"] == "accepted"), "{before}");
    let same = import(&server, &before).ok();
    assert!(same.stdout.contains("0 returns changed"), "{}", same.stdout);

    // A changed accepted return: refused with the stable code, nothing changed.
    let mut changed = before.clone();
    one_more_vacancy(by_state(&mut changed, "accepted"));
    let refused = import(&server, &changed);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(refused.stdout.contains(&ftl("en", "headcount-return-accepted")), "{}", refused.stdout);
    assert!(refused.stdout.contains("[state]"), "{}", refused.stdout);
    assert_eq!(export(&server, &earlier), before, "the accepted figures never change");

    // The later quarter: a changed draft beside a changed accepted return is refused as a
    // whole; the draft alone is loaded.
    let later_before = export(&server, &later);
    let mut both = later_before.clone();
    one_more_vacancy(by_state(&mut both, "draft"));
    one_more_vacancy(by_state(&mut both, "accepted"));
    let refused_too = import(&server, &both);
    assert_eq!(refused_too.code, 1, "{}", refused_too.stdout);
    assert!(refused_too.stdout.contains(&ftl("en", "headcount-return-accepted")));
    assert_eq!(export(&server, &later), later_before, "all or nothing");
    let mut draft_only = later_before.clone();
    one_more_vacancy(by_state(&mut draft_only, "draft"));
    let loaded = import(&server, &draft_only).ok();
    assert!(loaded.stdout.contains("1 returns changed"), "{}", loaded.stdout);
    let mut after = export(&server, &later);
    let draft = by_state(&mut after, "draft").clone();
    let wanted = by_state(&mut draft_only, "draft").clone();
    assert_eq!(draft["values"], wanted["values"]);
    assert_eq!(draft["revision"], wanted["revision"].as_u64().unwrap() + 1);
    // A changed submitted return is refused as well (it is with the verifier).
    let mut submitted = after.clone();
    one_more_vacancy(by_state(&mut submitted, "submitted"));
    let refused_submitted = import(&server, &submitted);
    assert_eq!(refused_submitted.code, 1, "{}", refused_submitted.stdout);
    assert!(refused_submitted.stdout.contains(&ftl("en", "headcount-return-submitted")));

    // Every refusal is in the access log as the operator's refused import.
    let log = server.audit_entries();
    let refusals: Vec<&Value> = log
        .iter()
        .filter(|e| e["operation"].as_str().is_some_and(|o| o.starts_with("headcount.")))
        .filter(|e| e["outcome"] != "ok")
        .collect();
    assert_eq!(refusals.len(), 3, "{refusals:?}");
    let imports = log.iter().filter(|e| e["operation"] == "headcount.import_returns").count();
    assert_eq!(imports, 2, "the two imports that passed are logged as changes");
}
