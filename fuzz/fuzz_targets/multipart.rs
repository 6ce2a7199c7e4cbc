//! The multipart receiver (src/web/limits.rs: `Parts`, `read_capped`, `small_form`) over
//! actix-multipart, fed a body in chunks whose size the first byte picks, as a slow or
//! hostile client would send it.
#![no_main]
use libfuzzer_sys::fuzz_target;

use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::Bytes;

use ipgo::web::limits::small_form;

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else { return };
    let chunk = 1 + *pick as usize % 64;
    let chunks: Vec<Result<Bytes, PayloadError>> =
        body.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("multipart/form-data; boundary=XyZ"),
    );
    let mp = actix_multipart::Multipart::new(&headers, futures_util::stream::iter(chunks));
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let _ = rt.block_on(small_form(mp, 16, 64 * 1024, "limit-form-body", 64));
});
