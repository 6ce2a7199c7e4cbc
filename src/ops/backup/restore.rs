//! `ipgo restore --from FILE --data DIR`: a verified restore (R365 §6, §17.6).
//!
//! 1. Refuses early: another format, a newer schema, a backup of another appliance (its
//!    signing key differs from the one in the keys directory), a running server.
//! 2. Streams every entry into a staging directory beside DIR, hashing as it goes; blobs of
//!    documents already known to be destroyed are hashed but never written.
//! 3. Checks the manifest's signature with the appliance key from the keys directory (not
//!    the key the backup names) and every entry against it; any changed byte anywhere in the
//!    file refuses the restore and names the entry. Nothing is left behind.
//! 4. Opens the staged data (migrations run for older schemas), replays the destruction
//!    register — the backup's own, documents destroyed while it ran, the copy beside the
//!    vault and, with `--replace`, the register of the data being replaced — so destroyed
//!    documents never come back; moves the document id counter past every id the vault
//!    and the registers know; rebuilds derived data (the search index is built from the
//!    restored documents); records the restore in the access log.
//! 5. Runs the full `ipgo verify`, then moves the staging directory into place.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use redb::ReadableTable;

use super::manifest::{self, EntryInfo, Header, Manifest};
use super::tarfile::{EntryHead, TarReader};
use crate::actor::Actor;
use crate::app::App;
use crate::config::Config;
use crate::keys::PublicKey;
use crate::portal::documents::model::{DocState, DocumentRecord};
use crate::portal::documents::register_copy;
use crate::portal::documents::store::{DOCUMENTS, Destruction, Reader, Writer};

pub struct Options {
    pub from: PathBuf,
    /// Copy the appliance keys from this directory when the keys directory has none.
    pub keys_from: Option<PathBuf>,
    /// Replace an existing installation (kept aside as `<DIR>.replaced-<time>`).
    pub replace: bool,
}

/// Exit codes beyond 0 and 1.
pub const EXIT_VERIFY_PROBLEMS: i32 = 2;
pub const EXIT_UNREADABLE: i32 = 3;

const SMALL_ENTRY_MAX: u64 = 512 * 1024 * 1024;

fn server_running(config: &Config) -> bool {
    std::os::unix::net::UnixStream::connect(config.admin_socket()).is_ok()
}

fn has_keys(dir: &Path) -> bool {
    dir.join("appliance-signing.pem").exists() && dir.join("vault.key").exists()
}

fn public_key_of(dir: &Path) -> anyhow::Result<PublicKey> {
    Ok(crate::keys::ApplianceKey::load(dir)?.public())
}

fn copy_keys(from: &Path, to: &Path) -> anyhow::Result<()> {
    crate::keys::ensure_private_dir(to)?;
    for name in super::keys::FILES {
        let src = from.join(name);
        if src.exists() {
            let bytes = fs::read(&src).with_context(|| format!("reading {}", src.display()))?;
            crate::keys::write_private(&to.join(name), &bytes)?;
        }
    }
    Ok(())
}

fn short(key: &str) -> &str {
    &key[..key.len().min(16)]
}

/// Where the keys come from, decided before anything is written.
enum KeySource {
    /// The keys directory already holds this appliance's keys.
    InPlace,
    /// Copy from this directory into the (staged) keys directory.
    CopyFrom(PathBuf),
}

fn choose_keys(
    config: &Config,
    header: &Header,
    opts: &Options,
    out: &mut dyn Write,
) -> anyhow::Result<KeySource> {
    let keys = config.keys_dir();
    let expected = &header.appliance_public_key;
    let check = |dir: &Path, what: &str| -> anyhow::Result<()> {
        let found = public_key_of(dir)?.to_hex();
        if &found != expected {
            bail!(
                "the backup was made by the appliance whose key is {}…, but {what} ({}) holds the keys of {}…; \
                 restore that appliance's keys first (`ipgo restore-keys`)",
                short(expected),
                dir.display(),
                short(&found)
            );
        }
        Ok(())
    };
    if has_keys(&keys) {
        check(&keys, "the keys directory")?;
        return Ok(KeySource::InPlace);
    }
    if let Some(from) = &opts.keys_from {
        if !has_keys(from) {
            bail!("{} holds no appliance keys (appliance-signing.pem, vault.key)", from.display());
        }
        check(from, "--keys-from")?;
        return Ok(KeySource::CopyFrom(from.clone()));
    }
    // The demonstration layout keeps keys inside the data directory; a restore drill into a
    // new directory on the same machine then takes them from where the backup was made.
    let source = PathBuf::from(&header.source_keys_dir);
    let demo_layout =
        keys.starts_with(config.data_dir()) && source.starts_with(&header.source_data_dir);
    if demo_layout && has_keys(&source) {
        check(&source, "the source keys directory")?;
        writeln!(
            out,
            "note: keys copied from {} (demonstration layout: keys inside the data directory; \
             production keeps them in /etc/ipgo/keys)",
            source.display()
        )?;
        return Ok(KeySource::CopyFrom(source));
    }
    bail!(
        "no appliance keys in {}: a data backup never holds keys. Restore them first with \
         `ipgo restore-keys --from KEYFILE`, or name a directory holding them with --keys-from",
        keys.display()
    )
}

