//! Identity and the staff directory: agencies, departments, accounts, roles, working
//! groups; signing in and out.

pub mod accounts;
pub mod admin_http;
pub mod departure;
pub mod external;
pub mod http;
pub mod model;
pub mod pages;
pub mod place;
pub mod service;
pub mod signin;
pub mod signin_http;
pub mod store;
pub mod without_password;
