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

/// A form of the support section refused on one of its fields: the field and the
/// translated message, shown by the field while the form keeps what was typed.
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// Input refused on one of its fields becomes a `FieldError` with the answer's status;
    /// anything else (no right, a broken body) stays an error for the error page.
    pub fn from_refusal(
        app: &crate::app::App,
        lang: &str,
        e: crate::error::Error,
    ) -> crate::error::Result<(actix_web::http::StatusCode, FieldError)> {
        let Some(field) = e.field.clone() else { return Err(e) };
        let status = actix_web::http::StatusCode::from_u16(e.code.http_status())
            .map_err(crate::error::Error::internal)?;
        Ok((status, FieldError { field, message: app.i18n.error_message(lang, &e) }))
    }

    pub fn is(&self, field: &str) -> bool {
        self.field == field
    }
}
