//! Trust administration pages (I385 §57, §6.8): trusted CAs and CRLs, registration
//! certificates, a person's own certificates. The rules live in `sign::service`.

pub mod http;
pub mod pages;
