//! `ipgo demo --corpus DIR`: every `.txt` file of DIR becomes one document readable by all
//! participants — the file attached exactly as it is (its name kept), the title taken from
//! its first non-empty line. Posted through the documents service by a demo employee, so it
//! is logged and checked like any posting. Files already loaded (same name and sha256) are
//! skipped, so the demo can be restarted on the same data directory.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::actor::{Actor, Channel, Origin, Who};
use crate::app::App;
use crate::portal::directory::service as directory;
use crate::portal::documents::model::clean_file_name;
use crate::portal::documents::service::{self as documents, AccessInput, Meta};
use crate::portal::documents::upload;

const LOADED: &str = "demo-corpus.loaded";

/// The demo account that posts the corpus.
const POSTER: &str = "dev.employee";

pub fn load(app: &App, operator: &Actor, dir: &Path) -> anyhow::Result<()> {
    let poster = directory::user_by_login(app, operator, POSTER)
        .map_err(|e| anyhow::anyhow!("corpus: no {POSTER} account: {e}"))?;
    let identity = directory::identity(app, poster.id, false)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("corpus: {POSTER} is not active"))?;
    let marker = app.config.data_dir().join(LOADED);
    let mut loaded: BTreeSet<String> =
        std::fs::read_to_string(&marker).unwrap_or_default().lines().map(str::to_owned).collect();
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("txt")) && p.is_file())
        .collect();
    files.sort();
    let mut posted = 0;
    for path in files {
        let bytes = std::fs::read(&path)?;
        let name = clean_file_name(&path.file_name().unwrap_or_default().to_string_lossy());
        let fingerprint = format!("{} {name}", hex::encode(Sha256::digest(&bytes)));
        if loaded.contains(&fingerprint) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let title: String = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or(&name)
            .chars()
            .take(1000)
            .collect();
        let actor = Actor {
            who: Who::User(identity.clone()),
            origin: Origin::new(
                Channel::Admin,
                "local".into(),
                "ADMIN",
                "demo corpus".into(),
                name.clone(),
            ),
        };
        let ticket = documents::prepare_post(app, &actor).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut writer = app.blobs.writer(ticket.key())?;
        writer.write_all(&bytes)?;
        let pending = writer.finish()?;
        let accepted = upload::accept(app, ticket.key(), name.clone(), pending)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let meta = Meta {
            doc_type: Some("generic".into()),
            title,
            access: Some(AccessInput::Word("all".into())),
            ..Default::default()
        };
        let result = documents::commit(app, &actor, ticket, meta, vec![accepted])
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        println!("corpus: {name} → document {}", result.id);
        loaded.insert(fingerprint);
        posted += 1;
    }
    let mut list = String::new();
    for l in &loaded {
        list.push_str(l);
        list.push('\n');
    }
    std::fs::write(&marker, list)?;
    println!("corpus: {posted} new documents from {}", dir.display());
    Ok(())
}
