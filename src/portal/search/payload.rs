//! What the index stores for each document: the repaired text of each part (the document's
//! own text, each attachment and archive member) with the attachment it came from, compressed
//! and sealed with the document's data key. Snippets are cut from it; a new version reuses the
//! extraction of files it kept (same blob). Once the key is destroyed (I385 §6.8) no copy of
//! the index can reveal it, even before the purge has rewritten the segments.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One text of a document.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Part {
    /// `None`: the document's own text.
    pub file_id: Option<u64>,
    /// The attachment's file name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The member inside an archive, empty for the file itself.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The blob the text came from (extraction is reused while the blob is the same).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub blob: String,
    /// The repaired text.
    pub text: String,
    /// Why no text could be extracted (`search::extract::ErrorKind::code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Payload {
    pub title: String,
    #[serde(default)]
    pub title_kk: String,
    #[serde(default)]
    pub title_ru: String,
    pub parts: Vec<Part>,
}

fn aad(doc: u64, version: u32) -> Vec<u8> {
    format!("ipgo-index:{doc}:{version}").into_bytes()
}

impl Payload {
    pub fn title_in(&self, lang: &str) -> &str {
        match lang {
            "kk" if !self.title_kk.is_empty() => &self.title_kk,
            "ru" if !self.title_ru.is_empty() => &self.title_ru,
            _ => &self.title,
        }
    }

    pub fn seal(&self, key: &[u8; 32], doc: u64, version: u32) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(self)?;
        let packed = lz4_flex::compress_prepend_size(&json);
        Ok(crate::vault::seal(key, &aad(doc, version), &packed))
    }

    pub fn open(key: &[u8; 32], doc: u64, version: u32, sealed: &[u8]) -> Result<Payload> {
        let packed =
            crate::vault::open_sealed(key, &aad(doc, version), sealed).ok_or_else(|| {
                Error::internal(format!("index payload of document {doc} does not decrypt"))
            })?;
        let json = lz4_flex::decompress_size_prepended(&packed).map_err(Error::internal)?;
        Ok(serde_json::from_slice(&json)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_with_the_document_key_and_bound_to_document_and_version() {
        let key = [7u8; 32];
        let p = Payload {
            title: "Приказ".into(),
            parts: vec![Part { text: "мәтін ".repeat(100), ..Default::default() }],
            ..Default::default()
        };
        let sealed = p.seal(&key, 5, 2).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("мәтін"));
        assert!(sealed.len() < 400, "compressed before sealing: {}", sealed.len());
        assert_eq!(Payload::open(&key, 5, 2, &sealed).unwrap(), p);
        assert!(Payload::open(&key, 5, 3, &sealed).is_err());
        assert!(Payload::open(&[8u8; 32], 5, 2, &sealed).is_err());
    }
}
