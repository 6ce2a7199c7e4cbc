//! Training (I617 §19): an agency's HR officer or head asks the support service to train
//! named employees on a topic; the support administrator schedules sessions (date, place or
//! link, capacity), invites the trainees, records who attended, or declines with a reason;
//! the agency follows where its request and each trainee stand.

pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod views;
