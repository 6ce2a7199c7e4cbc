//! The in-app inbox, live updates and undelivered mail (over `notify`).

pub mod http;
