//! The helpdesk (I617 §12–§16): participants' requests to the user-support service,
//! registered with a number, routed by rules on category and agency to an administrator
//! or a team, moved through `new → assigned → in progress → waiting → resolved → closed`,
//! the applicant told of every change; first-response and resolution targets counted in
//! support hours only, from the status history, on the working-day calendar.

pub mod admin;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod routing;
pub mod service;
pub mod sla;
pub mod store;
pub mod views;
