//! The voting engine under a burst (I385 §22–§24, §46, §53): 500 members of one open poll
//! cast their ballots at once (500 threads released together) through the engine's
//! service — each ballot checked by the policy, written with its access-log entry in one
//! durable transaction, and announced to the live pages — for a named unsigned poll, a
//! secret poll (voter list and counters) and a named poll whose ballots carry CMS
//! signatures (P-256, verified against the trust store and the signer's registered
//! certificate). While the unsigned ballots arrive, a watcher reads the poll (the tally and
//! roll call its page and `/api/v1/polls/{id}` show) in a loop; the same read on the
//! finished poll is its idle cost.
//!
//! Baseline in the same run: the same 500 people post one plain comment each on one
//! document at once (`documents::service::comment`: policy, sealed text, access log, one
//! transaction) — the portal's cheapest durable write by a person.
//!
//! Run: `cargo bench --bench polls`. Prints figures; asserts nothing about speed.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::auth::roles::Role;
use ipgo::config::Config;
use ipgo::portal::directory::model::NewUser;
use ipgo::portal::directory::service::{self as directory, NewAgency};
use ipgo::portal::documents::service::{self as documents, AccessInput, Meta};
use ipgo::portal::polls::model::{Options, Secrecy};
use ipgo::portal::polls::service::{self as polls, PollSpec};
use ipgo::portal::polls::view;

const VOTERS: usize = 500;

fn operator() -> Actor {
    Actor {
        who: Who::Operator { os_user: "bench".into() },
        origin: Origin::new(Channel::Admin, "local".into(), "ADMIN", "bench".into(), "b".into()),
    }
}

fn person(app: &App, id: u64) -> Actor {
    let identity = directory::identity(app, id, false).unwrap().unwrap();
    Actor {
        who: Who::User(identity),
        origin: Origin::new(Channel::Http, "127.0.0.1".into(), "BENCH", "bench".into(), "b".into()),
    }
}

/// Runs `work(i)` for every voter on its own thread, all released at once; returns the
/// wall-clock seconds from the release to the last one done.
fn burst(people: &[Actor], work: impl Fn(usize, &Actor) + Send + Sync + 'static) -> f64 {
    let work = Arc::new(work);
    let barrier = Arc::new(Barrier::new(people.len() + 1));
    let handles: Vec<_> = people
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, actor)| {
            let (work, barrier) = (work.clone(), barrier.clone());
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || {
                    barrier.wait();
                    work(i, &actor);
                })
                .unwrap()
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed().as_secs_f64()
}

fn open_poll(
    app: &App,
    op: &Actor,
    subject: &str,
    members: &[u64],
    kind: Secrecy,
    signed: bool,
) -> u64 {
    let mut spec = PollSpec::for_against(subject.into(), "/bench".into(), 1);
    spec.options = Options::ForAgainst { abstain: true };
    spec.secrecy = kind;
    spec.signed = signed;
    spec.members = members.to_vec();
    spec.watchers = vec![members[0]];
    app.audit
        .change(op, "bench.poll", |txn| {
            let poll = polls::create_in(app, txn, spec.clone(), 0)?;
            Ok((poll.id, None))
        })
        .unwrap()
}

fn choice(i: usize) -> &'static str {
    ["for", "for", "against", "abstain"][i % 4]
}

/// Mean milliseconds of the poll as its watcher sees it, over `budget`.
fn read_cost(app: &App, watcher: &Actor, poll: u64, budget: Duration) -> (f64, u64) {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        let v = view::view(app, watcher, poll, "ru").unwrap();
        assert_eq!(v.electorate, VOTERS as u64);
        n += 1;
    }
    (start.elapsed().as_secs_f64() * 1000.0 / n as f64, n)
}

