//! What people read of training requests: the agency's officers theirs, the trainees those
//! that name them, the support administrators all; each trainee's standing and what the
//! reader may do next.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::model::{Status, TraineeStatus, TrainingRequest};
use super::service::with_object;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, TrainingAction, decide, require};
use crate::error::{Error, Result};
use crate::portal::directory::model::{Agency, User};
use crate::portal::directory::service as directory;

#[derive(Debug, Clone, Serialize)]
pub struct TraineeView {
    pub login: String,
    pub name: String,
    pub status: TraineeStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub no: u32,
    pub starts: String,
    pub minutes: u32,
    pub place: String,
    pub link: String,
    pub capacity: u32,
    /// Logins of those invited, and of those who came once recorded.
    pub invited: Vec<TraineeView>,
    pub recorded: bool,
    pub attended: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Abilities {
    pub schedule: bool,
    pub record: bool,
    pub decline: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainingView {
    pub id: u64,
    pub agency: String,
    pub requested_by: String,
    pub topic: String,
    pub preferred: String,
    pub note: String,
    pub status: Status,
    pub reason: String,
    pub trainees: Vec<TraineeView>,
    pub sessions: Vec<SessionView>,
    pub created: String,
    pub updated: String,
    pub can: Abilities,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
}

struct Names {
    users: HashMap<u64, User>,
    agencies: HashMap<u64, Agency>,
    lang: String,
}

impl Names {
    fn load(app: &App, lang: &str) -> Result<Names> {
        Ok(Names {
            users: directory::every_user_by_id(app)?,
            agencies: directory::agencies_by_id(app)?,
            lang: lang.to_owned(),
        })
    }

    fn trainee(&self, r: &TrainingRequest, id: u64) -> TraineeView {
        let user = self.users.get(&id);
        TraineeView {
            login: user.map(|u| u.login.clone()).unwrap_or_default(),
            name: user.map(|u| u.display_name(&self.lang).to_owned()).unwrap_or_default(),
            status: r.trainee_status(id),
        }
    }

    fn view(&self, actor: &Actor, r: TrainingRequest) -> TrainingView {
        let may = with_object(&r, |o| decide(actor, Action::Training(TrainingAction::Schedule), o));
        let open = !r.status.is_settled();
        let sessions = r
            .sessions
            .iter()
            .map(|s| SessionView {
                no: s.no,
                starts: s.starts.clone(),
                minutes: s.minutes,
                place: s.place.clone(),
                link: s.link.clone(),
                capacity: s.capacity,
                invited: s.invited.iter().map(|i| self.trainee(&r, *i)).collect(),
                recorded: s.attended.is_some(),
                attended: s.attended.as_ref().map_or(0, Vec::len),
            })
            .collect();
        TrainingView {
            id: r.id,
            agency: self.agencies.get(&r.agency_id).map(|a| a.code.clone()).unwrap_or_default(),
            requested_by: self
                .users
                .get(&r.requested_by)
                .map(|u| u.display_name(&self.lang).to_owned())
                .unwrap_or_default(),
            trainees: r.trainees.iter().map(|t| self.trainee(&r, *t)).collect(),
            sessions,
            can: Abilities {
                schedule: may && open && !r.not_invited().is_empty(),
                record: may && r.status != Status::Declined,
                decline: may && open,
            },
            topic: r.topic,
            preferred: r.preferred,
            note: r.note,
            status: r.status,
            reason: r.reason,
            created: r.created,
            updated: r.updated,
        }
    }
}

fn readable(actor: &Actor, r: &TrainingRequest) -> bool {
    with_object(r, |o| decide(actor, Action::Training(TrainingAction::Read), o))
}

/// The requests the reader may see, open ones first, then the newest.
pub fn list(app: &App, actor: &Actor, query: &ListQuery, lang: &str) -> Result<Vec<TrainingView>> {
    let status = match query.status.trim() {
        "" => None,
        s => Some(
            Status::parse(s).ok_or_else(|| Error::invalid("status", "training-status-invalid"))?,
        ),
    };
    let all = {
        let txn = app.db.read()?;
        store::all(&txn)?
    };
    let mut found: Vec<TrainingRequest> = all.into_iter().filter(|r| readable(actor, r)).collect();
    if found.is_empty() {
        // Nothing named the reader: the list is theirs to see only as an officer or support.
        let agency = actor.user().map(|u| u.agency_id).unwrap_or(0);
        require(actor, Action::Training(TrainingAction::Read), Object::Agency(agency))?;
    }
    found.retain(|r| status.is_none_or(|s| r.status == s));
    found.sort_by_key(|r| (r.status.is_settled(), std::cmp::Reverse(r.id)));
    let names = Names::load(app, lang)?;
    Ok(found.into_iter().map(|r| names.view(actor, r)).collect())
}

pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<TrainingView> {
    let r = {
        let txn = app.db.read()?;
        store::get(&txn, id)?.ok_or_else(Error::not_found)?
    };
    with_object(&r, |o| require(actor, Action::Training(TrainingAction::Read), o))?;
    Ok(Names::load(app, lang)?.view(actor, r))
}
