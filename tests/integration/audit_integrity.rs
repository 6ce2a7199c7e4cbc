//! Tamper evidence of the access log (R365 §7–§8, §15; I385 §62): `ipgo audit verify` exits
//! 0 on an intact log and 2, naming the first bad entry, after any single entry is altered,
//! removed, reordered or inserted — whether through redb or by flipping a byte of the file —
//! and signed checkpoints catch a chain rewritten from scratch. Archives round-trip, and a
//! changed or missing archive is found. Checkpoint and archive signatures verify with openssl.
//!
//! The tampering goes through the storage the way an intruder with the file would: redb
//! tables `audit_log_blocks` (u64 → a block of records `len (u32 LE) ‖ 32-byte hash ‖
//! JSON`, keyed by the sequence number of its first entry), `audit_checkpoints` and `meta`
//! (`audit_head` = seq LE ‖ hash), with the server stopped.

use std::io::{Read, Write};
use std::path::Path;

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{CliOutput, Server};

const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log_blocks");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_checkpoints");
const ARCHIVES: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_archives");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// A server that has logged some traffic, then was stopped; its log verifies.
fn stopped_with_log() -> Server {
    let mut server = Server::start();
    server.add_agency("MINJUST");
    server.add_user("aliya", "MINJUST", &["employee"]);
    let client = server.signed_in("aliya");
    for path in ["/", "/directory", "/api/v1/me", "/no-such-page", "/audit"] {
        client.get(path);
    }
    server.stop();
    assert_intact(&server.verify());
    server
}

fn assert_intact(out: &CliOutput) {
    assert_eq!(out.code, 0, "verify failed on an intact log:\n{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("access log intact"), "{}", out.stdout);
}

/// `ipgo audit verify` exits 2 and names `seq` as the first bad entry.
fn assert_first_bad(out: &CliOutput, seq: u64) {
    assert_eq!(out.code, 2, "verify must fail:\n{}{}", out.stdout, out.stderr);
    let line = out.stdout.lines().find(|l| l.contains("first bad entry")).unwrap_or_else(|| {
        panic!("no 'first bad entry' line:\n{}", out.stdout);
    });
    assert!(
        line.contains(&format!("first bad entry: entry {seq} ")),
        "expected entry {seq}: {line}"
    );
}

/// Runs `f` in one write transaction on the (stopped) server's database.
fn tamper(server: &Server, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::open(server.data.join("ipgo.redb")).expect("open the database");
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

/// Every stored entry as (its place: the block's key plus its position, `hash ‖ JSON`).
fn entries<T: ReadableTable<u64, &'static [u8]>>(blocks: &T) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    for row in blocks.iter().unwrap() {
        let (k, v) = row.unwrap();
        let (mut block, mut seq) = (v.value(), k.value());
        while !block.is_empty() {
            let len = u32::from_le_bytes(block[..4].try_into().unwrap()) as usize;
            out.push((seq, block[4..4 + len].to_vec()));
            block = &block[4 + len..];
            seq += 1;
        }
    }
    out
}

/// Replaces the stored entries with `entries` (place, `hash ‖ JSON`): a block for each run of
/// consecutive places, at most four entries long, so edits land inside blocks and at their
/// edges alike.
fn store(txn: &redb::WriteTransaction, entries: &[(u64, Vec<u8>)]) {
    let mut blocks = txn.open_table(BLOCKS).unwrap();
    blocks.retain(|_, _| false).unwrap();
    let mut i = 0;
    while i < entries.len() {
        let first = entries[i].0;
        let mut block = Vec::new();
        let mut n = 0;
        while i < entries.len() && entries[i].0 == first + n && n < 4 {
            block.extend_from_slice(&(entries[i].1.len() as u32).to_le_bytes());
            block.extend_from_slice(&entries[i].1);
            i += 1;
            n += 1;
        }
        blocks.insert(first, block.as_slice()).unwrap();
    }
}

