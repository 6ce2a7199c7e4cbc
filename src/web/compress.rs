//! Gzip for the responses that gain from it (issue 21 point 8): pages, style sheets,
//! scripts, JSON, CSV and SVG, when the browser says it accepts gzip. A page of 20–30 KB
//! goes out as 5–7 KB, which counts on the slow links of district offices.
//!
//! BREACH (CVE-2013-3587): a compressed response that holds a secret (the CSRF token, a
//! person's data) and also reflects what a request carried leaks the secret through its
//! length, to an attacker who makes the victim's browser send many such requests from another
//! site. Browsers name where a request comes from in `Sec-Fetch-Site`, so a response that may
//! hold a secret is compressed only for requests made by the portal's own pages or by a
//! person typing the address (`same-origin`, `none`); a request from another site, or from a
//! client that does not say, gets it plain. Static assets are the same for everyone and are
//! always compressed. (testssl.sh rates a compressed page MEDIUM for BREACH: issue 20.)
//!
//! Not actix-web's `Compress` middleware, which compresses everything but images and
//! video: document downloads (PDF, DOCX, ZIP, already compressed or large) would cost the
//! two cores for nothing and lose their `Content-Length`. The live stream
//! (`text/event-stream`) is left alone too: its events are a few bytes, and a compressor
//! must never hold an event back (actix's encoder flushes when the stream pauses, but the
//! stream is not worth the risk).

use actix_http::ContentEncoding;
use actix_http::encoding::Encoder;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// Whether a response of this content type is compressed.
pub fn compressible(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(
        mime.as_str(),
        "text/html"
            | "text/css"
            | "text/javascript"
            | "application/javascript"
            | "application/json"
            | "application/problem+json"
            | "text/csv"
            | "text/plain"
            | "image/svg+xml"
    )
}

/// Whether `Accept-Encoding` allows gzip (`gzip`, `x-gzip` or `*`, not with `q=0`).
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    let mut star = false;
    for part in accept_encoding.split(',') {
        let mut bits = part.split(';');
        let coding = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = bits.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        match coding.as_str() {
            "gzip" | "x-gzip" => return !refused,
            "*" => star = !refused,
            _ => {}
        }
    }
    star
}

/// Whether the request was made by the portal's own pages or typed by the person
/// (`Sec-Fetch-Site: same-origin` or `none`), so its answer may be compressed although it
/// may hold a secret (BREACH, above).
pub fn own_request(sec_fetch_site: Option<&str>) -> bool {
    sec_fetch_site.is_some_and(|s| {
        s.trim().eq_ignore_ascii_case("same-origin") || s.trim().eq_ignore_ascii_case("none")
    })
}

/// The middleware (outermost: it compresses what the pipeline finished, error pages too).
pub async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wants_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip);
    let holds_no_secret = req.path().starts_with("/static/");
    let own = own_request(req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()));
    let mut res = next.call(req).await?.map_into_boxed_body();
    let content_type =
        res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !compressible(content_type) {
        return Ok(res);
    }
    // Caches keep the compressed and the plain copy apart.
    res.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let skip = !wants_gzip
        || !(holds_no_secret || own)
        || res.headers().contains_key(header::CONTENT_ENCODING)
        || matches!(
            res.status(),
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED | StatusCode::PARTIAL_CONTENT
        );
    if skip {
        return Ok(res);
    }
    Ok(res
        .map_body(|head, body| Encoder::response(ContentEncoding::Gzip, head, body))
        .map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_compressed() {
        for t in ["text/html; charset=utf-8", "text/css", "application/json", "TEXT/CSV"] {
            assert!(compressible(t), "{t}");
        }
        for t in ["text/event-stream", "application/pdf", "application/zip", "image/png", ""] {
            assert!(!compressible(t), "{t}");
        }
    }

    #[test]
    fn only_the_portals_own_requests_get_secrets_compressed() {
        assert!(own_request(Some("same-origin")));
        assert!(own_request(Some("none")), "an address typed or bookmarked");
        assert!(own_request(Some(" Same-Origin ")));
        assert!(!own_request(Some("cross-site")));
        assert!(!own_request(Some("same-site")), "another host of the same site");
        assert!(!own_request(None), "a client that does not say where it comes from");
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("gzip;q=0, *"), "gzip refused by name wins over *");
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip("br, *;q=0"));
        assert!(!accepts_gzip(""));
    }
}
