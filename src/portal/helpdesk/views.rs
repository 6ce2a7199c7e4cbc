//! Reading the helpdesk: a ticket as a person sees it (names in their language, the
//! targets' clocks now, what they may do next), the lists, and the attached files.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::model::*;
use super::routing::Team;
use super::service::{Loaded, load, members};
use super::sla::{self, Clocks};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, HelpdeskAction, Object, decide, require};
use crate::blobs::BlobReader;
use crate::error::{Error, Result};
use crate::portal::directory::model::{Agency, User};
use crate::portal::directory::service as directory;
use crate::portal::documents::model::FileMeta;
use crate::portal::documents::service as documents;

#[derive(Debug, Clone, Serialize)]
pub struct PersonRef {
    pub id: u64,
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamRef {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgencyRef {
    pub id: u64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRef {
    /// The document holding the file, and the file's id in it.
    pub document: u64,
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub href: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub at: String,
    /// `None`: the portal itself (routing, closing).
    pub by: Option<PersonRef>,
    pub from: Option<Status>,
    pub to: Status,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: u32,
    pub at: String,
    pub by: Option<PersonRef>,
    /// Written by the support service (not the applicant).
    pub staff: bool,
    pub text: String,
    pub internal: bool,
    pub files: Vec<FileRef>,
}

/// What the reader may do with the ticket now.
#[derive(Debug, Clone, Serialize)]
pub struct Abilities {
    pub reply: bool,
    /// Change the status and write internal notes (the support service).
    pub work: bool,
    pub assign: bool,
    /// The statuses the reader may move it to.
    pub next: Vec<Status>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: u64,
    pub number: String,
    pub status: Status,
    pub category: Category,
    pub urgency: Urgency,
    pub channel: Channel,
    pub subject: String,
    pub text: String,
    pub applicant: Option<PersonRef>,
    pub agency: Option<AgencyRef>,
    pub entered_by: Option<PersonRef>,
    pub assignee: Option<PersonRef>,
    pub team: Option<TeamRef>,
    pub unrouted: bool,
    pub clocks: Clocks,
    pub history: Vec<ChangeView>,
    pub messages: Vec<MessageView>,
    pub files: Vec<FileRef>,
    pub continues: Option<u64>,
    pub continued_by: Option<u64>,
    pub created: String,
    pub updated: String,
    pub can: Abilities,
}

/// Names of people, agencies and teams, looked up once per answer.
pub(super) struct Names {
    users: HashMap<u64, User>,
    agencies: HashMap<u64, Agency>,
    teams: Vec<Team>,
    lang: String,
}

impl Names {
    pub fn load(app: &App, lang: &str) -> Result<Names> {
        let txn = app.db.read()?;
        Ok(Names {
            users: directory::every_user_by_id(app)?,
            agencies: directory::agencies_by_id(app)?,
            teams: store::teams(&txn)?,
            lang: lang.to_owned(),
        })
    }

    pub fn person(&self, id: u64) -> Option<PersonRef> {
        self.users.get(&id).map(|u| PersonRef {
            id,
            login: u.login.clone(),
            name: u.display_name(&self.lang).to_owned(),
        })
    }

    pub fn agency(&self, id: u64) -> Option<AgencyRef> {
        self.agencies.get(&id).map(|a| AgencyRef {
            id,
            code: a.code.clone(),
            name: a.name(&self.lang).to_owned(),
        })
    }

    pub fn team(&self, id: u64) -> Option<TeamRef> {
        self.teams
            .iter()
            .find(|t| t.id == id)
            .map(|t| TeamRef { id, name: t.names().get(&self.lang).to_owned() })
    }

    pub fn teams(&self) -> &[Team] {
        &self.teams
    }
}

/// The clocks of a ticket now, under the configured targets and the current calendar.
pub fn clocks(app: &App, t: &Ticket) -> Clocks {
    let calendar = app.calendar.get();
    let schedule = app.config.helpdesk.schedule();
    let rules = sla::Rules {
        calendar: &calendar,
        schedule: &schedule,
        targets: app.config.helpdesk.targets(t.urgency),
        due_soon_percent: app.config.helpdesk.due_soon_percent,
    };
    rules.clocks(t, crate::clock::now())
}

fn files_of(app: &App, ticket: u64, document: Option<u64>) -> Vec<FileRef> {
    let Some(doc) = document else { return Vec::new() };
    match documents::current_content(app, doc) {
        Ok((_, content)) => content
            .files
            .into_iter()
            .map(|f| FileRef {
                document: doc,
                id: f.id,
                href: format!("/helpdesk/tickets/{ticket}/files/{doc}/{}", f.id),
                name: f.name,
                size: f.size,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(ticket, document = doc, error = %e, "files of a ticket unreadable");
            Vec::new()
        }
    }
}

fn abilities(actor: &Actor, loaded: &Loaded) -> Abilities {
    let object = loaded.object();
    let may = |a| decide(actor, Action::Helpdesk(a), object);
    let work = may(HelpdeskAction::Work);
    let reply = may(HelpdeskAction::Reply);
    let side = if work {
        Some(Side::Staff)
    } else if reply {
        Some(Side::Applicant)
    } else {
        None
    };
    let from = loaded.ticket.status;
    let next = side
        .map(|side| {
            Status::ALL
                .iter()
                .copied()
                .filter(|to| *to != Status::Assigned && transition_allowed(side, from, *to))
                .collect()
        })
        .unwrap_or_default();
    Abilities {
        reply: reply && !(work && from == Status::Closed),
        work,
        assign: may(HelpdeskAction::Assign) && from.is_open(),
        next,
    }
}

/// One ticket as `actor` sees it; internal notes only for the support service.
pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<TicketView> {
    let loaded = load(app, id)?;
    require(actor, Action::Helpdesk(HelpdeskAction::Read), loaded.object())?;
    let names = Names::load(app, lang)?;
    Ok(build(app, actor, &loaded, &names))
}

fn build(app: &App, actor: &Actor, loaded: &Loaded, names: &Names) -> TicketView {
    let t = &loaded.ticket;
    let can = abilities(actor, loaded);
    let staff_view = can.work;
    let messages = t
        .messages
        .iter()
        .filter(|m| staff_view || !m.internal)
        .map(|m| MessageView {
            id: m.id,
            at: m.at.clone(),
            by: names.person(m.by),
            staff: m.by != t.applicant_id,
            text: m.text.clone(),
            internal: m.internal,
            files: files_of(app, t.id, m.files),
        })
        .collect();
    TicketView {
        id: t.id,
        number: t.number.clone(),
        status: t.status,
        category: t.category,
        urgency: t.urgency,
        channel: t.channel,
        subject: t.subject.clone(),
        text: t.text.clone(),
        applicant: names.person(t.applicant_id),
        agency: names.agency(t.agency_id),
        entered_by: t.entered_by.and_then(|id| names.person(id)),
        assignee: t.assignee.and_then(|id| names.person(id)),
        team: t.team.and_then(|id| names.team(id)),
        unrouted: t.unrouted,
        clocks: clocks(app, t),
        history: t
            .history
            .iter()
            .map(|c| ChangeView {
                at: c.at.clone(),
                by: if c.by == 0 { None } else { names.person(c.by) },
                from: c.from,
                to: c.to,
                note: c.note.clone(),
            })
            .collect(),
        messages,
        files: files_of(app, t.id, t.files),
        continues: t.continues,
        continued_by: t.continued_by,
        created: t.created.clone(),
        updated: t.updated.clone(),
        can,
    }
}

/// Filters of the lists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// `open` (the default), `all`, or a status name.
    pub status: String,
    /// Only tickets whose targets call for attention (due soon or overdue).
    pub alarm: bool,
    /// Only tickets no rule routed and nobody assigned yet.
    pub unrouted: bool,
    /// Only tickets filed by, or with, the reader (for the support administrator, who
    /// otherwise sees the whole queue).
    pub mine: bool,
}

/// One line of a list.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRow {
    pub id: u64,
    pub number: String,
    pub subject: String,
    pub category: Category,
    pub urgency: Urgency,
    pub status: Status,
    pub applicant: Option<PersonRef>,
    pub agency: Option<AgencyRef>,
    pub assignee: Option<PersonRef>,
    pub team: Option<TeamRef>,
    pub unrouted: bool,
    /// The most pressing of the two clocks.
    pub clock: sla::ClockState,
    pub first_response: sla::Clock,
    pub resolution: sla::Clock,
    pub created: String,
    pub updated: String,
}

/// Tickets the reader may see: their own and those with them; the support administrator
/// the whole queue. Newest first; those calling for attention first among open ones.
pub fn list(app: &App, actor: &Actor, filter: &ListFilter, lang: &str) -> Result<Vec<TicketRow>> {
    actor.origin.set_operation(&Action::Helpdesk(HelpdeskAction::Read).name());
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let whole_queue = decide(actor, Action::Helpdesk(HelpdeskAction::Queue), Object::Appliance);
    if whole_queue {
        actor.origin.set_operation(&Action::Helpdesk(HelpdeskAction::Queue).name());
    }
    let names = Names::load(app, lang)?;
    let status = match filter.status.trim() {
        "" | "open" => None,
        "all" => Some(None),
        s => Some(Some(
            Status::parse(s).ok_or_else(|| Error::invalid("status", "helpdesk-status-invalid"))?,
        )),
    };
    let tickets = {
        let txn = app.db.read()?;
        store::tickets(&txn)?
    };
    let mut rows = Vec::new();
    for t in tickets.into_iter().rev() {
        let handlers = t.handlers(&members(names.teams(), t.team));
        let loaded = Loaded { ticket: t, handlers };
        let t = &loaded.ticket;
        let involved = t.applicant_id == me || loaded.handlers.contains(&me);
        if filter.mine && !involved {
            continue;
        }
        let readable =
            involved && decide(actor, Action::Helpdesk(HelpdeskAction::Read), loaded.object());
        if !(whole_queue || readable) {
            continue;
        }
        let keep = match status {
            None => t.status.is_open(),
            Some(None) => true,
            Some(Some(s)) => t.status == s,
        };
        if !keep || (filter.unrouted && !(t.unrouted && t.status == Status::New)) {
            continue;
        }
        let clocks = clocks(app, t);
        let worst = clocks.worst();
        if filter.alarm && !worst.is_alarm() {
            continue;
        }
        rows.push(TicketRow {
            id: t.id,
            number: t.number.clone(),
            subject: t.subject.clone(),
            category: t.category,
            urgency: t.urgency,
            status: t.status,
            applicant: names.person(t.applicant_id),
            agency: names.agency(t.agency_id),
            assignee: t.assignee.and_then(|id| names.person(id)),
            team: t.team.and_then(|id| names.team(id)),
            unrouted: t.unrouted && t.status == Status::New,
            clock: worst,
            first_response: clocks.first_response,
            resolution: clocks.resolution,
            created: t.created.clone(),
            updated: t.updated.clone(),
        });
    }
    rows.sort_by_key(|r| (!r.status.is_open(), !r.clock.is_alarm()));
    Ok(rows)
}

/// One attached file of a ticket for download: the reader must see the ticket, and the
/// files of internal notes are the support service's only.
pub fn open_file(
    app: &App,
    actor: &Actor,
    id: u64,
    document: u64,
    file: u64,
) -> Result<(FileMeta, BlobReader)> {
    let loaded = load(app, id)?;
    let object = loaded.object();
    require(actor, Action::Helpdesk(HelpdeskAction::Read), object)?;
    actor.origin.set_operation("helpdesk.download");
    let t = &loaded.ticket;
    let internal = t.messages.iter().any(|m| m.internal && m.files == Some(document));
    let staff = decide(actor, Action::Helpdesk(HelpdeskAction::Work), object);
    if !t.file_documents().contains(&document) || (internal && !staff) {
        return Err(Error::not_found());
    }
    documents::open_file_as_workflow(app, document, file)
}
