//! Portal features, one folder each: `model` (types, rules, no I/O), `store` (its redb
//! tables), `service` (use cases: policy check, then data and access log in one
//! transaction), `http` (routes for HTML and `/api/v1` JSON that only parse, call the
//! service and render).

pub mod accesslog;
pub mod account_requests;
pub mod calendar;
pub mod directory;
pub mod discussions;
pub mod documents;
pub mod drafts;
pub mod headcount;
pub mod help;
pub mod helpdesk;
pub mod home;
pub mod inbox;
pub mod ldap;
pub mod maintenance;
pub mod meetings;
pub mod plans;
pub mod polls;
pub mod proposals;
pub mod reminders;
pub mod search;
pub mod selfaudit;
pub mod support;
pub mod surveys;
pub mod trainings;
pub mod trust;
pub mod usage;

/// Tells the voting engine which feature hears of the openings and closings of the polls
/// of a subject (`draft:3` → drafts). The one place that joins the engine to features.
pub fn install_poll_hooks() {
    use polls::service::Hooks;
    static HOOKS: &[Hooks] = &[
        Hooks {
            prefix: "draft",
            opened: drafts::vote::poll_opened,
            closed: drafts::vote::poll_closed,
        },
        Hooks {
            prefix: "discussion",
            opened: discussions::service::poll_opened,
            closed: discussions::service::poll_closed,
        },
        Hooks {
            prefix: "meeting",
            opened: meetings::votes::poll_opened,
            closed: meetings::votes::poll_closed,
        },
    ];
    polls::service::install_hooks(HOOKS);
}