/// Applies `edit` to the stored entries (place, `hash ‖ JSON`) and stores the result.
fn edit_entries(txn: &redb::WriteTransaction, edit: impl FnOnce(&mut Vec<(u64, Vec<u8>)>)) {
    let mut all = entries(&txn.open_table(BLOCKS).unwrap());
    edit(&mut all);
    store(txn, &all);
}

fn entry_count(server: &Server) -> u64 {
    let db = redb::Database::open(server.data.join("ipgo.redb")).unwrap();
    let txn = db.begin_read().unwrap();
    entries(&txn.open_table(BLOCKS).unwrap()).last().unwrap().0
}

/// The stored entry at `seq` (`hash ‖ JSON`) among `all`.
fn at(all: &mut [(u64, Vec<u8>)], seq: u64) -> &mut Vec<u8> {
    &mut all.iter_mut().find(|(s, _)| *s == seq).expect("entry").1
}

/// `sha256(prev ‖ json)`, the documented chain rule.
fn chain_hash(prev: &[u8; 32], json: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(json);
    h.finalize().into()
}

#[test]
fn r365_s8_an_intact_log_verifies() {
    let server = stopped_with_log();
    let n = entry_count(&server);
    let out = server.verify();
    assert_intact(&out);
    assert!(out.stdout.contains(&format!("checked {n} entries")), "{}", out.stdout);
    assert!(!out.stdout.contains(" 0 signed checkpoints"), "the stop signed one: {}", out.stdout);
}

#[test]
fn a_changed_byte_in_a_stored_entry_is_found() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    tamper(&server, |txn| {
        edit_entries(txn, |all| {
            let value = at(all, k);
            let i = find(value, b"\"status\":").expect("status field") + 9;
            value[i] = if value[i] < b'9' { value[i] + 1 } else { b'0' };
        })
    });
    let out = server.verify();
    assert_first_bad(&out, k);
    assert!(out.stdout.contains("altered"), "{}", out.stdout);
}

#[test]
fn a_changed_byte_in_a_stored_hash_is_found() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    tamper(&server, |txn| edit_entries(txn, |all| at(all, k)[7] ^= 0x01));
    assert_first_bad(&server.verify(), k);
}

#[test]
fn a_deleted_entry_is_found() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    tamper(&server, |txn| edit_entries(txn, |all| all.retain(|(seq, _)| *seq != k)));
    let out = server.verify();
    assert_first_bad(&out, k);
    assert!(out.stdout.contains("missing"), "{}", out.stdout);
}

#[test]
fn the_deleted_last_entry_is_found() {
    let server = stopped_with_log();
    let n = entry_count(&server);
    tamper(&server, |txn| edit_entries(txn, |all| all.retain(|(seq, _)| *seq != n)));
    let out = server.verify();
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains(&format!("entry {n} ")), "{}", out.stdout);
}

#[test]
fn two_reordered_entries_are_found() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    tamper(&server, |txn| {
        edit_entries(txn, |all| {
            let a = std::mem::take(at(all, k));
            let b = std::mem::replace(at(all, k + 1), a);
            *at(all, k) = b;
        })
    });
    let out = server.verify();
    assert_first_bad(&out, k);
    assert!(out.stdout.contains("reordered"), "{}", out.stdout);
}

