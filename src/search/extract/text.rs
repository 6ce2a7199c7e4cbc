//! Plain text in the encodings kk/ru files come in: UTF-8, UTF-16 (with a byte-order mark, or
//! without one when the zero bytes give it away), and the legacy single-byte Cyrillic code pages
//! Windows-1251, KOI8-R and CP866, told apart by which decoding reads most like Russian.

use encoding_rs::{Encoding, IBM866, KOI8_R, UTF_16BE, UTF_16LE, WINDOWS_1251};

use super::{ExtractError, malformed};

/// Whether `bytes` can be text: no NUL bytes unless it is UTF-16, few control characters.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    if utf16_order(bytes).is_some() {
        return true;
    }
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    if sample.contains(&0) {
        return false;
    }
    let controls =
        sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C)).count();
    controls * 100 <= sample.len()
}

/// Byte order of UTF-16 text: from a BOM, or from the zero bytes of ASCII and the 0x04 high
/// bytes of Cyrillic in alternate positions.
fn utf16_order(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.starts_with(b"\xFF\xFE") {
        return Some(UTF_16LE);
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Some(UTF_16BE);
    }
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 16 {
        return None;
    }
    let high = |odd: bool| {
        sample.chunks_exact(2).filter(|p| matches!(p[usize::from(odd)], 0x00 | 0x04)).count()
    };
    let pairs = sample.len() / 2;
    let low_zero = |odd: bool| sample.chunks_exact(2).filter(|p| p[usize::from(!odd)] == 0).count();
    if high(true) * 10 >= pairs * 9 && low_zero(true) * 10 < pairs {
        Some(UTF_16LE)
    } else if high(false) * 10 >= pairs * 9 && low_zero(false) * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Decodes text. Fails only on bytes that are not text at all.
pub fn decode(bytes: &[u8]) -> Result<String, ExtractError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    if let Some(enc) = utf16_order(bytes) {
        let (text, _, _) = enc.decode(bytes);
        return Ok(text.into_owned());
    }
    if !looks_like_text(bytes) {
        return Err(malformed("binary data where text was expected"));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    Ok(decode_single_byte(bytes))
}

/// The most frequent Russian letters (о е а и н т с р в л), ~55% of Cyrillic letters in prose.
const FREQUENT: &str = "оеаинтсрвл";

/// Decodes with the single-byte code page whose output has the highest share of frequent
/// lowercase Russian letters among its non-ASCII characters.
pub fn decode_single_byte(bytes: &[u8]) -> String {
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let score = |enc: &'static Encoding| {
        let (text, _, _) = enc.decode(sample);
        let (mut hits, mut total) = (0usize, 0usize);
        for c in text.chars().filter(|c| !c.is_ascii()) {
            total += 1;
            hits += usize::from(FREQUENT.contains(c));
        }
        if total == 0 { 0.0 } else { hits as f64 / total as f64 }
    };
    let best = [WINDOWS_1251, KOI8_R, IBM866]
        .into_iter()
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .unwrap_or(WINDOWS_1251);
    best.decode(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str =
        "Об утверждении Инструкции по работе на интранет-портале государственных органов";

    #[test]
    fn detects_each_encoding() {
        assert_eq!(decode(RU.as_bytes()).ok().as_deref(), Some(RU));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(RU.as_bytes());
        assert_eq!(decode(&bom).ok().as_deref(), Some(RU));
        for enc in [UTF_16LE, UTF_16BE] {
            let mut with_bom: Vec<u8> =
                if enc == UTF_16LE { b"\xFF\xFE".to_vec() } else { b"\xFE\xFF".to_vec() };
            let units: Vec<u16> = RU.encode_utf16().collect();
            let body: Vec<u8> = units
                .iter()
                .flat_map(|u| if enc == UTF_16LE { u.to_le_bytes() } else { u.to_be_bytes() })
                .collect();
            with_bom.extend_from_slice(&body);
            assert_eq!(decode(&with_bom).ok().as_deref(), Some(RU), "{} with BOM", enc.name());
            assert_eq!(decode(&body).ok().as_deref(), Some(RU), "{} without BOM", enc.name());
        }
        for enc in [WINDOWS_1251, KOI8_R, IBM866] {
            let (bytes, _, unmappable) = enc.encode(RU);
            assert!(!unmappable);
            assert_eq!(decode(&bytes).ok().as_deref(), Some(RU), "{}", enc.name());
        }
    }

    #[test]
    fn binary_is_not_text() {
        assert!(!looks_like_text(b"\x00\x01\x02\x03binary\x00"));
        assert!(decode(b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f").is_err());
    }
}
