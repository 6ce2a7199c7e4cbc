//! Sign-in against the agencies' directories and their synchronisation (I617 §20–§21).
//!
//! `client` talks LDAP over TLS (rustls, the configured CA only); `signin` checks a
//! directory account's password by a simple bind; `sync` brings names, positions and
//! departments into the identity service and disables accounts whose entries are gone.
//! Accounts change only through `portal::directory::external`, never its tables.

pub mod cli;
pub mod client;
pub mod config;
pub mod http;
pub mod pages;
pub mod settings;
pub mod signin;
pub mod store;
pub mod sync;

pub use config::DirectoryConfig;
