//! Discussion and real-time voting on any document (I385 §7.6, §52–§54). The vote is a
//! poll of the voting engine (`portal::polls`); this feature owns the discussion, its
//! members, dates and comments, and hears of its poll's opening and closing through the
//! hooks installed in `portal::install_poll_hooks`.
//!
//! - `model.rs` — a discussion's phases (upcoming → open → closed), early close (§54),
//!   comment rules; no I/O.
//! - `store.rs` — its tables.
//! - `service.rs` — create (with a new document or on an existing one), comment, close
//!   early, the engine's hooks, the reminder a day before the end.
//! - `view.rs` — the list and one discussion as a member sees it (HTML and JSON share it).
//! - `http.rs` — `/discussions` pages, `/api/v1/discussions/...`.
//! - `demo.rs` — the demo's discussions.

pub mod demo;
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod view;
