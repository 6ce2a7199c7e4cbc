//! The HTTP layer (actix-web): server, the request pipeline, extractors, rendering,
//! translated errors. It never touches redb or tantivy; feature routes live in
//! `portal/<feature>/http.rs` and call their services.

pub mod assets;
pub mod client_cert;
pub mod compress;
pub mod conntap;
pub mod cookies;
pub mod errors;
pub mod forms;
pub mod head;
pub mod health;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod openapi;
pub mod pipeline;
pub mod render;
pub mod request;
pub mod routes;
pub mod server;
pub mod sorting;
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

/// Reads one file field of a multipart form (a signature upload), at most 1 MiB; the other
/// fields are read and dropped.
pub async fn read_file_field(mp: actix_multipart::Multipart, wanted: &str) -> Result<Vec<u8>> {
    Ok(read_multipart(mp, wanted).await?.1)
}

/// Reads a multipart form of small text fields and one file field (a signature), at most
/// 1 MiB in all: (the text fields, the file's bytes).
pub async fn read_multipart(
    mut mp: actix_multipart::Multipart,
    file_field: &str,
) -> Result<(std::collections::HashMap<String, String>, Vec<u8>)> {
    use futures_util::StreamExt;
    let bad = |e: String| Error::new(crate::error::Code::InvalidInput).with_detail(e);
    let mut fields = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut total = 0usize;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|e| bad(e.to_string()))?;
        let name = field.name().unwrap_or("").to_owned();
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| bad(e.to_string()))?;
            total += chunk.len();
            if total > 1024 * 1024 {
                return Err(Error::new(crate::error::Code::TooLarge).with_field(&name));
            }
            value.extend_from_slice(&chunk);
        }
        if name == file_field {
            out = value;
        } else {
            fields.insert(name, String::from_utf8_lossy(&value).into_owned());
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(file_field, "field-required"));
    }
    Ok((fields, out))
}

/// Reads a url-encoded form body of at most 256 KiB (for handlers that take either a form or
/// a multipart upload on one route).
pub async fn read_form_body(
    mut payload: actix_web::web::Payload,
) -> Result<actix_web::web::BytesMut> {
    use futures_util::StreamExt;
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| Error::new(crate::error::Code::InvalidInput).with_detail(e.to_string()))?;
        if body.len() + chunk.len() > 256 * 1024 {
            return Err(Error::new(crate::error::Code::TooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