#[test]
fn an_inserted_entry_is_found_even_with_a_valid_hash_of_its_own() {
    let server = stopped_with_log();
    let n = entry_count(&server);
    let k = n / 2;
    tamper(&server, |txn| {
        let mut all = entries(&txn.open_table(BLOCKS).unwrap());
        let before = at(&mut all, k - 1).clone();
        let prev: [u8; 32] = before[..32].try_into().unwrap();
        // A forged entry that follows entry k-1 perfectly...
        let mut forged: Value = serde_json::from_slice(&before[32..]).unwrap();
        forged["seq"] = k.into();
        forged["actor"] = "nobody".into();
        forged["prev"] = hex::encode(prev).into();
        let json = serde_json::to_vec(&forged).unwrap();
        let mut value = chain_hash(&prev, &json).to_vec();
        value.extend_from_slice(&json);
        // ...slipped in at k, moving k..=n one place up.
        for (seq, _) in all.iter_mut().filter(|(seq, _)| *seq >= k) {
            *seq += 1;
        }
        let i = all.iter().position(|(seq, _)| *seq > k).unwrap_or(all.len());
        all.insert(i, (k, value));
        assert_eq!(all.last().unwrap().0, n + 1);
        store(txn, &all);
    });
    let out = server.verify();
    assert_first_bad(&out, k);
    assert!(out.stdout.contains("inserted"), "{}", out.stdout);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_byte_flipped_in_the_database_file_on_disk_is_found() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    // The entry's request id is unique to it; find it through the export.
    let entries = server.audit_entries();
    let rid =
        entries.iter().find(|e| e["seq"] == k).unwrap()["request_id"].as_str().unwrap().to_owned();

    // redb writes copy-on-write: besides the live page, stale copies of the entry may sit in
    // freed pages. Flipping the byte in every copy makes the outcome independent of which
    // copy is live.
    let path = server.data.join("ipgo.redb");
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = format!("\"request_id\":\"{rid}\"").into_bytes();
    let mut copies = 0;
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], &needle) {
        let byte = from + at + 14; // first hex digit of the id
        bytes[byte] = if bytes[byte] == b'a' { b'b' } else { b'a' };
        copies += 1;
        from += at + needle.len();
    }
    assert!(copies >= 1, "entry {k} not found in the file");
    std::fs::write(&path, &bytes).unwrap();

    let out = server.verify();
    assert_first_bad(&out, k);
    assert!(out.stdout.contains("content does not match its hash"), "{}", out.stdout);
}

/// Rewrites entries `from..=n` with `edit` applied to entry `from`, recomputing every hash
/// and the head, as an intruder who knows the chain rule would. Returns the new head hash.
fn rewrite_chain(txn: &redb::WriteTransaction, from: u64, edit: impl Fn(&mut Value)) -> [u8; 32] {
    let mut all = entries(&txn.open_table(BLOCKS).unwrap());
    let n = all.last().unwrap().0;
    let mut prev: [u8; 32] = at(&mut all, from - 1)[..32].try_into().unwrap();
    for seq in from..=n {
        let old = at(&mut all, seq).clone();
        let mut entry: Value = serde_json::from_slice(&old[32..]).unwrap();
        if seq == from {
            edit(&mut entry);
        }
        entry["prev"] = hex::encode(prev).into();
        let json = serde_json::to_vec(&entry).unwrap();
        let hash = chain_hash(&prev, &json);
        let mut value = hash.to_vec();
        value.extend_from_slice(&json);
        *at(&mut all, seq) = value;
        prev = hash;
    }
    store(txn, &all);
    let mut head = n.to_le_bytes().to_vec();
    head.extend_from_slice(&prev);
    txn.open_table(META).unwrap().insert("audit_head", head.as_slice()).unwrap();
    prev
}

#[test]
fn signed_checkpoints_catch_a_chain_rewritten_with_valid_hashes() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    tamper(&server, |txn| {
        rewrite_chain(txn, k, |e| e["actor"] = "nobody".into());
    });
    let out = server.verify();
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("signed checkpoint"), "{}", out.stdout);
    assert!(out.stdout.contains("rewritten"), "{}", out.stdout);
}

