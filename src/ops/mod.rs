//! Operating the appliance: administrative commands (shared by the CLI and the admin
//! socket), the admin socket itself, the demo.

pub mod admin_socket;
pub mod backup;
pub mod commands;
pub mod corpus;
pub mod crl_fetch;
pub mod decommission;
pub mod demo;
pub mod demo_pki;
pub mod os_user;
pub mod signatures;
pub mod verify;
