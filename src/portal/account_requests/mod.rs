//! Account requests (I617 §20): an agency's HR officer asks for an account for a newcomer,
//! which the system administrator approves (the account is created through the identity
//! service with a one-time password) or refuses with a reason; and asks for a leaver's
//! account to be disabled on a date, which the server does that day.

pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod views;