#[test]
fn a_checkpoint_forged_to_match_a_rewritten_chain_fails_its_signature() {
    let server = stopped_with_log();
    let k = entry_count(&server) / 2;
    tamper(&server, |txn| {
        let head = rewrite_chain(txn, k, |e| e["status"] = 200.into());
        let mut cps = txn.open_table(CHECKPOINTS).unwrap();
        let (seq, mut cp) = {
            let (key, value) = cps.last().unwrap().unwrap();
            (key.value(), serde_json::from_slice::<Value>(value.value()).unwrap())
        };
        cp["hash"] = hex::encode(head).into();
        cps.insert(seq, serde_json::to_vec(&cp).unwrap().as_slice()).unwrap();
    });
    let out = server.verify();
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("forged"), "{}", out.stdout);
}

/// `openssl pkeyutl -verify` of `message` against a hex signature with the appliance's
/// public key file; returns whether openssl accepted it.
fn openssl_verifies(dir: &Path, public_key: &Path, message: &[u8], signature_hex: &str) -> bool {
    let msg = dir.join("message.bin");
    let sig = dir.join("signature.bin");
    std::fs::write(&msg, message).unwrap();
    std::fs::write(&sig, hex::decode(signature_hex.trim()).unwrap()).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
        .arg(public_key)
        .arg("-in")
        .arg(&msg)
        .arg("-sigfile")
        .arg(&sig)
        .output()
        .expect("openssl is installed (tests/run-all.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("Signature Verified Successfully")
}

#[test]
fn a_checkpoint_signature_verifies_with_openssl_as_the_admin_guide_says() {
    let server = Server::start();
    server.client().get("/login");
    let out = server.cli(&["audit", "checkpoint"], None).ok();
    // The command prints the signed checkpoint as one JSON line.
    let cp: Value = out
        .stdout
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no checkpoint JSON in {:?}", out.stdout));
    let message = format!(
        "ipgo-audit-checkpoint-v1\n{}\n{}\n{}\n",
        cp["seq"],
        cp["hash"].as_str().unwrap(),
        cp["time"].as_str().unwrap()
    );
    let public = server.data.join("keys").join("appliance-signing.pub.pem");
    let sig = cp["signature"].as_str().unwrap();
    assert!(openssl_verifies(server.scratch(), &public, message.as_bytes(), sig));
    let seq = cp["seq"].as_u64().unwrap();
    let forged = message.replacen(&format!("\n{seq}\n"), &format!("\n{}\n", seq + 1), 1);
    assert_ne!(forged, message);
    assert!(!openssl_verifies(server.scratch(), &public, forged.as_bytes(), sig));

    // The journal copy carries everything needed to check it too.
    let journal = server.stderr();
    let line =
        journal.lines().rfind(|l| l.contains("access log checkpoint")).expect("journal line");
    for field in ["seq=", "hash=", "time=", "signature="] {
        assert!(line.contains(field), "{field} missing in the journal line: {line}");
    }
}

fn zip_member(path: &Path, name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

/// Rewrites `path` with `entries.jsonl` replaced, keeping the other members as they are.
fn rezip_with_entries(path: &Path, entries: &[u8]) {
    let names = ["manifest.json", "manifest.sig", "entries.jsonl", "checkpoints.jsonl"];
    let members: Vec<(&str, Vec<u8>)> = names
        .iter()
        .map(|n| (*n, if *n == "entries.jsonl" { entries.to_vec() } else { zip_member(path, n) }))
        .collect();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in members {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn r365_s15_archive_round_trip_and_changed_or_missing_archives_are_found() {
    let mut server = Server::start();
    server.add_agency("MINJUST");
    server.add_user("aliya", "MINJUST", &["employee"]);
    server.signed_in("aliya").get("/directory");

    let out = server.cli(&["audit", "archive", "--before", "now"], None).ok();
    assert!(out.stdout.contains("archived entries 1.."), "{}", out.stdout);
    let dir = server.data.join("archive");
    let mut zips: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    zips.sort();
    assert!(!zips.is_empty(), "no archive in {}", dir.display());
    let archive = zips[0].clone();
    let name = archive.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("audit-") && out.stdout.contains(&name), "{name}");

    // The archive is self-describing and its manifest signature checks with openssl.
    let manifest = zip_member(&archive, "manifest.json");
    let m: Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(
        (m["format"].as_str(), m["first_seq"].as_u64()),
        (Some("ipgo-audit-archive-v1"), Some(1))
    );
    let entries = zip_member(&archive, "entries.jsonl");
    assert_eq!(hex::encode(Sha256::digest(&entries)), m["entries_sha256"].as_str().unwrap());
    assert_eq!(
        entries.iter().filter(|b| **b == b'\n').count() as u64,
        m["count"].as_u64().unwrap()
    );
    let sig = String::from_utf8(zip_member(&archive, "manifest.sig")).unwrap();
    let public = server.data.join("keys").join("appliance-signing.pub.pem");
    assert!(openssl_verifies(server.scratch(), &public, &manifest, &sig));

    // Verify still passes; exports hold the archived entries followed by the live ones.
    server.signed_in("aliya").get("/");
    let out = server.verify();
    assert_intact(&out);
    assert!(out.stdout.contains(&format!("{} archives", zips.len())), "{}", out.stdout);
    let exported = server.audit_entries();
    let seqs: Vec<u64> = exported.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs[0], 1, "archived entries are exported");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "archives + live log are one chain");
    assert!(exported.iter().any(|e| e["operation"] == "audit.archive"), "archiving is logged");

    // (1) A changed archive file.
    let original = std::fs::read(&archive).unwrap();
    let mut changed = original.clone();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x20;
    std::fs::write(&archive, &changed).unwrap();
    let out = server.verify();
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stdout.contains(&name) && out.stdout.contains("differs from the one registered"),
        "{}",
        out.stdout
    );

    // (2) A missing archive file.
    std::fs::remove_file(&archive).unwrap();
    let out = server.verify();
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("archive file is missing"), "{}", out.stdout);
    std::fs::write(&archive, &original).unwrap();
    assert_intact(&server.verify());

    // (3) An archive rebuilt with an altered entry, its register row updated to match:
    // the signed manifest still gives it away.
    let altered: Vec<u8> = String::from_utf8(entries.clone())
        .unwrap()
        .replacen("\"actor\":\"-\"", "\"actor\":\"x\"", 1)
        .into_bytes();
    assert_ne!(altered, entries);
    rezip_with_entries(&archive, &altered);
    let new_sha = hex::encode(Sha256::digest(std::fs::read(&archive).unwrap()));
    server.stop();
    tamper(&server, |txn| {
        let mut register = txn.open_table(ARCHIVES).unwrap();
        let mut record: Value =
            serde_json::from_slice(register.get(1).unwrap().unwrap().value()).unwrap();
        record["sha256"] = new_sha.clone().into();
        register.insert(1, serde_json::to_vec(&record).unwrap().as_slice()).unwrap();
    });
    let out = server.verify();
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("entries.jsonl does not match"), "{}", out.stdout);
    std::fs::write(&archive, &original).unwrap();
}

#[test]
fn a_lost_or_foreign_signing_key_is_refused_instead_of_silently_replaced() {
    let server = stopped_with_log();
    let keys = server.data.join("keys");
    let key = keys.join("appliance-signing.pem");
    let original = std::fs::read(&key).unwrap();

    // Lost: the keys directory no longer holds the key that signed this log.
    std::fs::remove_file(&key).unwrap();
    let out = server.verify();
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("signing key"), "{}", out.stderr);
    assert!(!key.exists(), "no new key may be made for a data directory that has one");

    // Foreign: a key of another appliance.
    let other = tempfile::tempdir().unwrap();
    crate::common::ipgo(&other.path().join("data"), &["agency", "list"], None).ok();
    std::fs::copy(other.path().join("data/keys/appliance-signing.pem"), &key).unwrap();
    let out = server.verify();
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("signing key"), "{}", out.stderr);

    // The right key back: everything checks again, with no checkpoint reported forged.
    std::fs::write(&key, &original).unwrap();
    assert_intact(&server.verify());
}
