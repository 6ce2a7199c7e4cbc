//! Evidence packages (I385 §59): a signed document version exported as one zip that anybody
//! can check offline, years later, without the portal or its database. Laid out like an
//! ASiC-E container (ETSI EN 319 162-1) where it fits:
//!
//! ```text
//! mimetype                               application/vnd.etsi.asic-e+zip (first, stored)
//! signing-manifest.txt                   the exact bytes every signature covers
//! document/text.txt                      the version's text (UTF-8)
//! document/files/<k>/<name>              attached file k of the manifest, exact bytes
//! META-INF/manifest.xml                  ODF manifest of the data objects (as ASiC-E)
//! META-INF/signature-<id>.p7s            each detached CMS (CAdES-BES), DER
//! META-INF/certificates/<sha256>.der     signer and CA certificates
//! META-INF/crls/<sha256>.crl             the CRLs the verdicts used
//! META-INF/verification-report.json      each signature's standing at export
//! META-INF/access-log.jsonl              access-log entries that changed the document
//! META-INF/package.json                  every member's sha256 and size
//! META-INF/package.sig                   Ed25519 signature of package.json (appliance key)
//! ```
//!
//! Where it departs from ASiC-E: a CAdES signature in ASiC-E signs an `ASiCManifest` XML;
//! ours sign the portal's signing manifest, which plays that role (it names every data
//! object with its sha256). Plain ASiC tools therefore see a well-formed container but
//! cannot validate the signatures; `ipgo verify-package` can, and so can
//! `openssl cms -verify -content signing-manifest.txt`.
//!
//! [`verify`] checks, in order: the index's signature, every member against the index
//! (a changed, missing or extra member is named), the manifest against the text and
//! files, and each signature again (`service::recheck` at its acceptance time, with the
//! package's own certificates and CRLs) against what the report claims.

use std::io::{Read, Seek, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::manifest::Manifest;
use super::service::{Standing, recheck};
use super::trust::{TrustSnapshot, parse_crl};
use super::verdict::{CrlUse, Reason};
use super::verify::Policy;
use super::x509::{Cert, CertSummary, read_certificates};
use crate::keys::PublicKey;

pub const MIMETYPE: &str = "application/vnd.etsi.asic-e+zip";
pub const FORMAT: &str = "ipgo-evidence-1";
pub const MANIFEST: &str = "signing-manifest.txt";
pub const TEXT: &str = "document/text.txt";
pub const ODF_MANIFEST: &str = "META-INF/manifest.xml";
pub const REPORT: &str = "META-INF/verification-report.json";
pub const ACCESS_LOG: &str = "META-INF/access-log.jsonl";
pub const INDEX: &str = "META-INF/package.json";
pub const INDEX_SIG: &str = "META-INF/package.sig";

/// Member path of attached file `k` (1-based, manifest order).
pub fn file_path(k: usize, name: &str) -> String {
    // Names are kept as they are except what would break a path (separators, dot
    // segments, control characters); the manifest keeps the exact name.
    let safe: String = name
        .chars()
        .map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c })
        .collect();
    let safe = if safe.is_empty() || safe == "." || safe == ".." { "_".into() } else { safe };
    format!("document/files/{k}/{safe}")
}

pub fn certificate_path(fingerprint: &str) -> String {
    format!("META-INF/certificates/{fingerprint}.der")
}

pub fn crl_path(sha256: &str) -> String {
    format!("META-INF/crls/{sha256}.crl")
}

pub fn signature_path(id: u64) -> String {
    format!("META-INF/signature-{id}.p7s")
}

/// One member of the package as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// `META-INF/package.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub format: String,
    pub document_id: u64,
    pub version: u64,
    pub exported_at: String,
    pub exported_by: String,
    /// Hex Ed25519 public key of the appliance that signed the index (the same key signs
    /// the access log's checkpoints).
    pub appliance_public_key: String,
    pub members: Vec<Member>,
}

/// One signature in `META-INF/verification-report.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureReport {
    pub id: u64,
    /// Member path of the CMS.
    pub file: String,
    pub user_login: String,
    pub user_name: String,
    pub purpose: String,
    /// When the portal accepted it (its clock): the time every later check refers to.
    pub accepted: jiff::Timestamp,
    /// `valid`, `revoked_later` or `invalid`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<jiff::Timestamp>,
    pub signer: Option<CertSummary>,
    pub chain: Vec<CertSummary>,
    pub signing_time: Option<jiff::Timestamp>,
    pub signature_algorithm: String,
    pub crls: Vec<CrlUse>,
}

