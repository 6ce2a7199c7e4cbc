//! Approval of draft legal acts across agencies (I385 §12–§25).

pub mod demo;
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod view;
pub mod vote;
