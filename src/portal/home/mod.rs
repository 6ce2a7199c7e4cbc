//! The dashboard (start page) and language switching.

pub mod http;