/// `META-INF/verification-report.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub document_id: u64,
    pub version: u64,
    pub title: String,
    pub checked_at: jiff::Timestamp,
    pub signatures: Vec<SignatureReport>,
}

/// Hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a package member by member, hashing each, then the signed index.
pub struct PackageWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    members: Vec<Member>,
}

fn zip_err(e: zip::result::ZipError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<W: Write + Seek> PackageWriter<W> {
    /// Starts the package with its `mimetype` member (first and uncompressed, as ASiC
    /// requires, so that `file` and ASiC tools recognise it).
    pub fn new(out: W) -> std::io::Result<PackageWriter<W>> {
        let mut w = PackageWriter { zip: zip::ZipWriter::new(out), members: Vec::new() };
        w.add_with(MIMETYPE.as_bytes(), "mimetype", zip::CompressionMethod::Stored)?;
        Ok(w)
    }

    fn start(&mut self, path: &str, method: zip::CompressionMethod) -> std::io::Result<()> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644)
            .large_file(false);
        self.zip.start_file(path, options).map_err(zip_err)
    }

    fn add_with(
        &mut self,
        bytes: &[u8],
        path: &str,
        method: zip::CompressionMethod,
    ) -> std::io::Result<()> {
        self.start(path, method)?;
        self.zip.write_all(bytes)?;
        self.members.push(Member {
            path: path.to_owned(),
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
        });
        Ok(())
    }

    pub fn add(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.add_with(bytes, path, zip::CompressionMethod::Deflated)
    }

    /// Streams a member (attached files of up to 60 MB) and returns its sha256.
    pub fn add_reader(&mut self, path: &str, reader: &mut dyn Read) -> std::io::Result<String> {
        self.start(path, zip::CompressionMethod::Deflated)?;
        let mut sink = Hashing { inner: &mut self.zip, hasher: Sha256::new(), size: 0 };
        std::io::copy(reader, &mut sink)?;
        let sha256 = hex::encode(sink.hasher.finalize());
        self.members.push(Member {
            path: path.to_owned(),
            sha256: sha256.clone(),
            size: sink.size,
        });
        Ok(sha256)
    }

    /// Writes the ODF manifest, the index and its signature, and closes the zip.
    pub fn finish(
        mut self,
        mut index: Index,
        sign: impl FnOnce(&[u8]) -> [u8; 64],
    ) -> std::io::Result<W> {
        let odf = odf_manifest(&self.members);
        self.add(ODF_MANIFEST, odf.as_bytes())?;
        index.members = self.members.clone();
        let bytes = serde_json::to_vec_pretty(&index)?;
        let signature = hex::encode(sign(&bytes));
        self.start(INDEX, zip::CompressionMethod::Deflated)?;
        self.zip.write_all(&bytes)?;
        self.start(INDEX_SIG, zip::CompressionMethod::Stored)?;
        self.zip.write_all(signature.as_bytes())?;
        self.zip.finish().map_err(zip_err)
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `META-INF/manifest.xml` in the OpenDocument form ASiC-E uses.
fn odf_manifest(members: &[Member]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\n \
         <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.etsi.asic-e+zip\"/>\n",
    );
    for m in members.iter().filter(|m| !m.path.starts_with("META-INF/") && m.path != "mimetype") {
        let media =
            if m.path.ends_with(".txt") { "text/plain" } else { "application/octet-stream" };
        out.push_str(&format!(
            " <manifest:file-entry manifest:full-path=\"{}\" manifest:media-type=\"{media}\"/>\n",
            xml_escape(&m.path)
        ));
    }
    out.push_str("</manifest:manifest>\n");
    out
}

// ---------------------------------------------------------------------------------------
// Offline verification

/// The outcome of checking a package: every check in order, each passed or failed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub checks: Vec<(bool, String)>,
}

impl Outcome {
    fn pass(&mut self, what: impl Into<String>) {
        self.checks.push((true, what.into()));
    }

    fn fail(&mut self, what: impl Into<String>) {
        self.checks.push((false, what.into()));
    }

    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|(ok, _)| *ok)
    }

    pub fn failures(&self) -> impl Iterator<Item = &str> {
        self.checks.iter().filter(|(ok, _)| !ok).map(|(_, s)| s.as_str())
    }
}

/// Largest member read into memory (attached files are at most 60 MB, I385 §9).
const MAX_MEMBER: u64 = 256 * 1024 * 1024;

