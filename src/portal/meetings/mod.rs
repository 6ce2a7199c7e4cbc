//! The electronic Government meeting (I385 §38–§47): meetings prepared by OKDO officers,
//! the agenda with its materials signed as one manifest and published to the members
//! (a change after publishing is a new signed version), and what members read.

pub mod http;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod view;
