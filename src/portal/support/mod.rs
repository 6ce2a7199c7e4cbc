//! The support section of the portal (I617 §13–§24): the tabs that lead to its pages —
//! the helpdesk, improvement proposals, training and account requests, usage — each shown
//! to those the policy lets open it. Navigation only; every feature checks its own rights.

use crate::actor::Actor;
use crate::auth::policy::{
    AccountRequestAction, Action, HelpdeskAction, Object, ProposalAction, TrainingAction,
    UsageAction, decide,
};

/// Which tabs of the support section a person sees, and the current one.
pub struct Tabs {
    pub current: &'static str,
    pub queue: bool,
    pub routing: bool,
    pub proposals: bool,
    pub trainings: bool,
    pub accounts: bool,
    pub usage: bool,
}

impl Tabs {
    pub fn for_actor(actor: &Actor, current: &'static str) -> Tabs {
        let agency = actor.user().map(|u| u.agency_id).unwrap_or(0);
        let may = |action, object| decide(actor, action, object);
        Tabs {
            current,
            queue: may(Action::Helpdesk(HelpdeskAction::Queue), Object::Appliance),
            routing: may(Action::Helpdesk(HelpdeskAction::ManageRouting), Object::Appliance),
            proposals: may(Action::Proposal(ProposalAction::Read), Object::Appliance),
            trainings: may(Action::Training(TrainingAction::Read), Object::Agency(agency)),
            accounts: may(
                Action::AccountRequest(AccountRequestAction::Read),
                Object::Agency(agency),
            ),
            usage: may(Action::Usage(UsageAction::Read), Object::Agency(agency)),
        }
    }
}