fn read_member<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, i: usize) -> Result<Vec<u8>, String> {
    let file = zip.by_index(i).map_err(|e| e.to_string())?;
    if file.size() > MAX_MEMBER {
        return Err(format!("larger than {MAX_MEMBER} bytes"));
    }
    let mut out = Vec::new();
    file.take(MAX_MEMBER + 1).read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Checks a package. `trusted_roots` pins the trust anchors (otherwise the package's own
/// self-signed CA certificates are used, and the outcome says so); `appliance_key` pins the
/// key the index must be signed with.
pub fn verify<R: Read + Seek>(
    input: R,
    trusted_roots: Option<&[Cert]>,
    appliance_key: Option<&PublicKey>,
) -> Outcome {
    let mut out = Outcome::default();
    let mut zip = match zip::ZipArchive::new(input) {
        Ok(z) => z,
        Err(e) => {
            out.fail(format!("not a readable zip: {e}"));
            return out;
        }
    };
    // Every member, by name (duplicates are damage).
    let mut members: std::collections::BTreeMap<String, Vec<u8>> = Default::default();
    for i in 0..zip.len() {
        let name = match zip.by_index(i).and_then(|f| f.name().map(|n| n.into_owned())) {
            Ok(name) => name,
            Err(e) => {
                out.fail(format!("member {i}: {e}"));
                continue;
            }
        };
        match read_member(&mut zip, i) {
            Ok(bytes) => {
                if members.insert(name.clone(), bytes).is_some() {
                    out.fail(format!("{name}: appears twice"));
                }
            }
            Err(e) => out.fail(format!("{name}: unreadable ({e})")),
        }
    }
    match zip.by_index(0).and_then(|f| f.name().map(|n| n.into_owned())) {
        Ok(first) if first == "mimetype" => {}
        _ => out.fail("mimetype is not the first member"),
    }

    // 1. The index and its signature.
    let (Some(index_bytes), Some(sig_hex)) = (members.get(INDEX), members.get(INDEX_SIG)) else {
        out.fail(format!("{INDEX} or {INDEX_SIG} is missing"));
        return out;
    };
    let index: Index = match serde_json::from_slice(index_bytes) {
        Ok(i) => i,
        Err(e) => {
            out.fail(format!("{INDEX}: {e}"));
            return out;
        }
    };
    let key = match appliance_key {
        Some(k) => Some(*k),
        None => PublicKey::from_hex(&index.appliance_public_key),
    };
    let signature = std::str::from_utf8(sig_hex).ok().and_then(|s| hex::decode(s.trim()).ok());
    match (key, signature) {
        (Some(key), Some(sig)) if key.verify(index_bytes, &sig) => out.pass(format!(
            "{INDEX}: signed by the appliance key {}{}",
            key.to_hex(),
            if appliance_key.is_some() { " (pinned)" } else { " (as the package states it)" }
        )),
        _ => out.fail(format!("{INDEX}: its signature does not verify with the appliance key")),
    }

    // 2. Every member against the index.
    let failed_before = out.failures().count();
    let mut listed = std::collections::BTreeSet::new();
    for m in &index.members {
        listed.insert(m.path.as_str());
        match members.get(&m.path) {
            None => out.fail(format!("{}: missing", m.path)),
            Some(bytes) => {
                if hex::encode(Sha256::digest(bytes)) != m.sha256 || bytes.len() as u64 != m.size {
                    out.fail(format!("{}: changed (sha256 differs from the index)", m.path));
                }
            }
        }
    }
    for name in members.keys() {
        if !listed.contains(name.as_str()) && name != INDEX && name != INDEX_SIG {
            out.fail(format!("{name}: not listed in the index"));
        }
    }
    if members.get("mimetype").map(Vec::as_slice) != Some(MIMETYPE.as_bytes()) {
        out.fail("mimetype: not application/vnd.etsi.asic-e+zip");
    }
    if out.failures().count() == failed_before {
        out.pass(format!("{} members match the index", index.members.len()));
    }

    // 3. The manifest against the text and the files.
    let Some(manifest_bytes) = members.get(MANIFEST) else {
        out.fail(format!("{MANIFEST}: missing"));
        return out;
    };
    let manifest = match Manifest::parse(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            out.fail(format!("{MANIFEST}: {e}"));
            return out;
        }
    };
    check_content(&mut out, &manifest, &members);

    // 4. Each signature again, at its acceptance time, with the package's certificates
    //    and CRLs.
    let report: Report = match members.get(REPORT).map(|b| serde_json::from_slice(b)) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            out.fail(format!("{REPORT}: {e}"));
            return out;
        }
        None => {
            out.fail(format!("{REPORT}: missing"));
            return out;
        }
    };
    let trust = package_trust(&mut out, &members, trusted_roots);
    for s in &report.signatures {
        check_signature(&mut out, &trust, manifest_bytes, &members, s);
    }
    out
}

