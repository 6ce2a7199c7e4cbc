//! `ipgo demo --corpus DIR`: every `.txt` file of DIR becomes one document readable by all
//! participants — the file attached exactly as it is (its name kept), the title taken from
//! its first paragraph as a person would read it ([`title_of`]: the lines of a title broken
//! across lines joined, Markdown marks such as `## ` and `***` dropped). Posted through the documents service by a demo employee, so it
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
        let title = title_of(&text, &name);
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

/// The longest title kept, in characters (the documents service's limit is larger; a title
/// longer than this is a paragraph, not a title).
const TITLE_MAX: usize = 300;

/// The title of a corpus text: its first paragraph (the non-empty lines up to the first
/// empty one, joined with spaces: acts break their titles across lines), without Markdown
/// heading and emphasis marks, spaces collapsed, at most [`TITLE_MAX`] characters cut at a
/// word; `fallback` (the file name) when the text has no words.
pub fn title_of(text: &str, fallback: &str) -> String {
    let paragraph: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || !l.chars().any(char::is_alphanumeric))
        .take_while(|l| !l.is_empty())
        .collect();
    let mut words: Vec<String> = Vec::new();
    for line in paragraph {
        for word in line.split_whitespace() {
            // `## Title`, `***Emphasis***`, `_word_`: marks around words, not part of them.
            let w = word.trim_matches(|c| matches!(c, '#' | '*' | '_' | '`' | '>'));
            if !w.is_empty() {
                words.push(w.to_owned());
            }
        }
    }
    let mut title = String::new();
    for w in words {
        if title.chars().count() + 1 + w.chars().count() > TITLE_MAX {
            title.push('…');
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(&w);
    }
    if title.is_empty() { fallback.to_owned() } else { title }
}

#[cfg(test)]
mod tests {
    use super::title_of;

    #[test]
    fn a_title_broken_across_lines_is_joined_and_markdown_marks_are_dropped() {
        let broken = "\nОб утверждении Инструкции по работе на интранет-портале государственных \nорганов\n\nУтративший силу\n";
        assert_eq!(
            title_of(broken, "f.txt"),
            "Об утверждении Инструкции по работе на интранет-портале государственных органов"
        );
        let markdown = "\n\n## Нұсқаулықты бекіту туралы\n\n### ***Күшін жойған***\n";
        assert_eq!(title_of(markdown, "f.txt"), "Нұсқаулықты бекіту туралы");
        assert_eq!(title_of("\n***\n\n", "f.txt"), "f.txt");
        let long = "слово ".repeat(200);
        let t = title_of(&long, "f.txt");
        assert!(t.chars().count() <= 301 && t.ends_with("слово…"), "{t}");
    }
}