fn read_small(
    reader: &mut TarReader<impl Read>,
    head: &EntryHead,
) -> anyhow::Result<(Vec<u8>, String)> {
    if head.size > SMALL_ENTRY_MAX {
        bail!("the backup is damaged: entry {} claims {} bytes", head.name, head.size);
    }
    let mut bytes = Vec::with_capacity(head.size as usize);
    let sha =
        reader.copy_data(head, &mut bytes).map_err(|d| anyhow!("the backup is damaged: {d}"))?;
    Ok((bytes, sha))
}

/// Destruction rows known before the backup is read: the copy beside the vault and, when
/// replacing, the register of the data being replaced.
fn known_destructions(
    keys_dir: &Path,
    old_db: Option<&Path>,
) -> anyhow::Result<BTreeMap<u64, Destruction>> {
    let mut rows = register_copy::read(keys_dir)?;
    if let Some(path) = old_db.filter(|p| p.exists()) {
        match crate::db::Db::open(path) {
            Ok(db) => {
                let txn = db.read()?;
                for row in Reader(&txn).destructions().unwrap_or_default() {
                    rows.entry(row.doc_id).or_insert(row);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the database being replaced cannot be read; its register is not replayed")
            }
        }
    }
    Ok(rows)
}

struct Staged {
    manifest: Manifest,
    skipped_blobs: usize,
}

/// Streams the backup into `staging`, checking everything. Writes nothing outside it.
fn extract(
    file: &Path,
    staging: &Path,
    trusted: &PublicKey,
    header: &Header,
    skip: &HashSet<String>,
) -> anyhow::Result<Staged> {
    let input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut reader = TarReader::new(BufReader::with_capacity(1 << 20, input));
    let damaged = |d: super::tarfile::Damage| anyhow!("the backup is damaged: {d}");
    let mut seen: Vec<EntryInfo> = Vec::new();
    let mut skipped_blobs = 0;
    // The header was parsed by the caller; read it again here to hash it in order.
    let first =
        reader.next_entry().map_err(damaged)?.ok_or_else(|| anyhow!("the backup is empty"))?;
    let (_, sha) = read_small(&mut reader, &first)?;
    seen.push(EntryInfo { path: first.name.clone(), size: first.size, sha256: sha });
    let manifest_bytes = loop {
        let head = reader
            .next_entry()
            .map_err(damaged)?
            .ok_or_else(|| anyhow!("the backup is damaged: it ends before its manifest"))?;
        if !manifest::safe_path(&head.name) {
            bail!(
                "the backup is damaged: unexpected entry {:?} at byte {}",
                head.name,
                head.offset
            );
        }
        if head.name == manifest::MANIFEST_ENTRY {
            break read_small(&mut reader, &head)?.0;
        }
        if head.name == manifest::HEADER_ENTRY || head.name == manifest::SIGNATURE_ENTRY {
            bail!("the backup is damaged: {} appears out of place", head.name);
        }
        let id = head.name.rsplit('/').next().unwrap_or_default();
        let sha = if head.name.starts_with("blobs/") && skip.contains(id) {
            skipped_blobs += 1;
            reader.copy_data(&head, &mut std::io::sink()).map_err(damaged)?
        } else {
            // The snapshot becomes the data directory's database; the rest keep their paths.
            let target = if head.name == manifest::DB_ENTRY {
                staging.join("ipgo.redb")
            } else {
                staging.join(&head.name)
            };
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut out = std::io::BufWriter::with_capacity(
                1 << 20,
                File::create(&target)
                    .with_context(|| format!("cannot write {}", target.display()))?,
            );
            let sha = reader.copy_data(&head, &mut out).map_err(damaged)?;
            out.flush()?;
            sha
        };
        seen.push(EntryInfo { path: head.name, size: head.size, sha256: sha });
    };
    let sig_head = reader
        .next_entry()
        .map_err(damaged)?
        .filter(|h| h.name == manifest::SIGNATURE_ENTRY)
        .ok_or_else(|| anyhow!("the backup is damaged: the manifest signature is missing"))?;
    let (signature, _) = read_small(&mut reader, &sig_head)?;
    if reader.next_entry().map_err(damaged)?.is_some() {
        bail!("the backup is damaged: entries follow the manifest signature");
    }
    let signature = hex::decode(signature.trim_ascii())
        .map_err(|_| anyhow!("the backup is damaged: manifest.sig is not a signature"))?;
    if !trusted.verify(&manifest_bytes, &signature) {
        bail!(
            "the backup is damaged or was not made by this appliance: the signature of manifest.json \
             does not verify with the appliance key"
        );
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| anyhow!("the backup is damaged: manifest.json: {e}"))?;
    if &manifest.header != header {
        bail!(
            "the backup is damaged: entry {} differs from the signed manifest",
            manifest::HEADER_ENTRY
        );
    }
    for (i, want) in manifest.entries.iter().enumerate() {
        match seen.get(i) {
            Some(got) if got == want => {}
            Some(got) if got.path == want.path => {
                bail!(
                    "the backup is damaged: entry {} differs from the signed manifest (sha256)",
                    want.path
                )
            }
            Some(got) => bail!(
                "the backup is damaged: entry {} found where the manifest has {}",
                got.path,
                want.path
            ),
            None => bail!("the backup is damaged: entry {} is missing", want.path),
        }
    }
    if let Some(extra) = seen.get(manifest.entries.len()) {
        bail!("the backup is damaged: entry {} is not in the manifest", extra.path);
    }
    Ok(Staged { manifest, skipped_blobs })
}

/// Reads the first entry (the header) without writing anything.
fn read_header(file: &Path) -> anyhow::Result<Header> {
    let input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut reader = TarReader::new(BufReader::new(input));
    let head = reader
        .next_entry()
        .map_err(|d| anyhow!("not an ipgo backup, or damaged: {d}"))?
        .ok_or_else(|| anyhow!("the backup is empty"))?;
    if head.name != manifest::HEADER_ENTRY || head.size > 64 * 1024 {
        bail!(
            "{} is not an ipgo backup (it does not start with {})",
            file.display(),
            manifest::HEADER_ENTRY
        );
    }
    let (bytes, _) = read_small(&mut reader, &head)?;
    let header: Header = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow!("the backup is damaged: entry {}: {e}", manifest::HEADER_ENTRY))?;
    if header.format != manifest::FORMAT {
        bail!("unknown backup format {:?} (this ipgo reads {})", header.format, manifest::FORMAT);
    }
    if header.schema_version > crate::db::SCHEMA_VERSION {
        bail!(
            "the backup was made by a newer ipgo ({}, database schema {}); this binary knows schema \
             up to {}: install ipgo {} or newer to restore it",
            header.ipgo_version,
            header.schema_version,
            crate::db::SCHEMA_VERSION,
            header.ipgo_version
        );
    }
    Ok(header)
}

