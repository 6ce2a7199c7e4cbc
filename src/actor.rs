//! Who is acting and where the action came from.
//!
//! Every service call takes an [`Actor`]. Its [`Origin`] carries what the access log needs
//! (request id, client address, channel, route) and a small shared state through which the
//! service tells the HTTP layer that the request's log entry was already written inside the
//! service's own transaction, so each request is logged exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use crate::auth::roles::{Role, RoleSet};

/// The signed-in person behind a request.
#[derive(Debug, Clone)]
pub struct UserIdentity {
    pub id: u64,
    pub login: String,
    pub agency_id: u64,
    pub agency_code: String,
    pub department_id: Option<u64>,
    pub roles: RoleSet,
    pub groups: Vec<u64>,
    pub lang: String,
    /// Signed in with a one-time password that must be changed first.
    pub must_change_password: bool,
}

#[derive(Debug, Clone)]
pub enum Who {
    User(UserIdentity),
    /// The machine's administrator using the `ipgo` command (directly or through the admin
    /// socket). Manages the appliance; never reads documents.
    Operator {
        os_user: String,
    },
    /// A background job of the appliance itself.
    System(&'static str),
    /// Nobody signed in (sign-in attempts, public pages).
    Anonymous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Http,
    Admin,
    System,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Http => "http",
            Channel::Admin => "admin",
            Channel::System => "system",
        }
    }
}

/// Where an action came from, and how its access-log entry is progressing.
#[derive(Debug, Clone)]
pub struct Origin {
    pub request_id: String,
    pub ip: String,
    pub channel: Channel,
    pub method: String,
    pub route: String,
    pub resource: String,
    pub started: Instant,
    state: Arc<OriginState>,
}

#[derive(Debug, Default)]
struct OriginState {
    operation: Mutex<Option<String>>,
    /// Extra facts for the entry the HTTP layer writes (e.g. the login tried).
    detail: Mutex<Option<serde_json::Value>>,
    /// The service wrote this request's entry inside its transaction (set after commit).
    logged: AtomicBool,
    /// The policy refused the request while answering as if the object did not exist
    /// (`policy::require_visible`): the entry says `denied` whatever the status.
    concealed_denial: AtomicBool,
    /// The status the HTTP layer will answer with on success (201 for creations).
    success_status: AtomicU16,
}

impl Origin {
    pub fn new(
        channel: Channel,
        ip: String,
        method: &str,
        route: String,
        resource: String,
    ) -> Origin {
        Origin {
            request_id: hex::encode(crate::secret::random_bytes::<8>()),
            ip,
            channel,
            method: method.to_owned(),
            route,
            resource,
            started: Instant::now(),
            state: Arc::new(OriginState {
                success_status: AtomicU16::new(200),
                ..Default::default()
            }),
        }
    }

    /// An origin for a background job.
    pub fn system(job: &str) -> Origin {
        Origin::new(Channel::System, "-".into(), "JOB", job.to_owned(), job.to_owned())
    }

    /// Names the operation for the access log (the policy action checked, or a use case).
    pub fn set_operation(&self, op: &str) {
        *self.state.operation.lock() = Some(op.to_owned());
    }

    /// Names the operation unless one is named already: the first policy check of a request
    /// is what the request does; checks made to show things around it (names from the
    /// directory, the document of a draft) do not rename it.
    pub fn name_operation_if_unnamed(&self, op: &str) {
        let mut current = self.state.operation.lock();
        if current.is_none() {
            *current = Some(op.to_owned());
        }
    }

    pub fn operation(&self) -> Option<String> {
        self.state.operation.lock().clone()
    }

    pub fn set_detail(&self, detail: serde_json::Value) {
        *self.state.detail.lock() = Some(detail);
    }

    pub fn detail(&self) -> Option<serde_json::Value> {
        self.state.detail.lock().clone()
    }

    pub fn set_success_status(&self, status: u16) {
        self.state.success_status.store(status, Ordering::Relaxed);
    }

    pub fn success_status(&self) -> u16 {
        self.state.success_status.load(Ordering::Relaxed)
    }

    pub fn mark_logged(&self) {
        self.state.logged.store(true, Ordering::Release);
    }

    pub fn is_logged(&self) -> bool {
        self.state.logged.load(Ordering::Acquire)
    }

    /// Records that the request was refused by the policy although it is answered like a
    /// missing object.
    pub fn mark_concealed_denial(&self) {
        self.state.concealed_denial.store(true, Ordering::Release);
    }

    pub fn is_concealed_denial(&self) -> bool {
        self.state.concealed_denial.load(Ordering::Acquire)
    }

    pub fn elapsed_us(&self) -> u64 {
        self.started.elapsed().as_micros().min(u64::MAX as u128) as u64
    }
}

/// Whoever performs an action, with where it came from.
#[derive(Debug, Clone)]
pub struct Actor {
    pub who: Who,
    pub origin: Origin,
}

impl Actor {
    pub fn user(&self) -> Option<&UserIdentity> {
        match &self.who {
            Who::User(u) => Some(u),
            _ => None,
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.user().is_some_and(|u| u.roles.contains(role))
    }

    pub fn is_operator(&self) -> bool {
        matches!(self.who, Who::Operator { .. })
    }

    /// Name recorded in the access log.
    pub fn log_name(&self) -> String {
        match &self.who {
            Who::User(u) => u.login.clone(),
            Who::Operator { os_user } => format!("cli:{os_user}"),
            Who::System(job) => format!("system:{job}"),
            Who::Anonymous => "-".into(),
        }
    }

    pub fn user_id(&self) -> Option<u64> {
        self.user().map(|u| u.id)
    }

    pub fn agency_code(&self) -> Option<String> {
        self.user().map(|u| u.agency_code.clone())
    }

    /// A deliberately ugly, greppable way for background jobs to act without a person.
    pub fn system_job_bypassing_user_policy(job: &'static str) -> Actor {
        Actor { who: Who::System(job), origin: Origin::system(job) }
    }
}
