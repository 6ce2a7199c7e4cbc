//! Usage per agency (I617 §22) over 1,000,000 access-log entries: 20 agencies × 60 people
//! over 180 days (sign-ins, page reads, documents, workflow steps), written through the
//! access log's own append path in batches. Measured:
//!
//! * **baseline** — a plain scan of the same live log (every entry read and decoded, as any
//!   pass over the log must), and the 30-day figures counted straight from that scan: what a
//!   view would cost with no aggregate;
//! * the aggregate built from nothing (`usage::service::refresh` on a log it has never seen:
//!   the full pass over archives and live log, once in the life of an installation);
//! * the aggregate brought up to date after 10,000 new entries (what the 5-minute job and
//!   each view do);
//! * a view — 30 days of the whole portal, and of one agency — with the aggregate current:
//!   what a person opening the page waits for.
//!
//! Run: `cargo bench --bench usage`. Prints figures; asserts only that the aggregate's
//! figures equal the baseline's.

use std::collections::BTreeMap;
use std::time::Instant;

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::audit::chain::Entry;
use ipgo::auth::roles::Role;
use ipgo::config::Config;
use ipgo::portal::directory::model::NewUser;
use ipgo::portal::directory::service::{self as directory, NewAgency};
use ipgo::portal::usage::demo::Dice;
use ipgo::portal::usage::model::{DayUsage, Seen};
use ipgo::portal::usage::service::{self as usage, UsageQuery};

const ENTRIES: usize = 1_000_000;
const AGENCIES: usize = 20;
const PEOPLE: u64 = 60;
const DAYS: i64 = 180;
const BATCH: usize = 20_000;

fn operator() -> Actor {
    Actor {
        who: Who::Operator { os_user: "bench".into() },
        origin: Origin::new(Channel::Admin, "local".into(), "ADMIN", "bench".into(), "b".into()),
    }
}

const STEPS: &[(&str, &str, &str, u16)] = &[
    ("POST", "/login", "session.create", 303),
    ("GET", "/", "page.view", 200),
    ("GET", "/documents", "page.view", 200),
    ("GET", "/documents/{id}", "document.read", 200),
    ("GET", "/drafts/{id}", "draft.read", 200),
    ("POST", "/api/v1/documents", "document.create", 201),
    ("POST", "/drafts/{id}/approve", "draft.approve", 303),
    ("POST", "/helpdesk", "helpdesk.file", 303),
];

/// `n` entries spread over the `DAYS` days before `end`, in time order.
fn entries(dice: &mut Dice, n: usize, start: jiff::Timestamp, span_secs: i64) -> Vec<Entry> {
    let origin = Origin::new(Channel::Http, "10.0.0.1".into(), "GET", "/".into(), "/".into());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (method, route, op, status) = STEPS[dice.below(STEPS.len() as u64) as usize];
        let agency = dice.below(AGENCIES as u64) as usize;
        let person = agency as u64 * PEOPLE + dice.below(PEOPLE) + 1_000;
        let mut e = Entry::of(&Who::Anonymous, &origin, op, "ok", status);
        e.actor = format!("user{person}");
        e.actor_id = Some(person);
        e.agency = Some(format!("AG{agency:02}"));
        e.method = method.into();
        e.route = route.into();
        e.resource = route.into();
        let at = start + jiff::SignedDuration::from_secs(span_secs * i as i64 / n as i64);
        e.time = ipgo::clock::utc_string(at);
        out.push(e);
    }
    out
}

fn write(app: &App, all: Vec<Entry>) {
    let mut all = all.into_iter().peekable();
    while all.peek().is_some() {
        let batch: Vec<Entry> = all.by_ref().take(BATCH).collect();
        app.audit.append_generated(batch, "benchmark").unwrap();
    }
}

