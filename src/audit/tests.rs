//! The writer with a real database and journal: answers wait for the journal, not for the
//! chain's commit, and nothing journaled is lost or committed twice (R365 §7).

use std::time::Duration;

use redb::ReadableTable;

use super::*;
use crate::actor::{Origin, Who};

fn open(dir: &Path) -> (Db, Arc<ApplianceKey>) {
    let db = Db::open(&dir.join("ipgo.redb")).expect("database");
    let key = ApplianceKey::load_or_create(&dir.join("keys")).expect("key");
    (db, Arc::new(key))
}

fn read_entry(path: &str) -> (Pending, String) {
    let origin = Origin::new(Channel::Http, "10.0.0.7".into(), "GET", "/".into(), path.into());
    let request_id = origin.request_id.clone();
    (Pending::of(&Who::Anonymous, &origin, "page.view", "ok", 200, "/", None), request_id)
}

fn chain_request_ids(db: &Db) -> Vec<String> {
    let mut ids = Vec::new();
    blocks::forward(&db.read().unwrap(), 0, |stored| {
        let (_, json) = chain::split_value(stored.value.unwrap()).unwrap();
        ids.push(serde_json::from_slice::<Entry>(json).unwrap().request_id);
        Ok(true)
    })
    .unwrap();
    ids
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
}

#[test]
fn a_read_is_answered_once_its_entry_is_journaled_while_the_chain_cannot_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = open(dir.path());
    let log =
        AuditLog::start(db.clone(), key, &AuditConfig::default(), &dir.path().join("j")).unwrap();
    let (entry, id) = read_entry("/documents/1");
    // Hold the database's only write transaction: the chain cannot commit meanwhile.
    db.write(|_txn| {
        let answered = block_on(async {
            tokio::time::timeout(Duration::from_secs(5), log.journal_before_answer(entry)).await
        });
        assert!(answered.is_ok(), "the request waited for the chain's commit");
        Ok(())
    })
    .unwrap();
    log.flush_blocking();
    assert_eq!(chain_request_ids(&db), vec![id]);
}

#[test]
fn entries_journaled_but_not_committed_are_committed_once_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let copy = tempfile::tempdir().unwrap();
    let (db, key) = open(dir.path());
    let log =
        AuditLog::start(db.clone(), key, &AuditConfig::default(), &dir.path().join("j")).unwrap();
    let (first, first_id) = read_entry("/a");
    block_on(log.journal_before_answer(first));
    log.flush_blocking();
    let mut answered = vec![first_id];
    db.write(|_txn| {
        for path in ["/b", "/c", "/d"] {
            let (entry, id) = read_entry(path);
            block_on(log.journal_before_answer(entry));
            answered.push(id);
        }
        // The state a kill would leave now: the chain holds "/a", the journal all four.
        std::fs::copy(dir.path().join("ipgo.redb"), copy.path().join("ipgo.redb"))?;
        let journal = copy.path().join("j");
        std::fs::create_dir_all(&journal)?;
        for item in std::fs::read_dir(dir.path().join("j"))? {
            let item = item?;
            std::fs::copy(item.path(), journal.join(item.file_name()))?;
        }
        Ok(())
    })
    .unwrap();
    drop(log);
    assert_eq!(chain_request_ids(&db), answered, "a clean stop commits everything");

    let (db, key) = open(copy.path());
    assert_eq!(chain_request_ids(&db), answered[..1], "the copy is the state before the commit");
    let log =
        AuditLog::start(db.clone(), key.clone(), &AuditConfig::default(), &copy.path().join("j"))
            .unwrap();
    assert_eq!(chain_request_ids(&db), answered, "replayed in order, none twice");
    let (entry, id) = read_entry("/e");
    block_on(log.journal_before_answer(entry));
    drop(log);
    answered.push(id);
    // A second start finds nothing left to replay.
    let log =
        AuditLog::start(db.clone(), key.clone(), &AuditConfig::default(), &copy.path().join("j"))
            .unwrap();
    log.flush_blocking();
    assert_eq!(chain_request_ids(&db), answered);
    let report = verify::verify(&db, copy.path(), &key.public()).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 5);
}

/// A checkpoint that falls due under load is signed with the entries that made it due (in
/// their commit, not one of its own afterwards), at the head they reached, and verifies.
#[test]
fn a_checkpoint_due_is_signed_at_the_head_of_its_entries_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = open(dir.path());
    // The writer wakes only when flushed: each flush commits one group.
    let config = AuditConfig {
        checkpoint_every_entries: 3,
        group_commit_ms: 600_000,
        ..AuditConfig::default()
    };
    let log = AuditLog::start(db.clone(), key.clone(), &config, &dir.path().join("j")).unwrap();
    let checkpoints = |db: &Db| -> Vec<u64> {
        let txn = db.read().unwrap();
        let table = txn.open_table(chain::CHECKPOINTS).unwrap();
        table.iter().unwrap().map(|item| item.unwrap().0.value()).collect()
    };
    let journal = |paths: &[&str]| {
        for path in paths {
            block_on(log.journal_before_answer(read_entry(path).0));
        }
        log.flush_blocking();
    };
    journal(&["/a", "/b"]);
    assert_eq!(checkpoints(&db), Vec::<u64>::new(), "two entries: not due");
    journal(&["/c", "/d", "/e"]);
    assert_eq!(checkpoints(&db), vec![5], "due within this group: signed at its head");
    journal(&["/f"]);
    assert_eq!(checkpoints(&db), vec![5], "one entry since: not due");
    let report = verify::verify(&db, dir.path(), &key.public()).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.entries, report.checkpoints), (6, 1));
}

/// `ipgo audit archive --before` a date still to come once archived, round after round, the
/// entry its own previous round had just written (found with the blocks, issue 18): the
/// entries written from the start of the run on stay live.
#[test]
fn archiving_before_a_future_date_stops_at_the_start_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = open(dir.path());
    let log =
        AuditLog::start(db.clone(), key.clone(), &AuditConfig::default(), &dir.path().join("j"))
            .unwrap();
    for path in ["/a", "/b", "/c"] {
        block_on(log.journal_before_answer(read_entry(path).0));
    }
    log.flush_blocking();
    let actor = Actor::system_job_bypassing_user_policy("archive");
    let tomorrow = crate::clock::now().checked_add(jiff::SignedDuration::from_hours(24)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let archiving = {
        let (log, data) = (log.clone(), dir.path().to_owned());
        std::thread::spawn(move || {
            let made = archive::run(&log, &data, &actor, tomorrow).map(|m| m.len());
            let _ = tx.send(());
            made
        })
    };
    assert!(rx.recv_timeout(Duration::from_secs(20)).is_ok(), "the archiver does not stop");
    assert_eq!(archiving.join().unwrap().unwrap(), 1, "one archive of the three reads");
    let live = chain_request_ids(&db);
    assert_eq!(live.len(), 1, "only the archiver's own entry is live: {live:?}");
    let report = verify::verify(&db, dir.path(), &key.public()).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.entries, report.archives), (4, 1));
}