pub fn restore(config: &Config, opts: &Options, out: &mut dyn Write) -> anyhow::Result<i32> {
    let target = std::path::absolute(config.data_dir())?;
    if server_running(config) {
        bail!("a server is running on {}; stop it first (systemctl stop ipgo)", target.display());
    }
    let header = read_header(&opts.from)?;
    let occupied = target.join("ipgo.redb").exists();
    if occupied && !opts.replace {
        bail!(
            "{} already holds an installation; add --replace to replace it (it is kept as {}.replaced-<time>)",
            target.display(),
            target.display()
        );
    }
    if target.exists()
        && !occupied
        && fs::read_dir(&target)?.any(|e| e.is_ok_and(|e| e.file_name() != "keys"))
    {
        bail!("{} is not empty; restore into a new or empty directory", target.display());
    }
    let keys = std::path::absolute(config.keys_dir())?;
    let keys_inside = keys.starts_with(&target);
    let source = choose_keys(config, &header, opts, out)?;
    let trusted = PublicKey::from_hex(&header.appliance_public_key)
        .ok_or_else(|| anyhow!("the backup is damaged: bad public key in its header"))?;

    let parent =
        target.parent().ok_or_else(|| anyhow!("no parent directory for {}", target.display()))?;
    fs::create_dir_all(parent)?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let staging = parent
        .join(format!(".{name}.restoring-{}", hex::encode(crate::secret::random_bytes::<4>())));
    fs::create_dir(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let result = stage_and_finish(
        config,
        opts,
        out,
        &header,
        &trusted,
        source,
        &target,
        &keys,
        keys_inside,
        &staging,
    );
    match result {
        Ok(code) => Ok(code),
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn stage_and_finish(
    config: &Config,
    opts: &Options,
    out: &mut dyn Write,
    header: &Header,
    trusted: &PublicKey,
    source: KeySource,
    target: &Path,
    keys: &Path,
    keys_inside: bool,
    staging: &Path,
) -> anyhow::Result<i32> {
    // Keys go where the restored installation will find them.
    let staged_keys = if keys_inside {
        staging.join(keys.strip_prefix(target).expect("inside"))
    } else {
        keys.to_path_buf()
    };
    match &source {
        KeySource::InPlace if keys_inside => copy_keys(keys, &staged_keys)?,
        KeySource::InPlace => {}
        KeySource::CopyFrom(from) => copy_keys(from, &staged_keys)?,
    }
    let old_db = opts.replace.then(|| target.join("ipgo.redb"));
    let known = known_destructions(&staged_keys, old_db.as_deref())?;
    let skip: HashSet<String> = known.values().flat_map(|d| d.blobs.iter().cloned()).collect();

    let staged = extract(&opts.from, staging, trusted, header, &skip)?;
    writeln!(
        out,
        "backup of {} verified: {} entries, signature and every sha256 match",
        staged.manifest.header.created,
        staged.manifest.entries.len() + 2
    )?;

    let mut staged_config = config.clone();
    staged_config.storage.data_dir = staging.to_path_buf();
    staged_config.storage.keys_dir = staged_keys.clone();
    staged_config.server.admin_socket = staging.join("admin.sock").display().to_string();
    let app = App::open(staged_config).map_err(|e| anyhow!("{e}"))?;
    let code = finish_in(&app, opts, out, &staged, known);
    app.shutdown();
    drop(app);
    let code = code?;

    rustix::fs::syncfs(File::open(staging)?).ok();
    if target.exists() {
        if opts.replace && target.join("ipgo.redb").exists() {
            let aside = PathBuf::from(format!(
                "{}.replaced-{}",
                target.display(),
                crate::clock::now().strftime("%Y%m%dT%H%M%SZ")
            ));
            fs::rename(target, &aside)?;
            writeln!(out, "the replaced installation is kept in {}", aside.display())?;
        } else {
            // Empty, or holding only the keys just copied into the staging area.
            fs::remove_dir_all(target)?;
        }
    }
    fs::rename(staging, target)?;
    crate::blobs::sync(target.parent().expect("parent"))?;
    writeln!(out, "restored into {}", target.display())?;
    Ok(code)
}

fn finish_in(
    app: &App,
    opts: &Options,
    out: &mut dyn Write,
    staged: &Staged,
    mut known: BTreeMap<u64, Destruction>,
) -> anyhow::Result<i32> {
    for row in &staged.manifest.destroyed_during_backup {
        known.entry(row.doc_id).or_insert_with(|| row.clone());
    }
    let actor = Actor {
        who: crate::actor::Who::Operator { os_user: crate::ops::os_user::current() },
        origin: crate::actor::Origin::new(
            crate::actor::Channel::Admin,
            "local".into(),
            "ADMIN",
            "restore".into(),
            "restore".into(),
        ),
    };
    let vault_ids = app.vault.document_ids();
    let from = opts.from.display().to_string();
    let created = staged.manifest.header.created.clone();
    let replayed = app.audit.change(&actor, "backup.restore", |txn| {
        let w = Writer(txn);
        let mut replayed = Vec::new();
        for row in known.values() {
            if let Some(doc) = w.document(row.doc_id)?
                && !matches!(doc.state, DocState::Destroyed { .. })
            {
                w.remove_content(row.doc_id)?;
                w.put_document(&DocumentRecord {
                    state: DocState::Destroyed {
                        by: row.by.clone(),
                        at: row.destroyed_at.clone(),
                        certificate_seq: row.certificate_seq,
                    },
                    access: Default::default(),
                    ..doc
                })?;
                replayed.push(row.doc_id);
            }
            w.put_destruction(row)?;
        }
        // Documents posted after the backup still have keys in the vault: a new document
        // must never reuse their ids.
        let highest = vault_ids.iter().chain(known.keys()).copied().max().unwrap_or(0);
        let mut meta = txn.open_table(crate::db::META)?;
        let counter = "next_id.document";
        let current = meta
            .get(counter)?
            .map(|v| u64::from_le_bytes(v.value().try_into().unwrap_or([0; 8])))
            .unwrap_or(1);
        if highest + 1 > current {
            meta.insert(counter, (highest + 1).to_le_bytes().as_slice())?;
        }
        drop(meta);
        let detail = serde_json::json!({
            "from": from, "backup_created": created, "replayed_destructions": replayed,
        });
        Ok((replayed, Some(detail)))
    })?;
    for id in &replayed {
        writeln!(out, "document {id}: destroyed after this backup was made; not restored")?;
    }
    if staged.skipped_blobs > 0 {
        writeln!(out, "{} files of destroyed documents were not written", staged.skipped_blobs)?;
    }
    rebuild_derived(app, out)?;
    register_copy::sync(app)?;

    let unreadable = unreadable_documents(app)?;
    for id in &unreadable {
        writeln!(
            out,
            "document {id}: its key is not in this vault (posted after the key backup was made?); it cannot be read"
        )?;
    }
    let report = crate::ops::verify::run(app)?;
    write!(out, "{report}")?;
    Ok(if !unreadable.is_empty() {
        EXIT_UNREADABLE
    } else if report.ok() {
        0
    } else {
        EXIT_VERIFY_PROBLEMS
    })
}

/// Active documents whose data key the vault lacks.
fn unreadable_documents(app: &App) -> anyhow::Result<Vec<u64>> {
    let txn = app.db.read()?;
    let mut out = Vec::new();
    for row in txn.open_table(DOCUMENTS)?.iter()? {
        let doc: DocumentRecord = serde_json::from_slice(row?.1.value())?;
        if matches!(doc.state, DocState::Active) && app.vault.key(doc.id).is_none() {
            out.push(doc.id);
        }
    }
    Ok(out)
}

/// Data derived from the store is rebuilt rather than restored, and never in a backup:
/// sign-in sessions start empty (everyone signs in again), and the search index (I385 §6.6,
/// `index/`) is built here from the restored documents — before the installation is moved
/// into place, so the restored portal finds its documents from its first start.
fn rebuild_derived(app: &App, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "building the search index from the restored documents…")?;
    let rebuilt = {
        let mut progress = |done: usize, all: usize| {
            let _ = writeln!(out, "  {done} of {all} documents");
        };
        crate::portal::search::feed::reindex(app, &mut progress)
            .map_err(|e| anyhow!("building the search index: {e}"))?
    };
    writeln!(
        out,
        "search index built: {} documents in {:.1} s",
        rebuilt.documents, rebuilt.seconds
    )?;
    if rebuilt.failed > 0 {
        writeln!(
            out,
            "{} documents could not be indexed (see the log); the server tries them again at every start",
            rebuilt.failed
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup_with_header(dir: &Path, header: &Header) -> PathBuf {
        let path = dir.join("x.ipgobak");
        let mut tar = super::super::tarfile::TarWriter::new(Vec::new(), 0);
        tar.append_bytes(manifest::HEADER_ENTRY, &serde_json::to_vec(header).unwrap()).unwrap();
        std::fs::write(&path, tar.finish().unwrap()).unwrap();
        path
    }

    fn header(schema: u32) -> Header {
        Header {
            format: manifest::FORMAT.into(),
            created: "2026-11-22T00:00:00.000000Z".into(),
            ipgo_version: "9.0.0".into(),
            schema_version: schema,
            appliance_public_key: "00".repeat(32),
            source_data_dir: "/var/lib/ipgo".into(),
            source_keys_dir: "/etc/ipgo/keys".into(),
        }
    }

    #[test]
    fn a_backup_of_a_newer_schema_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let newer = backup_with_header(dir.path(), &header(crate::db::SCHEMA_VERSION + 1));
        let err = read_header(&newer).unwrap_err().to_string();
        assert!(err.contains("newer ipgo") && err.contains("install ipgo 9.0.0"), "{err}");
        let same = backup_with_header(dir.path(), &header(crate::db::SCHEMA_VERSION));
        assert_eq!(read_header(&same).unwrap().schema_version, crate::db::SCHEMA_VERSION);
        let mut other = header(1);
        other.format = "something-else".into();
        let err = read_header(&backup_with_header(dir.path(), &other)).unwrap_err().to_string();
        assert!(err.contains("unknown backup format"), "{err}");
        std::fs::write(dir.path().join("plain.txt"), b"not a backup").unwrap();
        assert!(read_header(&dir.path().join("plain.txt")).is_err());
    }
}