fn main() {
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.storage.data_dir = data.path().to_path_buf();
    config.storage.disk_floor_mb = 0;
    let app = Arc::new(App::open(config).unwrap());
    let op = operator();
    directory::create_agency(
        &app,
        &op,
        NewAgency {
            code: "BENCH".into(),
            name_kk: "Бенч агенттігі".into(),
            name_ru: "Бенч-агентство".into(),
            name_en: "Bench agency".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    let mut ids = Vec::new();
    for i in 0..VOTERS {
        let created = directory::create_user(
            &app,
            &op,
            NewUser {
                login: format!("member{i:03}"),
                agency: "BENCH".into(),
                name_ru: format!("Участник {i:03}"),
                name_kk: format!("Мүше {i:03}"),
                roles: vec![Role::Employee, Role::Head],
                ..Default::default()
            },
        )
        .unwrap();
        ids.push(created.user.id);
    }
    let people: Vec<Actor> = ids.iter().map(|id| person(&app, *id)).collect();
    println!("setup: {VOTERS} accounts in {:.1} s", t.elapsed().as_secs_f64());

    // Baseline: one comment each on one document, all at once.
    let poster = &people[0];
    let ticket = documents::prepare_post(&app, poster).unwrap();
    let file =
        ipgo::ops::demo::demo_file(&app, &ticket, "Жоба.txt", "Талқылауға".as_bytes()).unwrap();
    let meta = Meta {
        doc_type: Some("generic".into()),
        title: "Бенчмарк құжаты".into(),
        access: Some(AccessInput::Word("all".into())),
        ..Default::default()
    };
    let doc = documents::commit(&app, poster, ticket, meta, vec![file]).unwrap().id;
    let a = app.clone();
    let comments = burst(&people, move |i, actor| {
        documents::comment(&a, actor, doc, &format!("Ескерту {i}: 3-тармақты нақтылау қажет."))
            .unwrap();
    });

    // Named, unsigned; a watcher reads the poll while the ballots arrive.
    let named = open_poll(&app, &op, "bench:named", &ids, Secrecy::Named, false);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (app, watcher, done) = (app.clone(), people[0].clone(), done.clone());
        std::thread::spawn(move || {
            let (mut total, mut n) = (0.0, 0u64);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                view::view(&app, &watcher, named, "ru").unwrap();
                total += t.elapsed().as_secs_f64();
                n += 1;
            }
            (total * 1000.0 / n.max(1) as f64, n)
        })
    };
    let a = app.clone();
    let unsigned = burst(&people, move |i, actor| {
        polls::cast(&a, actor, named, choice(i), None, "poll.ballot").unwrap();
    });
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (busy_ms, busy_reads) = reader.join().unwrap();
    let (idle_ms, idle_reads) = read_cost(&app, &people[0], named, Duration::from_secs(2));
    let v = view::view(&app, &people[0], named, "ru").unwrap();
    assert_eq!(v.voted, VOTERS as u64, "every ballot counted once");

    // Secret.
    let secret = open_poll(&app, &op, "bench:secret", &ids, Secrecy::Secret, false);
    let a = app.clone();
    let secret_s = burst(&people, move |i, actor| {
        polls::cast(&a, actor, secret, choice(i), None, "poll.ballot").unwrap();
    });

    // Named and signed: each member signs their ballot text (client side, before the
    // burst), the server verifies every signature.
    let t = Instant::now();
    let pki = ipgo::ops::demo_pki::DemoPki::install(&app, &op).unwrap();
    let signed = open_poll(&app, &op, "bench:signed", &ids, Secrecy::Named, true);
    let mut cms = Vec::new();
    for (i, actor) in people.iter().enumerate() {
        let key = pki.person(&app, &op, &format!("member{i:03}")).unwrap();
        let text = polls::ballot_text(&app, actor, signed, choice(i)).unwrap();
        cms.push(key.sign(&text, false).unwrap());
    }
    println!(
        "setup: {VOTERS} certificates and signed ballots in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let cms = Arc::new(cms);
    let a = app.clone();
    let signed_s = burst(&people, move |i, actor| {
        polls::cast(&a, actor, signed, choice(i), Some(&cms[i]), "poll.ballot").unwrap();
    });
    let v = view::view(&app, &people[0], signed, "ru").unwrap();
    assert!(v.seats.iter().all(|s| s.signature.as_deref() == Some("valid")));

    let per_s = |s: f64| VOTERS as f64 / s;
    println!();
    println!("{VOTERS} people at once, one durable transaction each (2 cores)");
    println!("| measure | wall clock | per second |");
    println!("|---|---:|---:|");
    println!(
        "| baseline: plain comments on one document | {comments:.2} s | {:.0} |",
        per_s(comments)
    );
    println!("| named poll, unsigned ballots | {unsigned:.2} s | {:.0} |", per_s(unsigned));
    println!("| secret poll (voter list + counters) | {secret_s:.2} s | {:.0} |", per_s(secret_s));
    println!(
        "| named poll, CMS-signed ballots (P-256) | {signed_s:.2} s | {:.0} |",
        per_s(signed_s)
    );
    println!();
    println!("reading the poll (tally + roll call of {VOTERS}) as its watcher:");
    println!("  while the unsigned ballots arrive: {busy_ms:.2} ms per read ({busy_reads} reads)");
    println!("  after voting, idle:                {idle_ms:.2} ms per read ({idle_reads} reads)");
}
