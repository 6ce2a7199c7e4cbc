//! ipgo — the intranet portal of state bodies as one binary. See `docs/ARCHITECTURE.md`
//! for the map of this crate.

pub mod actor;
pub mod app;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod formats;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod memory;
pub mod notify;
pub mod ops;
pub mod portal;
pub mod report;
pub mod search;
pub mod secret;
pub mod sign;
pub mod vault;
pub mod web;
