//! Administration of the working-day calendar (the shared service is `crate::calendar`):
//! the page, the API and `ipgo calendar`.

pub mod cli;
pub mod http;
pub mod service;