fn check_content(
    out: &mut Outcome,
    manifest: &Manifest,
    members: &std::collections::BTreeMap<String, Vec<u8>>,
) {
    match members.get(TEXT) {
        Some(text) if super::Digest::of(text) == manifest.text => {
            out.pass(format!("{TEXT}: matches the signed manifest"))
        }
        Some(_) => out.fail(format!("{TEXT}: differs from the signed manifest")),
        None => out.fail(format!("{TEXT}: missing")),
    }
    for (k, f) in manifest.files.iter().enumerate() {
        let path = file_path(k + 1, &f.name);
        match members.get(&path) {
            Some(bytes) if super::Digest::of(bytes) == f.digest => {
                out.pass(format!("{path}: matches the signed manifest"))
            }
            Some(_) => out.fail(format!("{path}: differs from the signed manifest")),
            None => out.fail(format!("{path}: missing")),
        }
    }
}

fn package_trust(
    out: &mut Outcome,
    members: &std::collections::BTreeMap<String, Vec<u8>>,
    trusted_roots: Option<&[Cert]>,
) -> TrustSnapshot {
    let mut trust = TrustSnapshot::default();
    for (path, bytes) in members.range("META-INF/certificates/".to_owned()..) {
        if !path.starts_with("META-INF/certificates/") {
            break;
        }
        match Cert::from_der(bytes) {
            Ok(c) if c.is_ca() && c.is_self_issued() => {
                if trusted_roots.is_none() {
                    trust.roots.push(c);
                }
            }
            Ok(c) if c.is_ca() => trust.intermediates.push(c),
            Ok(_) => {}
            Err(e) => out.fail(format!("{path}: not a certificate ({e})")),
        }
    }
    match trusted_roots {
        Some(roots) => {
            trust.roots = roots.to_vec();
            out.pass(format!("trust anchors: {} pinned root certificate(s)", roots.len()));
        }
        None => out.pass(format!(
            "trust anchors: the package's own {} root certificate(s) — compare their \
             fingerprints with the CA's published ones, or pin them with --trust",
            trust.roots.len()
        )),
    }
    // The newest CRL per issuer is the one in force.
    for (path, bytes) in members.range("META-INF/crls/".to_owned()..) {
        if !path.starts_with("META-INF/crls/") {
            break;
        }
        match parse_crl(bytes) {
            Ok(crl) => {
                match trust.crls.iter().position(|c| c.info.issuer_der == crl.info.issuer_der) {
                    Some(i) if trust.crls[i].info.this_update >= crl.info.this_update => {}
                    Some(i) => trust.crls[i] = crl,
                    None => trust.crls.push(crl),
                }
            }
            Err(e) => out.fail(format!("{path}: not a usable CRL ({e})")),
        }
    }
    trust
}

fn check_signature(
    out: &mut Outcome,
    trust: &TrustSnapshot,
    manifest: &[u8],
    members: &std::collections::BTreeMap<String, Vec<u8>>,
    s: &SignatureReport,
) {
    let Some(cms) = members.get(&s.file) else {
        out.fail(format!("{}: missing", s.file));
        return;
    };
    let signer = s
        .signer
        .as_ref()
        .and_then(|c| members.get(&certificate_path(&c.fingerprint)))
        .and_then(|b| read_certificates(b).ok())
        .and_then(|mut v| v.pop());
    let policy = Policy::default();
    let standing = recheck(trust, manifest, cms, signer.as_ref(), s.accepted, None, &policy);
    let reason = standing.rejection().map(|r| r.reason);
    let who = s.signer.as_ref().map(|c| c.subject.as_str()).unwrap_or("?");
    let what = match standing.rejection() {
        None => format!("{}: {} by {who}", s.file, standing.name()),
        Some(r) => format!("{}: {} by {who}: {} ({})", s.file, standing.name(), r.reason, r.detail),
    };
    // A registration revoked on the portal is not visible offline: the report may say
    // "revoked later" for a signature that is otherwise valid.
    let agrees = standing.name() == s.status && reason == s.reason
        || (s.reason == Some(Reason::RegistrationRevoked)
            && matches!(standing, Standing::Valid(_)));
    if !agrees {
        out.fail(format!("{what} — the report says {}", s.status));
    } else if matches!(standing, Standing::Invalid(_)) {
        out.fail(what);
    } else {
        out.pass(what);
    }
}
