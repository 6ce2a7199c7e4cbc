//! The HTTP layer (actix-web): server, the request pipeline, extractors, rendering,
//! translated errors. It never touches redb or tantivy; feature routes live in
//! `portal/<feature>/http.rs` and call their services.

pub mod assets;
pub mod client_cert;
pub mod conntap;
pub mod cookies;
pub mod errors;
pub mod health;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod openapi;
pub mod pipeline;
pub mod render;
pub mod request;
pub mod server;
pub mod tls;

use crate::error::{Error, Result};

/// Decodes an HTML form body (repeated keys become lists, e.g. role checkboxes).
pub fn form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_html_form::from_bytes(body)
        .map_err(|e| Error::new(crate::error::Code::InvalidInput).with_detail(e.to_string()))
}

/// Runs blocking work (redb, Argon2) off the async executor.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    actix_web::web::block(f).await.map_err(Error::internal)?
}
