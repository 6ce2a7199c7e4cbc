//! Static assets compiled into the binary (CSS, the small script, the icon). Pages link
//! them by a name that carries their content hash (`/static/app.3f2a….css`, see [`url`]):
//! such an address never changes its content, so browsers keep it a year without asking
//! again, and a new release's file has a new name. The plain name (`/static/app.css`)
//! still answers, with a short cache and the hash as ETag, for anything that kept it.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::request::Visitor;
use crate::error::Error;

const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/static/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/static/app.js")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../web/static/favicon.svg")),
];

/// A year: the longest `max-age` caches honour; the name changes with the content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=3600";

/// The first 16 hex digits of each asset's sha256.
fn hashes() -> &'static Vec<String> {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS.iter().map(|(_, _, b)| hex::encode(Sha256::digest(b))[..16].to_owned()).collect()
    })
}

/// `app.css` → `app.<hash>.css`.
fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// The address pages link an asset by (its content-hashed name).
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|(n, _, _)| *n == name) {
        Some(i) => format!("/static/{}", hashed_name(name, &hashes()[i])),
        None => format!("/static/{name}"),
    }
}

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/static/{name}", web::get().to(asset));
}

/// Which asset a name asks for, and whether by its current hashed name. A page cached
/// from before an upgrade asks for an older hash: it gets today's file, briefly cached,
/// rather than a page without its style.
fn find(name: &str) -> Option<(usize, bool)> {
    ASSETS.iter().enumerate().find_map(|(i, (n, _, _))| {
        if *n == name {
            return Some((i, false));
        }
        if hashed_name(n, &hashes()[i]) == name {
            return Some((i, true));
        }
        let (stem, ext) = n.rsplit_once('.')?;
        let hash = name.strip_prefix(stem)?.strip_prefix('.')?.strip_suffix(ext)?;
        let hash = hash.strip_suffix('.')?;
        (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some((i, false))
    })
}

async fn asset(
    req: HttpRequest,
    name: web::Path<String>,
    visitor: Visitor,
) -> Result<HttpResponse, Error> {
    visitor.actor.origin.set_operation("static.read");
    let (index, hashed) = find(name.as_str()).ok_or_else(Error::not_found)?;
    let (_, mime, bytes) = ASSETS[index];
    let etag = format!("\"{}\"", hashes()[index]);
    let cache = ("cache-control", if hashed { IMMUTABLE } else { SHORT });
    if req.headers().get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(HttpResponse::NotModified()
            .insert_header(cache)
            .insert_header(("etag", etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header(cache)
        .insert_header(("etag", etag))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_assets_by_their_content_hash() {
        let css = url("app.css");
        assert!(css.starts_with("/static/app.") && css.ends_with(".css"), "{css}");
        assert_eq!(css.len(), "/static/app..css".len() + 16);
        let name = css.trim_start_matches("/static/");
        assert_eq!(find(name), Some((0, true)));
        assert_eq!(find("app.css"), Some((0, false)));
        assert_eq!(find("app.0000000000000000.css"), Some((0, false)), "an older release's");
        assert_eq!(find("app.x.css"), None);
        assert_eq!(find("app.0000000000000000.js"), Some((1, false)));
        assert_ne!(url("app.js"), url("app.css"));
    }
}
