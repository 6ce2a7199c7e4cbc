//! Portal features, one folder each: `model` (types, rules, no I/O), `store` (its redb
//! tables), `service` (use cases: policy check, then data and access log in one
//! transaction), `http` (routes for HTML and `/api/v1` JSON that only parse, call the
//! service and render).

pub mod accesslog;
pub mod calendar;
pub mod directory;
pub mod documents;
pub mod drafts;
pub mod home;
pub mod inbox;
pub mod maintenance;
pub mod plans;
pub mod search;
pub mod trust;
