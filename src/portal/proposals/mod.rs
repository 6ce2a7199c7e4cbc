//! Improvement proposals (I617 §39–§41): any participant proposes an improvement of the
//! portal with a justification, others support it (once each) so the most wanted stand
//! out, the support administrator reviews it and the proposer and supporters are told the
//! outcome.

pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
