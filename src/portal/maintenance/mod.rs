//! Planned maintenance (I617 §17): an administrator schedules a window at least 24 hours
//! ahead; every participant sees it on every page from then until it ends.

pub mod http;
pub mod model;
pub mod service;
pub mod store;
