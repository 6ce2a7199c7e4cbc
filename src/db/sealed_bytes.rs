//! Sealed bytes inside a JSON record, written as base64 text.
//!
//! serde writes a `Vec<u8>` as a JSON array of numbers: 3.6 bytes of record per byte of
//! ciphertext on average, so a document's 3 KB text took ~11 KB in `document_versions`
//! (and, with redb's page rounding, ~27 KB of file; issue 18, sizing). Base64 takes 1.33.
//! Records written before schema version 2 hold the array; both forms are read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&STANDARD.encode(bytes))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    d.deserialize_any(Either)
}

/// Base64 text (schema 2 on) or an array of byte values (schema 1).
struct Either;

impl<'de> Visitor<'de> for Either {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("base64 text or an array of bytes")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        STANDARD.decode(v).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Record {
        #[serde(with = "super")]
        sealed: Vec<u8>,
    }

    #[test]
    fn sealed_bytes_are_written_as_base64_and_read_in_both_forms() {
        let r = Record { sealed: (0..=255).collect() };
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.starts_with(r#"{"sealed":"AAECAwQF"#), "{json}");
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
        // A record of schema 1: the array serde writes for a Vec<u8>.
        let old = serde_json::to_string(&serde_json::json!({ "sealed": r.sealed })).unwrap();
        assert!(old.starts_with(r#"{"sealed":[0,1,2"#), "{old}");
        assert_eq!(serde_json::from_str::<Record>(&old).unwrap(), r);
        // A third of the array's size for ciphertext-like bytes.
        assert!(json.len() * 2 < old.len(), "{} vs {}", json.len(), old.len());
        assert!(serde_json::from_str::<Record>(r#"{"sealed":"not base64!"}"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"{"sealed":[256]}"#).is_err());
    }
}
