//! New files as materials of the agenda (I385 §39: materials are "documents of the portal ...
//! or new files"). The agenda's form may carry files: they are posted as ONE new document of
//! the portal through the documents service — the same inspection as any upload (format by
//! content, size, archives), a refused file refused the same way — and attached to the
//! question named in the form, in the same submission. The meeting never touches the
//! documents' tables: it holds the document's number like any other material, so the
//! agenda's manifest pins the new file's sha256 as it pins the others'.
//!
//! The agenda is checked BEFORE the document is posted, so a refused agenda leaves no stray
//! document; should composing still fail afterwards (the meeting changed meanwhile), the
//! agenda comes back with the new document's number in its question's line, and saving it
//! again attaches it without a second upload.

use super::service::{self, NewAgenda, check, load};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::MeetingAction;
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::portal::documents::service::{self as documents, AccessInput, Meta, Ticket};
use crate::portal::documents::upload::{self, AcceptedFile};

/// The agenda form's own fields (the rest — `title`, the files — are the new document's).
pub const FIELDS: &[&str] = &["questions", "changes", "material_question"];

/// The right to compose the agenda and to post a document, checked before a single byte
/// of the body is read.
pub fn prepare(app: &App, actor: &Actor, id: u64) -> Result<Ticket> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Manage, &m)?;
    documents::prepare_post(app, actor)
}

/// A posting received with the agenda's form: its ticket, the document's fields (`title`)
/// and the files that passed inspection.
pub struct Upload {
    pub ticket: Ticket,
    pub meta: Meta,
    pub files: Vec<AcceptedFile>,
}

/// Composes the agenda, with the files (if any) posted as a new document and attached to
/// question `question` (1-based, as typed). Gives back the agenda as composed — with the new
/// document's number in its question's materials once it was posted — and the outcome.
pub fn compose_with_files(
    app: &App,
    actor: &Actor,
    id: u64,
    mut agenda: NewAgenda,
    question: &str,
    upload: Upload,
) -> (NewAgenda, Result<u32>) {
    let Upload { ticket, meta, files } = upload;
    if files.is_empty() {
        // No new file: the agenda alone (a title typed without a file is not a document).
        let result = service::compose(app, actor, id, agenda.clone());
        return (agenda, result);
    }
    let ready =
        checked(app, actor, id, &agenda, question).and_then(|q| Ok((q, readers_access(app, id)?)));
    let (q, access) = match ready {
        Ok(x) => x,
        Err(e) => {
            upload::discard_all(files);
            return (agenda, Err(e));
        }
    };
    // A refused posting discards its files itself.
    let doc = match post(app, actor, ticket, meta, access, files) {
        Ok(doc) => doc,
        Err(e) => return (agenda, Err(e)),
    };
    agenda.questions[q].materials.push(doc);
    let result = service::compose(app, actor, id, agenda.clone());
    (agenda, result)
}

/// The question's index, once the whole agenda passed the checks of composing.
fn checked(app: &App, actor: &Actor, id: u64, agenda: &NewAgenda, question: &str) -> Result<usize> {
    let n: usize = match question.trim() {
        "" if agenda.questions.len() == 1 => 1,
        "" => {
            return Err(Error::invalid("material_question", "meeting-material-question-required"));
        }
        q => q
            .parse()
            .map_err(|_| Error::invalid("material_question", "meeting-no-such-question"))?,
    };
    if n == 0 || n > agenda.questions.len() {
        return Err(Error::invalid("material_question", "meeting-no-such-question"));
    }
    service::questions_of(app, actor, id, agenda)?;
    Ok(n - 1)
}

/// Who reads the meeting (members, invited persons, substitutes named so far, the officer)
/// reads its new material.
fn readers_access(app: &App, id: u64) -> Result<AccessInput> {
    let readers = load(app, id)?.readers();
    let users = directory::users_by_id(app, &readers)?.into_iter().map(|u| u.login).collect();
    Ok(AccessInput::Rule {
        all: false,
        agencies: Vec::new(),
        departments: Vec::new(),
        users,
        groups: Vec::new(),
    })
}

/// Posts the files as a document; its title is the one typed, else the first file's name.
fn post(
    app: &App,
    actor: &Actor,
    ticket: Ticket,
    mut meta: Meta,
    access: AccessInput,
    files: Vec<AcceptedFile>,
) -> Result<u64> {
    if [&meta.title, &meta.title_kk, &meta.title_ru].iter().all(|t| t.trim().is_empty()) {
        meta.title = files.first().map(|f| f.name.clone()).unwrap_or_default();
    }
    meta.access = Some(access);
    Ok(documents::commit(app, actor, ticket, meta, files)?.id)
}
