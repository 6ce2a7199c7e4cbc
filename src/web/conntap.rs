//! Requests answered before the pipeline, in the access log too (R365 §7–§8).
//!
//! actix-http answers some requests itself, before any middleware runs: a malformed or
//! empty request (400), oversized headers (431), a request line and headers that did not
//! arrive in time (408). To log those as well, each HTTP/1 connection is *tapped*:
//! [`Tapped`] wraps the connection's stream and follows both directions with a small
//! HTTP/1.1 framer — request heads and bodies in, response heads and bodies out — counting
//! body bytes without copying them. Every response the pipeline made carries
//! `X-Request-Id` and was logged there; a final response without one was made by actix,
//! and is handed to the access log ([`crate::audit::AuditLog::refused`], which bounds a
//! flood) with what is known: the client address, the status, and the method and path of
//! the refused request as far as they were read.
//!
//! HTTP/2 connections are not tapped: there a malformed request is refused by resetting
//! its stream, and nothing is answered.

use std::collections::VecDeque;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::audit::AuditLog;

/// Longest request head actix reads (its `MAX_BUFFER_SIZE`) plus a margin; past it the tap
/// stops following the connection, which actix is about to refuse (431).
const MAX_HEAD: usize = 132 * 1024;
/// Headers per request head actix accepts (more is 431); responses have fewer.
const MAX_HEADERS: usize = 96;
/// Bytes of a request head kept to name the method and path of a refusal.
const KEPT: usize = 1024;
/// Requests read ahead of their responses (pipelining) remembered.
const MAX_WAITING: usize = 64;

/// A connection's stream, with its HTTP/1 traffic followed by a [`Tap`] (or not, for
/// HTTP/2).
pub struct Tapped<T> {
    io: T,
    tap: Option<Box<Tap>>,
}

impl<T> Tapped<T> {
    pub fn new(io: T, tap: Option<Tap>) -> Tapped<T> {
        Tapped { io, tap: tap.map(Box::new) }
    }

