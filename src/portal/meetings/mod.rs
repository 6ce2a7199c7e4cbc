//! The electronic Government meeting (I385 §38–§47): meetings prepared by OKDO officers,
//! the agenda with its materials signed as one manifest and published to the members
//! (a change after publishing is a new signed version), signed attendance with substitutes,
//! votes on draft resolutions on the voting engine, the signed minutes, and what people read.

pub mod attendance;
pub mod demo;
pub mod http;
pub mod materials;
pub mod minutes;
pub mod model;
pub mod pages;
pub mod print;
pub mod service;
pub mod store;
pub mod view;
pub mod votes;
