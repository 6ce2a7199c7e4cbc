//! Authentication and authorisation primitives: roles, the policy, password hashing,
//! credentials, sessions, sign-in throttling. Small on purpose: review it in an hour.

pub mod credentials;
pub mod password;
pub mod policy;
pub mod roles;
pub mod session;
pub mod throttle;
