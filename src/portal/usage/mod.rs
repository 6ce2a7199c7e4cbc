//! Usage of the portal per agency (I617 §22): active users per day and week, sign-ins,
//! documents posted and workflow actions, counted from the portal's own access log — no
//! external analytics. The figures come from a daily aggregate kept by this feature
//! (`store.rs`), brought up to date incrementally from the log by the server's scheduler and
//! before each view, and rebuilt from the log (archives included) when missing, so a view
//! costs what is new since the last refresh, never a pass over the whole log.

pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
