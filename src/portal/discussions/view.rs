//! Discussions as one person sees them: the list of those they take part in, and one
//! discussion with its document, comments in threads and the poll (HTML and JSON share it).

use std::collections::HashMap;

use serde::Serialize;

use super::model::*;
use super::service::{now, object, open_words, readable};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DiscussionAction, decide};
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::portal::documents::service as documents;
use crate::portal::polls::view::{self as polls, PollView};

#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    pub id: u64,
    pub title: String,
    pub document_id: u64,
    pub phase: &'static str,
    pub starts_at: String,
    pub ends_at: String,
    pub initiator: String,
    pub members: usize,
    /// Whether the viewer has voted.
    pub voted: bool,
    pub mine: bool,
}

/// One page of the discussions `actor` takes part in (initiator or member), newest first: at
/// most `limit`, with ids below `before` when given (the next page starts below the last id
/// of this one); `phase` (`open`, `upcoming`, `closed`) narrows the list.
pub fn list(
    app: &App,
    actor: &Actor,
    phase: Option<&str>,
    before: Option<u64>,
    limit: usize,
    lang: &str,
) -> Result<Vec<ListItem>> {
    actor.origin.set_operation("discussion.list");
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    // An unknown phase is refused rather than matching nothing, like any other filter value.
    let phase = match phase.map(str::trim).unwrap_or("") {
        "" => None,
        p => Some(
            super::model::Phase::parse(p)
                .ok_or_else(|| Error::invalid("phase", "discussion-phase-invalid"))?,
        ),
    };
    let now = now();
    // Only the page's discussions get their titles, polls and ballots looked up: the list
    // costs the same with 10 discussions or 10,000 (the soak found it growing with them).
    let mut mine: Vec<Discussion> = Vec::new();
    {
        let txn = app.db.read()?;
        store::newest_first(&txn, before, |d| {
            if decide(actor, Action::Discussion(DiscussionAction::Read), object(&d))
                && phase.is_none_or(|p| d.phase(&now) == p)
            {
                mine.push(d);
            }
            mine.len() < limit
        })?;
    }
    let initiators: Vec<u64> = mine.iter().map(|d| d.initiator).collect();
    let names: HashMap<u64, String> = directory::user_names(app, &initiators, lang)?
        .into_iter()
        .map(|(id, _, n)| (id, n))
        .collect();
    let mut out = Vec::new();
    for d in mine {
        let title = documents::current_content(app, d.document_id)
            .map(|(_, c)| c.title_in(lang).to_owned())
            .unwrap_or_default();
        let poll = crate::portal::polls::service::get(app, d.poll)?;
        let voted = polls::view_within_subject(app, actor, &poll, lang)?.me.voted;
        out.push(ListItem {
            id: d.id,
            title,
            document_id: d.document_id,
            phase: d.phase(&now).name(),
            starts_at: d.starts_at.clone(),
            ends_at: d.ends_at.clone(),
            initiator: names.get(&d.initiator).cloned().unwrap_or_default(),
            members: d.members.len(),
            voted,
            mine: d.initiator == me,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub id: u64,
    pub name: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParagraphView {
    /// 1-based, as comments cite it.
    pub n: usize,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    pub id: u64,
    pub author: String,
    pub author_login: String,
    pub created: String,
    pub reply_to: Option<u64>,
    /// Nesting for display (0 for a comment on the document), at most 4.
    pub depth: usize,
    /// The paragraph it answers (1-based) and its words.
    pub paragraph: Option<usize>,
    pub quote: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClosedView {
    pub at: String,
    pub early: bool,
    pub by: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiscussionView {
    pub id: u64,
    pub title: String,
    pub document_id: u64,
    pub version: u32,
    pub paragraphs: Vec<ParagraphView>,
    pub files: Vec<FileView>,
    pub initiator: String,
    pub group: Option<u64>,
    pub members: Vec<String>,
    pub starts_at: String,
    pub ends_at: String,
    /// `upcoming`, `open` or `closed`.
    pub phase: &'static str,
    pub closed: Option<ClosedView>,
    pub comments: Vec<CommentView>,
    pub poll: PollView,
    pub may_comment: bool,
    pub may_close: bool,
}

impl DiscussionView {
    pub fn is_open(&self) -> bool {
        self.phase == "open"
    }
}

/// One discussion for someone taking part in it (`discussion.read`).
pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<DiscussionView> {
    let d = readable(app, actor, id)?;
    let now = now();
    let phase = d.phase(&now);
    let (doc, content) = documents::current_content(app, d.document_id)?;
    let key = app.vault.key(d.document_id).ok_or_else(Error::not_found)?;
    let records = {
        let txn = app.db.read()?;
        store::comments(&txn, id)?
    };
    let mut ids: Vec<u64> = d.members.clone();
    ids.push(d.initiator);
    ids.extend(records.iter().map(|c| c.author));
    ids.extend(d.closed.as_ref().and_then(|c| c.by));
    let people: HashMap<u64, (String, String)> = directory::user_names(app, &ids, lang)?
        .into_iter()
        .map(|(id, login, name)| (id, (login, name)))
        .collect();
    let name = |id: u64| people.get(&id).map(|p| p.1.clone()).unwrap_or_default();
    let poll = crate::portal::polls::service::get(app, d.poll)?;
    let poll = polls::view_within_subject(app, actor, &poll, lang)?;
    let may = |a| decide(actor, Action::Discussion(a), object(&d));
    let mut members: Vec<String> = d.members.iter().map(|m| name(*m)).collect();
    members.sort();
    Ok(DiscussionView {
        id: d.id,
        title: content.title_in(lang).to_owned(),
        document_id: d.document_id,
        version: doc.current_version,
        paragraphs: paragraphs(&content.text)
            .into_iter()
            .enumerate()
            .map(|(i, text)| ParagraphView { n: i + 1, text })
            .collect(),
        files: content
            .files
            .iter()
            .map(|f| FileView { id: f.id, name: f.name.clone(), size: f.size })
            .collect(),
        initiator: name(d.initiator),
        group: d.group,
        members,
        starts_at: d.starts_at.clone(),
        ends_at: d.ends_at.clone(),
        phase: phase.name(),
        closed: d.closed.as_ref().map(|c| ClosedView {
            at: c.at.clone(),
            early: c.by.is_some(),
            by: c.by.map(name).unwrap_or_default(),
            reason: c.reason.clone(),
        }),
        comments: threads(&records, &key, &|id| people.get(&id).cloned().unwrap_or_default()),
        poll,
        may_comment: phase == Phase::Open && may(DiscussionAction::Comment),
        may_close: phase != Phase::Closed && may(DiscussionAction::Manage),
    })
}

/// Comments in thread order: each followed by its answers, depth-first, oldest first.
fn threads(
    records: &[CommentRecord],
    key: &[u8; 32],
    person: &dyn Fn(u64) -> (String, String),
) -> Vec<CommentView> {
    let mut children: HashMap<Option<u64>, Vec<&CommentRecord>> = HashMap::new();
    let known: std::collections::HashSet<u64> = records.iter().map(|c| c.id).collect();
    for c in records {
        let parent = c.reply_to.filter(|p| known.contains(p));
        children.entry(parent).or_default().push(c);
    }
    let mut out = Vec::with_capacity(records.len());
    let mut stack: Vec<(&CommentRecord, usize)> =
        children.get(&None).map(|v| v.iter().rev().map(|c| (*c, 0)).collect()).unwrap_or_default();
    while let Some((c, depth)) = stack.pop() {
        let words = open_words(key, c);
        let (login, name) = person(c.author);
        out.push(CommentView {
            id: c.id,
            author: name,
            author_login: login,
            created: c.created.clone(),
            reply_to: c.reply_to,
            depth: depth.min(4),
            paragraph: c.paragraph.map(|p| p + 1),
            quote: words.quote,
            text: words.text,
        });
        if let Some(kids) = children.get(&Some(c.id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// Opens a file of the discussed document's current version for a member.
pub fn open_file(
    app: &App,
    actor: &Actor,
    id: u64,
    file: u64,
) -> Result<(crate::portal::documents::model::FileMeta, crate::blobs::BlobReader)> {
    let d = readable(app, actor, id)?;
    actor.origin.set_operation("discussion.download");
    let (doc, _) = documents::current_content(app, d.document_id)?;
    documents::open_file_for_workflow(app, d.document_id, doc.current_version, file)
}

/// The discussion's poll id, for a member.
pub fn poll_of(app: &App, actor: &Actor, id: u64) -> Result<u64> {
    Ok(readable(app, actor, id)?.poll)
}
