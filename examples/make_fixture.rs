//! Makes an upgrade fixture: a data directory in the CURRENT format, kept in
//! `tests/fixtures/v<schema>/` so that every later binary is tested against it
//! (`tests/integration/upgrade.rs`). Run once per schema version, before the migration that
//! leaves it, and commit the result:
//!
//! ```sh
//! cargo run --example make_fixture -- tests/fixtures/v1
//! ```
//!
//! The directory holds the database, the encrypted blobs, the access log, and — in the
//! demonstration layout — its keys, plus `expect.json`: what an upgraded binary must still
//! find (accounts, documents and the sha256 of every file, destroyed documents, the
//! maintenance window).

use std::path::PathBuf;

use ipgo::actor::{Actor, Channel, Origin, Who};
use ipgo::app::App;
use ipgo::config::Config;
use ipgo::portal::directory::service as directory;
use ipgo::portal::documents::model::{DocState, DocumentRecord};
use ipgo::portal::documents::store::{self, DOCUMENTS, Reader};
use redb::ReadableTable;
use serde_json::json;

/// The password every fixture account gets (the upgrade test signs in with it).
const PASSWORD: &str = "Fixture-pass-2026";

fn main() -> anyhow::Result<()> {
    ipgo::web::tls::install_provider();
    let out: PathBuf =
        std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: make_fixture DIR"))?.into();
    if out.exists() {
        anyhow::bail!("{} exists; fixtures are never overwritten", out.display());
    }
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let corpus = if corpus.is_dir() { corpus } else { PathBuf::from("/work/shared/corpus") };
    let mut config = Config::default();
    config.storage.data_dir = out.clone();
    ipgo::ops::demo::prepare(&config, Some(&corpus))?;
    let app = App::open(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    ipgo::ops::demo::seed_if_empty(&app, Some(&corpus))?;
    let operator = Actor {
        who: Who::Operator { os_user: "fixture".into() },
        origin: Origin::new(
            Channel::Admin,
            "local".into(),
            "ADMIN",
            "fixture".into(),
            "fixture".into(),
        ),
    };
    let mut logins = Vec::new();
    for login in ["dev.head", "dev.employee", "admin"] {
        let user =
            directory::user_by_login(&app, &operator, login).map_err(|e| anyhow::anyhow!("{e}"))?;
        directory::reset_password(&app, &operator, user.id, Some(PASSWORD.into()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        logins.push(login);
    }
    // One destroyed document, so the upgraded register and tombstones are checked too.
    let head = directory::user_by_login(&app, &operator, "dev.head")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let identity = directory::identity(&app, head.id, false)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("dev.head inactive"))?;
    let head_actor = Actor {
        who: Who::User(identity.clone()),
        origin: Origin::new(
            Channel::Admin,
            "local".into(),
            "ADMIN",
            "fixture".into(),
            "fixture".into(),
        ),
    };
    ipgo::portal::documents::destroy::destroy(
        &app,
        &head_actor,
        1,
        "Fixture: destroyed on purpose",
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin =
        directory::user_by_login(&app, &operator, "admin").map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin_actor = Actor {
        who: Who::User(
            directory::identity(&app, admin.id, false)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .unwrap(),
        ),
        origin: Origin::new(
            Channel::Admin,
            "local".into(),
            "ADMIN",
            "fixture".into(),
            "fixture".into(),
        ),
    };
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 400);
    let ends = starts + jiff::SignedDuration::from_hours(2);
    let window = ipgo::portal::maintenance::service::schedule(
        &app,
        &admin_actor,
        ipgo::portal::maintenance::model::NewWindow {
            starts: starts.to_string(),
            ends: ends.to_string(),
            effect: "changes".into(),
            note_kk: "Жаңарту".into(),
            note_ru: "Обновление".into(),
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;

    let mut documents = Vec::new();
    let mut destroyed = Vec::new();
    {
        let txn = app.db.read()?;
        let r = Reader(&txn);
        for row in txn.open_table(DOCUMENTS)?.iter()? {
            let doc: DocumentRecord = serde_json::from_slice(row?.1.value())?;
            if !matches!(doc.state, DocState::Active) {
                destroyed.push(doc.id);
                continue;
            }
            let key =
                app.vault.key(doc.id).ok_or_else(|| anyhow::anyhow!("no key for {}", doc.id))?;
            let mut files = Vec::new();
            for v in r.versions(doc.id)? {
                let content = store::open_content(&key, &v).map_err(|e| anyhow::anyhow!("{e}"))?;
                for f in content.files {
                    files.push(
                        json!({"version": v.n, "file": f.id, "sha256": f.sha256, "name": f.name}),
                    );
                }
            }
            documents.push(json!({"id": doc.id, "files": files}));
        }
    }
    let expect = json!({
        "schema_version": ipgo::db::SCHEMA_VERSION,
        "made_by": env!("CARGO_PKG_VERSION"),
        "password": PASSWORD,
        "logins": logins,
        "reader": "dev.employee",
        "documents": documents,
        "destroyed": destroyed,
        "maintenance_window": window.id,
    });
    app.shutdown();
    drop(app);
    std::fs::write(out.join("expect.json"), serde_json::to_vec_pretty(&expect)?)?;
    let _ = std::fs::remove_file(out.join("demo-accounts.txt"));
    let _ = std::fs::remove_file(out.join("demo-corpus.loaded"));
    // Derived or demo-only: the search index is rebuilt at start, the demo people's signing
    // keys are not data, and the access-log journal is drained into the database at
    // shutdown (its preallocated segment is megabytes of zeros).
    let _ = std::fs::remove_dir_all(out.join("index"));
    let _ = std::fs::remove_dir_all(out.join("demo-signing"));
    let _ = std::fs::remove_file(out.join("demo-signing.txt"));
    let _ = std::fs::remove_dir_all(out.join("audit-journal"));
    println!("fixture written to {}", out.display());
    Ok(())
}
