//! The auditor's viewer of the access log (filters, CSV export) over `audit::query`.

pub mod http;
pub mod words;