    pub fn get_ref(&self) -> &T {
        &self.io
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tapped<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(tap)) = (&polled, this.tap.as_mut()) {
            tap.inbound(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tapped<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.io).poll_write(cx, data);
        if let (Poll::Ready(Ok(n)), Some(tap)) = (&polled, this.tap.as_mut()) {
            tap.outbound(&data[..*n]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A request as far as it was read: its method and path (both cut short, printable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    head_only: bool,
}

/// Follows one HTTP/1 connection and reports the responses the pipeline did not make.
pub struct Tap {
    peer: Option<IpAddr>,
    log: Arc<AuditLog>,
    follower: Follower,
}

impl Tap {
    pub fn new(peer: Option<IpAddr>, log: Arc<AuditLog>) -> Tap {
        Tap { peer, log, follower: Follower::default() }
    }

    fn inbound(&mut self, data: &[u8]) {
        self.follower.inbound(data);
    }

    fn outbound(&mut self, data: &[u8]) {
        for (seen, status) in self.follower.outbound(data) {
            self.log.refused(self.peer, &seen.method, &seen.path, status);
        }
    }
}

impl Drop for Tap {
    /// A connection that ends in the middle of a request head, unanswered (the client gave
    /// up, or actix closed an idle keep-alive connection): logged with status 0.
    fn drop(&mut self) {
        if let Some(seen) = self.follower.unanswered() {
            self.log.refused(self.peer, &seen.method, &seen.path, 0);
        }
    }
}

/// Both directions of a connection, and the requests waiting for their responses.
#[derive(Default)]
struct Follower {
    requests: Framer,
    responses: Framer,
    /// Requests whose heads were read, oldest first, waiting for their responses.
    waiting: VecDeque<Seen>,
    /// A response answered the request head still being read (a refusal).
    partial_answered: bool,
}

impl Follower {
    /// The request head being read when the connection ended, if nothing answered it.
    fn unanswered(&self) -> Option<Seen> {
        self.requests.partial().filter(|_| !self.partial_answered)
    }

    fn inbound(&mut self, data: &[u8]) {
        let waiting = &mut self.waiting;
        self.requests.feed(data, &mut |head| {
            let (seen, framing) = request_head(head);
            if waiting.len() == MAX_WAITING {
                waiting.pop_front();
            }
            waiting.push_back(seen);
            framing
        });
    }

    /// The final responses in `data` that the pipeline did not make, with the requests
    /// they answered.
    fn outbound(&mut self, data: &[u8]) -> Vec<(Seen, u16)> {
        let mut refused = Vec::new();
        let (waiting, requests) = (&mut self.waiting, &self.requests);
        let partial_answered = &mut self.partial_answered;
        self.responses.feed(data, &mut |head| {
            let response = response_head(head);
            if response.status < 200 {
                // Interim (100 Continue); 101 hands the connection to another protocol.
                return if response.status == 101 { Framing::Lost } else { Framing::None };
            }
            let request = waiting.pop_front();
            let head_only = request.as_ref().is_some_and(|r| r.head_only);
            if request.is_none() {
                *partial_answered = true;
            }
            if !response.request_id {
                let seen = request.or_else(|| requests.partial()).unwrap_or(Seen {
                    method: "-".into(),
                    path: "-".into(),
                    head_only: false,
                });
                refused.push((seen, response.status));
            }
            match response.framing {
                _ if head_only || matches!(response.status, 204 | 304) => Framing::None,
                framing => framing,
            }
        });
        refused
    }
}

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
    /// Not HTTP/1 any more, or not understood: stop following.
    Lost,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Head,
    Body(u64),
    Chunked(Chunk),
    UntilClose,
    Lost,
}

#[derive(Debug)]
enum Chunk {
    /// The chunk-size line (and extensions) read so far.
    Size(Vec<u8>),
    Data(u64),
    /// The CRLF after a chunk's data: how many of its bytes are still to come.
    DataEnd(u8),
    /// Trailer lines after the last chunk; the line read so far.
    Trailer(Vec<u8>),
}

/// One direction of an HTTP/1.1 connection: heads are gathered whole and handed to the
/// caller, who says how the body after them is delimited; bodies are only counted.
#[derive(Debug, Default)]
struct Framer {
    state: State,
    head: Vec<u8>,
}

impl Framer {
    fn feed(&mut self, mut data: &[u8], on_head: &mut dyn FnMut(&[u8]) -> Framing) {
        while !data.is_empty() {
            match &mut self.state {
                State::Lost | State::UntilClose => return,
                State::Head => {
                    if self.head.is_empty() {
                        // Empty lines before a request line are allowed (RFC 9112 §2.2).
                        let skip = data.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
                        data = &data[skip..];
                        if data.is_empty() {
                            return;
                        }
                    }
                    let searched_from = self.head.len().saturating_sub(3);
                    let take = data.len().min(MAX_HEAD + 1 - self.head.len());
                    self.head.extend_from_slice(&data[..take]);
                    match find(&self.head[searched_from..], b"\r\n\r\n") {
                        Some(at) => {
                            let end = searched_from + at + 4;
                            let consumed = take - (self.head.len() - end);
                            data = &data[consumed..];
                            self.head.truncate(end);
                            let framing = on_head(&self.head);
                            self.head.clear();
                            self.state = match framing {
                                Framing::None | Framing::Length(0) => State::Head,
                                Framing::Length(n) => State::Body(n),
                                Framing::Chunked => State::Chunked(Chunk::Size(Vec::new())),
                                Framing::UntilClose => State::UntilClose,
                                Framing::Lost => State::Lost,
                            };
                        }
                        None if self.head.len() > MAX_HEAD => {
                            self.head.truncate(KEPT);
                            self.state = State::Lost;
                            return;
                        }
                        None => return,
                    }
                }
                State::Body(left) => {
                    let n = (*left).min(data.len() as u64);
                    *left -= n;
                    data = &data[n as usize..];
                    if *left == 0 {
                        self.state = State::Head;
                    }
                }
                State::Chunked(chunk) => {
                    let (used, next) = chunk.feed(data);
                    data = &data[used..];
                    match next {
                        Some(ChunkNext::Done) => self.state = State::Head,
                        Some(ChunkNext::Malformed) => self.state = State::Lost,
                        None => {}
                    }
                }
            }
        }
    }

    /// The request head being read now, if any (for a refusal before it was complete).
    fn partial(&self) -> Option<Seen> {
        (!self.head.is_empty()).then(|| first_line(&self.head[..self.head.len().min(KEPT)]))
    }
}

enum ChunkNext {
    Done,
    Malformed,
}

impl Chunk {
    /// Consumes what it can of `data`; says when the body ended.
    fn feed(&mut self, data: &[u8]) -> (usize, Option<ChunkNext>) {
        let mut used = 0;
        while used < data.len() {
            match self {
                Chunk::Size(line) | Chunk::Trailer(line) => {
                    let rest = &data[used..];
                    let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
                        line.extend_from_slice(rest);
                        if line.len() > 4096 {
                            return (data.len(), Some(ChunkNext::Malformed));
                        }
                        return (data.len(), None);
                    };
                    line.extend_from_slice(&rest[..=nl]);
                    used += nl + 1;
                    let text = std::mem::take(line);
                    if matches!(self, Chunk::Trailer(_)) {
                        if text == b"\r\n" || text == b"\n" {
                            return (used, Some(ChunkNext::Done));
                        }
                        continue;
                    }
                    match httparse::parse_chunk_size(&text) {
                        Ok(httparse::Status::Complete((_, 0))) => {
                            *self = Chunk::Trailer(Vec::new())
                        }
                        Ok(httparse::Status::Complete((_, size))) => *self = Chunk::Data(size),
                        _ => return (used, Some(ChunkNext::Malformed)),
                    }
                }
                Chunk::Data(left) => {
                    let n = (*left).min((data.len() - used) as u64);
                    *left -= n;
                    used += n as usize;
                    if *left == 0 {
                        *self = Chunk::DataEnd(2);
                    }
                }
                Chunk::DataEnd(left) => {
                    let b = data[used];
                    used += 1;
                    // CRLF, or a bare LF.
                    if b == b'\n' || *left == 1 {
                        *self = Chunk::Size(Vec::new());
                    } else {
                        *left -= 1;
                    }
                }
            }
        }
        (used, None)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Method and path from the start of a request head, as far as it goes.
fn first_line(head: &[u8]) -> Seen {
    let line = head.split(|b| *b == b'\r' || *b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|b| *b == b' ').filter(|w| !w.is_empty());
    let method = printable(words.next().unwrap_or_default(), 16);
    let path = printable(words.next().unwrap_or_default(), 512);
    Seen {
        head_only: method == "HEAD",
        method: if method.is_empty() { "-".into() } else { method },
        path: if path.is_empty() { "-".into() } else { path },
    }
}

/// Visible ASCII only (anything else becomes `?`), at most `max` characters.
fn printable(bytes: &[u8], max: usize) -> String {
    bytes.iter().take(max).map(|b| if b.is_ascii_graphic() { *b as char } else { '?' }).collect()
}

fn request_head(head: &[u8]) -> (Seen, Framing) {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {
            let seen = first_line(head);
            let framing = body_framing(req.headers).unwrap_or(Framing::None);
            (seen, framing)
        }
        // actix refuses it (400 or 431) and closes the connection.
        _ => (first_line(head), Framing::Lost),
    }
}

struct ResponseHead {
    status: u16,
    request_id: bool,
    framing: Framing,
}

fn response_head(head: &[u8]) -> ResponseHead {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut res = httparse::Response::new(&mut headers);
    match res.parse(head) {
        Ok(httparse::Status::Complete(_)) => ResponseHead {
            status: res.code.unwrap_or(0),
            request_id: res.headers.iter().any(|h| h.name.eq_ignore_ascii_case("x-request-id")),
            framing: body_framing(res.headers).unwrap_or(Framing::UntilClose),
        },
        _ => ResponseHead { status: 0, request_id: true, framing: Framing::Lost },
    }
}

/// The body's delimitation by `Transfer-Encoding` and `Content-Length`, if either is given.
fn body_framing(headers: &[httparse::Header<'_>]) -> Option<Framing> {
    let value = |name: &str| {
        headers
            .iter()
            .rev()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    if let Some(te) = value("transfer-encoding") {
        return Some(if te.ends_with("chunked") { Framing::Chunked } else { Framing::Lost });
    }
    if value("connection").is_some_and(|c| c.contains("upgrade")) && value("upgrade").is_some() {
        return Some(Framing::Lost);
    }
    value("content-length").map(|n| n.parse().map(Framing::Length).unwrap_or(Framing::Lost))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds a request stream, then a response stream, in pieces of `step` bytes; returns
    /// the responses (with method and path) that had no request id.
    fn refused(requests: &[u8], responses: &[u8], step: usize) -> Vec<(String, String, u16)> {
        let mut f = Follower::default();
        for piece in requests.chunks(step) {
            f.inbound(piece);
        }
        let mut out = Vec::new();
        for piece in responses.chunks(step) {
            out.extend(f.outbound(piece).into_iter().map(|(s, status)| (s.method, s.path, status)));
        }
        out
    }

    const OK_LEN: &[u8] = b"HTTP/1.1 200 OK\r\nx-request-id: a\r\ncontent-length: 5\r\n\r\nhello";
    const OK_CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nx-request-id: b\r\ntransfer-encoding: chunked\r\n\r\n5\r\nHTTP/\r\n3;x=y\r\n1.1\r\n0\r\n\r\n";
    const REFUSED_400: &[u8] =
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

    #[test]
    fn responses_without_a_request_id_are_found_after_bodies_of_every_framing() {
        let requests = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
            POST /b HTTP/1.1\r\nContent-Length: 11\r\n\r\nHTTP/1.1 20\
            PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n\
            HEAD /d HTTP/1.1\r\n\r\n\
            BROKEN LINE\r\n\r\n";
        let mut responses = Vec::new();
        responses.extend_from_slice(OK_LEN);
        responses.extend_from_slice(OK_CHUNKED);
        responses.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        responses.extend_from_slice(b"HTTP/1.1 204 No Content\r\nx-request-id: c\r\n\r\n");
        // HEAD: a length but no body.
        responses
            .extend_from_slice(b"HTTP/1.1 200 OK\r\nx-request-id: d\r\ncontent-length: 99\r\n\r\n");
        responses.extend_from_slice(REFUSED_400);
        for step in [1, 2, 3, 7, 4096] {
            assert_eq!(
                refused(requests, &responses, step),
                vec![("BROKEN".into(), "LINE".into(), 400)],
                "pieces of {step}"
            );
        }
    }

    #[test]
    fn a_refusal_before_the_head_was_complete_names_what_was_read() {
        let mut requests = b"GET /huge?x=1 HTTP/1.1\r\n".to_vec();
        requests.extend(std::iter::repeat_n(b'a', 200 * 1024));
        let answer = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(refused(&requests, answer, 1000), vec![("GET".into(), "/huge?x=1".into(), 431)]);
        // Timed out while the head trickled in.
        let answer = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(refused(b"POST /slo", answer, 1), vec![("POST".into(), "/slo".into(), 408)]);
        // Left unanswered when the connection ended.
        let mut f = Follower::default();
        f.inbound(b"GET /a HTTP/1.1\r\n\r\nGET /b HT");
        assert!(f.outbound(OK_LEN).is_empty());
        assert_eq!(f.unanswered().map(|s| s.path), Some("/b".into()));
        let mut f = Follower::default();
        f.inbound(b"GET /c");
        assert_eq!(f.outbound(answer).len(), 1);
        assert_eq!(f.unanswered(), None, "answered (and logged) already");
        // Nothing read at all.
        assert_eq!(refused(b"", answer, 1), vec![("-".into(), "-".into(), 408)]);
    }

    #[test]
    fn hostile_bytes_are_named_printably_and_shortly() {
        let mut line = b"G\x00T /".to_vec();
        line.extend(std::iter::repeat_n(b'\xff', 2000));
        let seen = first_line(&line);
        assert_eq!(seen.method, "G?T");
        assert_eq!(seen.path.len(), 512);
        assert!(seen.path.starts_with("/???"));
    }
}
