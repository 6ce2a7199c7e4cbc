//! The signing manifest of a document version (I385 §59): one canonical, human-readable
//! text listing the sha256 and size of the version's text and of every attached file, so
//! that one signature over the manifest covers the text and all files.
//!
//! # Format `IPGO-SIGNING-MANIFEST 1`
//!
//! UTF-8, every line ending in LF (no CR anywhere, no BOM), fields in this fixed order:
//!
//! ```text
//! IPGO-SIGNING-MANIFEST 1
//! document: 42
//! version: 3
//! title: Об утверждении Правил\n(проект)
//! text: sha256=<64 lowercase hex> size=<bytes>
//! files: 2
//! file 1: sha256=<64 lowercase hex> size=<bytes> name=Приложение 1.docx
//! file 2: sha256=<64 lowercase hex> size=<bytes> name=scan.pdf
//! ```
//!
//! * `document` and `version` are decimal without leading zeros.
//! * `files` is the count; the `file N` lines follow numbered from 1, sorted by the bytes
//!   of the name, then by sha256, then by size — so the same set of files always gives the
//!   same manifest whatever order they were attached in.
//! * The title and file names are written escaped, so no value can end a line or forge
//!   one: `\` → `\\`, LF → `\n`, CR → `\r`, TAB → `\t`, and every other control character
//!   (Unicode category Cc: C0, DEL, C1 including NEL), the line and paragraph separators
//!   U+2028/U+2029 and the bidirectional controls U+061C, U+200E/F, U+202A–U+202E,
//!   U+2066–U+2069 (which could make a name read differently from what it is) → `\u{XXXX}`
//!   with uppercase hex. Everything else is kept as is (no Unicode normalisation: the
//!   manifest names exactly the stored bytes).
//! * A name is the last field of its line, so spaces and `=` inside it need no escape.
//!
//! [`Manifest::parse`] accepts exactly the canonical form (it re-renders and compares), so
//! an offline verifier can read the hashes back out of a signed manifest.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

const HEADER: &str = "IPGO-SIGNING-MANIFEST 1";

/// sha256 and size of some bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    #[serde(with = "hex_bytes")]
    pub sha256: [u8; 32],
    pub size: u64,
}

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        use sha2::Digest as _;
        Digest { sha256: sha2::Sha256::digest(bytes).into(), size: bytes.len() as u64 }
    }
}

/// One attached file as the manifest names it (sha256 of the plaintext).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    #[serde(flatten)]
    pub digest: Digest,
}

/// What a manifest states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub document_id: u64,
    pub version: u64,
    pub title: String,
    pub text: Digest,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// The exact bytes to sign.
    pub fn render(&self) -> Vec<u8> {
        let mut files: Vec<&ManifestFile> = self.files.iter().collect();
        files.sort_by(|a, b| {
            (a.name.as_bytes(), a.digest.sha256, a.digest.size).cmp(&(
                b.name.as_bytes(),
                b.digest.sha256,
                b.digest.size,
            ))
        });
        let mut out = String::new();
        let _ = writeln!(out, "{HEADER}");
        let _ = writeln!(out, "document: {}", self.document_id);
        let _ = writeln!(out, "version: {}", self.version);
        let _ = writeln!(out, "title: {}", escape(&self.title));
        let _ = writeln!(out, "text: {}", digest_fields(&self.text));
        let _ = writeln!(out, "files: {}", files.len());
        for (i, f) in files.iter().enumerate() {
            let _ = writeln!(
                out,
                "file {}: {} name={}",
                i + 1,
                digest_fields(&f.digest),
                escape(&f.name)
            );
        }
        out.into_bytes()
    }

    /// Reads a manifest back; only the canonical form is accepted.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let body = text.strip_suffix('\n').ok_or("the last line must end with LF")?;
        let mut lines = body.split('\n');
        let mut next = |label: &str| -> Result<&str, String> {
            let line = lines.next().ok_or_else(|| format!("missing {label}"))?;
            line.strip_prefix(label).ok_or_else(|| format!("expected {label}"))
        };
        if !next(HEADER)?.is_empty() {
            return Err("bad header".into());
        }
        let document_id = next("document: ")?.parse().map_err(|_| "bad document id")?;
        let version = next("version: ")?.parse().map_err(|_| "bad version")?;
        let title = unescape(next("title: ")?)?;
        let text_digest = parse_digest(next("text: ")?)?;
        let count: usize = next("files: ")?.parse().map_err(|_| "bad file count")?;
        let mut files = Vec::new();
        for i in 1..=count {
            let rest = next(&format!("file {i}: "))?;
            let (digest, name) = rest.split_once(" name=").ok_or("file line without name")?;
            files.push(ManifestFile { name: unescape(name)?, digest: parse_digest(digest)? });
        }
        let manifest = Manifest { document_id, version, title, text: text_digest, files };
        if manifest.render() != bytes {
            return Err("not in canonical form".into());
        }
        Ok(manifest)
    }
}

fn digest_fields(d: &Digest) -> String {
    format!("sha256={} size={}", hex::encode(d.sha256), d.size)
}