fn main() {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.storage.data_dir = data.path().to_path_buf();
    config.storage.disk_floor_mb = 0;
    let app = App::open(config).unwrap();
    let op = operator();
    for a in 0..AGENCIES {
        directory::create_agency(
            &app,
            &op,
            NewAgency {
                code: format!("AG{a:02}"),
                name_kk: format!("Агенттік {a}"),
                name_ru: format!("Агентство {a}"),
                name_en: format!("Agency {a}"),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let support = directory::create_user(
        &app,
        &op,
        NewUser {
            login: "support".into(),
            agency: "AG00".into(),
            roles: vec![Role::SupportAdmin],
            ..NewUser::default()
        },
    )
    .unwrap();
    let identity = directory::identity(&app, support.user.id, false).unwrap().unwrap();
    let support = Actor {
        who: Who::User(identity),
        origin: Origin::new(
            Channel::Http,
            "127.0.0.1".into(),
            "GET",
            "/usage".into(),
            "/usage".into(),
        ),
    };

    let now = ipgo::clock::now();
    let start = now - jiff::SignedDuration::from_hours(24 * DAYS);
    let mut dice = Dice(22);
    let t = Instant::now();
    write(&app, entries(&mut dice, ENTRIES, start, 24 * 3600 * DAYS - 3600));
    let gen_s = t.elapsed().as_secs_f64();
    let db_mb =
        std::fs::metadata(data.path().join("ipgo.redb")).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "{ENTRIES} entries written in {gen_s:.1} s ({:.0}/s), store {db_mb:.0} MB",
        ENTRIES as f64 / gen_s
    );

    // Baseline: a plain scan of the live log, then the 30-day figures counted from it.
    let to = ipgo::calendar::today();
    let from = to.checked_sub(jiff::Span::new().days(29)).unwrap();
    let t = Instant::now();
    let mut scanned = 0u64;
    ipgo::audit::query::after(&app.db, 0, usize::MAX, |_| {
        scanned += 1;
        Ok(())
    })
    .unwrap();
    let scan_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut direct = DayUsage::default();
    ipgo::audit::query::after(&app.db, 0, usize::MAX, |e| {
        let Ok(at) = e.time.parse::<jiff::Timestamp>() else { return Ok(()) };
        let day = ipgo::calendar::date_of(at);
        if day >= from && day <= to {
            direct.count(&Seen {
                actor_id: e.actor_id,
                agency: e.agency.as_deref(),
                method: &e.method,
                operation: &e.operation,
                outcome: &e.outcome,
            });
        }
        Ok(())
    })
    .unwrap();
    let direct_s = t.elapsed().as_secs_f64();
    println!(
        "baseline: plain scan of the log {scan_s:.2} s ({scanned} entries); 30-day figures counted from the scan {direct_s:.2} s"
    );

    // The aggregate from nothing, then after 10,000 more entries.
    let t = Instant::now();
    let counted = usage::refresh(&app).unwrap();
    let build_s = t.elapsed().as_secs_f64();
    println!("aggregate built from nothing: {build_s:.2} s ({counted} entries counted)");
    let later = ipgo::clock::now() - jiff::SignedDuration::from_mins(30);
    write(&app, entries(&mut dice, 10_000, later, 1_200));
    let t = Instant::now();
    let counted = usage::refresh(&app).unwrap();
    let inc_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!("aggregate after 10,000 new entries: {inc_ms:.0} ms ({counted} counted)");

    // Views with the aggregate current.
    let query = |agency: &str| UsageQuery {
        agency: agency.into(),
        from: from.to_string(),
        to: to.to_string(),
    };
    let mut views: BTreeMap<&str, f64> = BTreeMap::new();
    for (name, agency) in [("whole portal", ""), ("one agency", "AG07")] {
        let rounds = 20;
        let t = Instant::now();
        let mut u = None;
        for _ in 0..rounds {
            u = Some(usage::usage(&app, &support, &query(agency)).unwrap());
        }
        views.insert(name, t.elapsed().as_secs_f64() * 1000.0 / rounds as f64);
        if agency.is_empty() {
            // The aggregate's figures are the baseline's (the 10,000 later entries added).
            let u = u.unwrap();
            assert!(u.sign_ins >= direct.sign_ins && u.documents >= direct.documents);
            assert!(u.active_users >= direct.users.len() as u64);
        }
    }
    for (name, ms) in &views {
        println!("view of 30 days, {name}: {ms:.1} ms");
    }
    println!(
        "speed-up of a view over counting from the log: {:.0}×",
        direct_s * 1000.0 / views["whole portal"]
    );
}
