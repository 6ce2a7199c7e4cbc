//! Documents: posting, versions, attachments kept exactly as received in the encrypted
//! blob store, archive listings, comments, comparison, guaranteed destruction.

pub mod destroy;
pub mod evidence;
pub mod http;
pub mod indexing;
pub mod model;
pub mod pages;
pub mod posting;
pub mod receive;
pub mod register_copy;
pub mod revocations;
pub mod service;
pub mod signatures;
pub mod signing_http;
pub mod store;
pub mod upkeep;
pub mod upload;