fn parse_digest(s: &str) -> Result<Digest, String> {
    let (sha, size) = s
        .strip_prefix("sha256=")
        .and_then(|r| r.split_once(" size="))
        .ok_or("expected sha256=… size=…")?;
    let bytes = hex::decode(sha).map_err(|_| "bad sha256")?;
    let sha256: [u8; 32] = bytes.try_into().map_err(|_| "sha256 is not 32 bytes")?;
    Ok(Digest { sha256, size: size.parse().map_err(|_| "bad size")? })
}

/// Characters written as `\u{XXXX}` besides the named escapes.
fn needs_code_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Escapes a value so that it stays on one line and reads as what it is.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_code_escape(c) => {
                let _ = write!(out, "\\u{{{:04X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn unescape(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let rest = chars.as_str();
                let inner = rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .ok_or("bad \\u escape")?;
                let code = u32::from_str_radix(inner.0, 16).map_err(|_| "bad \\u escape")?;
                out.push(char::from_u32(code).ok_or("bad \\u escape")?);
                chars = inner.1.chars();
            }
            _ => return Err("bad escape".into()),
        }
    }
    Ok(out)
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        bytes.try_into().map_err(|_| serde::de::Error::custom("sha256 must be 32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content: &[u8]) -> ManifestFile {
        ManifestFile { name: name.into(), digest: Digest::of(content) }
    }

    fn sample() -> Manifest {
        Manifest {
            document_id: 42,
            version: 3,
            title: "Об утверждении Правил (проект)".into(),
            text: Digest::of("Текст проекта".as_bytes()),
            files: vec![file("scan.pdf", b"%PDF-1.7"), file("Приложение 1.docx", b"PK\x03\x04")],
        }
    }

    #[test]
    fn the_format_is_exactly_as_documented() {
        let m = Manifest {
            document_id: 7,
            version: 1,
            title: "T".into(),
            text: Digest::of(b""),
            files: vec![file("a.pdf", b"abc")],
        };
        let expected = "IPGO-SIGNING-MANIFEST 1\ndocument: 7\nversion: 1\ntitle: T\n\
            text: sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 size=0\n\
            files: 1\n\
            file 1: sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad size=3 name=a.pdf\n";
        assert_eq!(String::from_utf8(m.render()).unwrap(), expected);
    }

    #[test]
    fn i385_59_manifest_is_deterministic_whatever_the_attachment_order() {
        let a = sample();
        let mut b = sample();
        b.files.reverse();
        assert_eq!(a.render(), b.render());
        assert_eq!(a.render(), a.clone().render());
        let text = String::from_utf8(a.render()).unwrap();
        assert!(!text.contains('\r'));
        assert!(text.ends_with('\n'));
        // Sorted by the name's bytes: Latin before Cyrillic.
        assert!(text.find("scan.pdf").unwrap() < text.find("Приложение").unwrap());
    }

    #[test]
    fn i385_59_any_change_of_a_file_changes_the_manifest() {
        let a = sample();
        let mut b = sample();
        b.files[0] = file("scan.pdf", b"%PDF-1.8");
        assert_ne!(a.render(), b.render());
        let mut c = sample();
        c.files[1].name = "Приложение 2.docx".into();
        assert_ne!(a.render(), c.render());
    }

    #[test]
    fn a_file_name_cannot_forge_a_line() {
        let forged =
            format!("x.pdf\nfile 2: sha256={} size=1 name=evil.pdf", hex::encode([0u8; 32]));
        let mut m = sample();
        m.files = vec![file(&forged, b"1")];
        m.title = "title\r\ntext: sha256=00 size=0".into();
        let text = String::from_utf8(m.render()).unwrap();
        assert_eq!(text.lines().count(), 7, "{text}");
        assert!(text.contains("name=x.pdf\\nfile 2: sha256="));
        assert!(text.contains("title: title\\r\\ntext: sha256=00 size=0\n"));
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
    }

    #[test]
    fn invisible_and_bidi_characters_are_shown() {
        assert_eq!(escape("a\u{202E}fdp.exe"), "a\\u{202E}fdp.exe");
        assert_eq!(escape("tab\there\\"), "tab\\there\\\\");
        assert_eq!(escape("nel\u{85}ls\u{2028}del\u{7f}"), "nel\\u{0085}ls\\u{2028}del\\u{007F}");
        assert_eq!(escape("Қазақ тілі = ok"), "Қазақ тілі = ok");
        for s in ["a\u{202E}b", "\\u{41}", "x\n\\n", "\u{0}\u{1F}"] {
            assert_eq!(unescape(&escape(s)).unwrap(), s);
        }
    }

    #[test]
    fn parse_reads_back_only_the_canonical_form() {
        let m = sample();
        let bytes = m.render();
        let mut expected = m.clone();
        expected.files.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        assert_eq!(Manifest::parse(&bytes).unwrap(), expected);
        let crlf = String::from_utf8(bytes.clone()).unwrap().replace('\n', "\r\n");
        assert!(Manifest::parse(crlf.as_bytes()).is_err());
        assert!(Manifest::parse(&bytes[..bytes.len() - 1]).is_err());
        let upper = String::from_utf8(bytes).unwrap().replace("sha256=", "SHA256=");
        assert!(Manifest::parse(upper.as_bytes()).is_err());
    }
}
