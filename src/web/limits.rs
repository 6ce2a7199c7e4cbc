//! Request limits. Every refusal for size or count is 413 `too_large` whose message names
//! the limit that was hit and its value (the `limit-*` messages of `security.ftl`), so a
//! person knows what to reduce: a JSON body is not "a 60 MB document".
//!
//! Bodies parsed whole (JSON, forms) are capped by actix's extractors ([`JSON_BODY`],
//! [`FORM_BODY`]; the pipeline names them when actix refuses); multipart bodies are read
//! part by part through [`Parts`], which caps the number of parts of a request, and
//! [`read_capped`], which caps each part kept in memory. Uploads of documents stream to
//! disk under the document limits (`portal/documents/receive.rs`).
//!
//! Time is a limit too: [`Paced`] cuts a body off when it arrives slower than
//! `server.body_min_bytes_per_second` after a grace of `server.body_timeout_seconds`, so a
//! few clients trickling bytes cannot hold the server's connections (answered 408).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_multipart::{Field, Multipart};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::error::{Code, Error, Result};

/// Most a JSON body may hold.
pub const JSON_BODY: usize = 256 * 1024;
/// Most an url-encoded form (or another small body read whole) may hold.
pub const FORM_BODY: usize = 256 * 1024;

/// The refusal of a body actix's extractors found too large, by its content type.
pub fn body_too_large(headers: &HeaderMap) -> Error {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if json {
        Error::too_large("limit-json-body", JSON_BODY / 1024)
    } else {
        Error::too_large("limit-form-body", FORM_BODY / 1024)
    }
}

/// The parts of a multipart body, at most `max` of them (`server.max_parts_per_request`):
/// a body of many tiny parts costs work per part whatever its size.
pub struct Parts {
    inner: Multipart,
    seen: usize,
    max: usize,
}

impl Parts {
    pub fn new(inner: Multipart, max: usize) -> Parts {
        Parts { inner, seen: 0, max }
    }

    /// The next part; a malformed body is `invalid_input`, one part too many `too_large`.
    pub async fn next(&mut self) -> Option<Result<Field>> {
        let field = self.inner.next().await?;
        self.seen += 1;
        if self.seen > self.max {
            return Some(Err(Error::too_large("limit-parts-per-request", self.max)));
        }
        Some(field.map_err(|e| Error::new(Code::InvalidInput).with_detail(e.to_string())))
    }
}

/// Reads a part (or a small body) into memory, refusing it past `cap` bytes with the
/// message `key`, whose `$limit` is `shown` (the cap in the message's unit).
pub async fn read_capped<S, E>(
    stream: &mut S,
    cap: usize,
    key: &'static str,
    shown: usize,
) -> Result<Vec<u8>>
where
    S: Stream<Item = std::result::Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::new(Code::InvalidInput).with_detail(e.to_string()))?;
        if out.len() + chunk.len() > cap {
            return Err(Error::too_large(key, shown));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Every part of a small multipart form (a signature, a certificate, a CSV file) in memory,
/// by name: at most `max_parts` parts and `cap` bytes in all, else refused with `key`
/// naming `shown`.
pub async fn small_form(
    mp: Multipart,
    max_parts: usize,
    cap: usize,
    key: &'static str,
    shown: usize,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut parts = Parts::new(mp, max_parts);
    let mut out = Vec::new();
    let mut total = 0;
    while let Some(field) = parts.next().await {
        let mut field = field?;
        let name = field.name().unwrap_or("").to_owned();
        let value = read_capped(&mut field, cap - total, key, shown).await?;
        total += value.len();
        out.push((name, value));
    }
    Ok(out)
}

/// A request body that must keep a minimum pace: by `grace + received / min_rate` seconds
/// after the body began, `received` bytes must have arrived. When it falls behind — with
/// bytes trickling in or none at all — it ends with an error and `timed_out` is set, which
/// the pipeline answers as 408 `request_timeout`.
pub struct Paced {
    inner: Payload,
    started: Instant,
    received: u64,
    grace: Duration,
    min_rate: u64,
    timer: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl Paced {
    pub fn new(
        inner: Payload,
        grace: Duration,
        min_rate: u64,
        timed_out: Arc<AtomicBool>,
    ) -> Paced {
        let started = Instant::now();
        Paced {
            inner,
            started,
            received: 0,
            grace,
            min_rate: min_rate.max(1),
            timer: Box::pin(tokio::time::sleep_until(started + grace)),
            timed_out,
        }
    }

    fn deadline(&self) -> Instant {
        self.started
            + self.grace
            + Duration::from_secs_f64(self.received as f64 / self.min_rate as f64)
    }

    fn expire(&mut self) -> Poll<Option<std::result::Result<Bytes, PayloadError>>> {
        self.timed_out.store(true, Ordering::Release);
        let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
        Poll::Ready(Some(Err(PayloadError::Io(late))))
    }
}

impl Stream for Paced {
    type Item = std::result::Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.timed_out.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                this.received += bytes.len() as u64;
                let deadline = this.deadline();
                if Instant::now() > deadline {
                    return this.expire();
                }
                this.timer.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => this.expire(),
                Poll::Pending => Poll::Pending,
            },
            done => done,
        }
    }
}
