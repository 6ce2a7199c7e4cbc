//! Portal features, one folder each: `model` (types, rules, no I/O), `store` (its redb
//! tables), `service` (use cases: policy check, then data and access log in one
//! transaction), `http` (routes for HTML and `/api/v1` JSON that only parse, call the
//! service and render).

pub mod accesslog;
pub mod calendar;
pub mod directory;
pub mod documents;
pub mod drafts;
pub mod helpdesk;
pub mod home;
pub mod inbox;
pub mod ldap;
pub mod maintenance;
pub mod plans;
pub mod polls;
pub mod reminders;
pub mod search;
pub mod support;
pub mod trust;

/// Tells the voting engine which feature hears of the openings and closings of the polls
/// of a subject (`draft:3` → drafts). The one place that joins the engine to features.
pub fn install_poll_hooks() {
    use polls::service::Hooks;
    static HOOKS: &[Hooks] = &[Hooks {
        prefix: "draft",
        opened: drafts::vote::poll_opened,
        closed: drafts::vote::poll_closed,
    }];
    polls::service::install_hooks(HOOKS);
}
