//! CMS SignedData (RFC 5652) / CAdES-BES verification over given content bytes: the
//! structure, the signed attributes, the message digest and the signature value. The
//! certificate chain is `chain.rs`'s job.
//!
//! Parsing uses RustCrypto `cms`/`x509-cert`/`der`. The bytes a signature covers are taken
//! from the message itself, never re-encoded: the DER of `signedAttrs` with its `[0]` tag
//! replaced by SET (0x31), as RFC 5652 §5.4 prescribes. (`der` sorts a SET OF while
//! decoding, so re-encoding a signer's unsorted attributes would change the bytes.)

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{AnyRef, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use jiff::Timestamp;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::algorithms::{self, DigestAlg, Family, VerifyRequest};
use super::verdict::{Reason, Rejection};
use super::x509::Cert;

const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");

fn malformed(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::Malformed, detail)
}

fn bad_attributes(detail: impl Into<String>) -> Rejection {
    Rejection::new(Reason::BadAttributes, detail)
}

/// A decoded signature, before any check.
#[derive(Debug, Clone)]
pub struct ParsedCms {
    pub signed_data: SignedData,
    pub signer: SignerInfo,
    /// The DER SET of signed attributes exactly as signed, when present.
    pub signed_attrs_der: Option<Vec<u8>>,
    /// Certificates carried in the message, in their original bytes.
    pub certificates: Vec<Cert>,
    /// Encapsulated content (`-nodetach`), when present.
    pub econtent: Option<Vec<u8>>,
}

/// Accepts DER, PEM (`CMS`, `PKCS7`) or base64 text (what NCALayer returns) and returns
/// the DER bytes.
pub fn decode_input(bytes: &[u8]) -> Result<Vec<u8>, Rejection> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("neither DER nor text"))?;
    let text = text.trim();
    if text.starts_with("-----BEGIN ") {
        let (label, der) =
            der::pem::decode_vec(text.as_bytes()).map_err(|e| malformed(format!("PEM: {e}")))?;
        return match label {
            "CMS" | "PKCS7" => Ok(der),
            other => Err(malformed(format!("PEM label {other} is not CMS or PKCS7"))),
        };
    }
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| malformed("neither DER, PEM nor base64"))
}

/// Decodes a CMS ContentInfo holding SignedData with exactly one signer.
pub fn parse(der_bytes: &[u8]) -> Result<ParsedCms, Rejection> {
    let info = ContentInfo::from_der(der_bytes).map_err(|e| malformed(format!("CMS: {e}")))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed(format!("content type {} is not SignedData", info.content_type)));
    }
    let signed_data: SignedData =
        info.content.decode_as().map_err(|e| malformed(format!("SignedData: {e}")))?;
    let count = signed_data.signer_infos.0.len();
    if count != 1 {
        return Err(Rejection::new(
            Reason::MultipleSigners,
            format!("{count} signers in one message; exactly one is expected"),
        ));
    }
    let signer = signed_data.signer_infos.0.get(0).cloned().expect("one signer");
    let raw = raw_parts(der_bytes).map_err(|e| malformed(format!("CMS layout: {e}")))?;
    let certificates = raw
        .certificates
        .iter()
        .map(|der| Cert::from_der(der).map_err(|e| malformed(format!("certificate in CMS: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let econtent = match &signed_data.encap_content_info.econtent {
        None => None,
        Some(any) => Some(
            any.decode_as::<OctetString>()
                .map_err(|e| malformed(format!("eContent: {e}")))?
                .into_bytes()
                .into_vec(),
        ),
    };
    Ok(ParsedCms {
        signed_data,
        signer,
        signed_attrs_der: raw.signed_attrs,
        certificates,
        econtent,
    })
}

/// What a verified CMS says; the chain is not checked yet.
#[derive(Debug, Clone)]
pub struct CmsCheck {
    pub signer_cert: Cert,
    pub signing_time: Option<Timestamp>,
    pub digest: DigestAlg,
    pub algorithm: String,
    pub signed_attributes: bool,
    pub encapsulated: bool,
}

/// Checks the message against `content`: structure, signed attributes, message digest and
/// signature value. `known` are certificates to look the signer up in when the message
/// does not carry its certificate (registered certificates).
pub fn check(
    parsed: &ParsedCms,
    content: &[u8],
    known: &[Cert],
    min_rsa_bits: usize,
) -> Result<CmsCheck, Rejection> {
    let econtent_type = parsed.signed_data.encap_content_info.econtent_type;
    if econtent_type != ID_DATA {
        return Err(malformed(format!("eContentType {econtent_type} is not id-data")));
    }
    if let Some(inner) = &parsed.econtent
        && inner.as_slice() != content
    {
        return Err(Rejection::new(
            Reason::ContentMismatch,
            "the signature encapsulates other content than the manifest",
        ));
    }
    let si = &parsed.signer;
    let signer_cert = find_signer(&si.sid, &parsed.certificates, known)?;
    let summary = signer_cert.summary();
    let with_signer = |r: Rejection| r.with_signer(&summary);
    let family = Family::of_signature(&si.signature_algorithm.oid).map_err(with_signer)?;
    algorithms::verifier_for(family).map_err(with_signer)?;
    let digest = DigestAlg::from_oid(&si.digest_alg.oid).map_err(with_signer)?;

    let (message, signing_time): (&[u8], Option<Timestamp>) = match &parsed.signed_attrs_der {
        Some(attrs_der) => {
            let attrs = SignedAttrs::read(si).map_err(with_signer)?;
            if attrs.content_type != econtent_type {
                return Err(with_signer(bad_attributes(format!(
                    "contentType attribute {} differs from eContentType {econtent_type}",
                    attrs.content_type
                ))));
            }
            if attrs.message_digest != digest.hash(content) {
                return Err(with_signer(Rejection::new(
                    Reason::DigestMismatch,
                    format!(
                        "messageDigest differs from the {} of the content: the content changed \
                         after signing",
                        digest.name()
                    ),
                )));
            }
            (attrs_der.as_slice(), attrs.signing_time)
        }
        None => (content, None),
    };
    let algorithm = algorithms::verify(&VerifyRequest {
        spki: signer_cert.cert.tbs_certificate().subject_public_key_info(),
        signature_algorithm: &si.signature_algorithm,
        digest,
        message,
        signature: si.signature.as_bytes(),
        min_rsa_bits,
    })
    .map_err(with_signer)?;
    Ok(CmsCheck {
        signer_cert,
        signing_time,
        digest,
        algorithm,
        signed_attributes: parsed.signed_attrs_der.is_some(),
        encapsulated: parsed.econtent.is_some(),
    })
}

/// The signer's certificate by issuer and serial number or by subject key identifier.
fn find_signer(
    sid: &SignerIdentifier,
    carried: &[Cert],
    known: &[Cert],
) -> Result<Cert, Rejection> {
    let matches = |c: &Cert| -> bool {
        let tbs = c.cert.tbs_certificate();
        match sid {
            SignerIdentifier::IssuerAndSerialNumber(isn) => {
                tbs.issuer() == &isn.issuer && tbs.serial_number() == &isn.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => matches!(
                tbs.get_extension::<SubjectKeyIdentifier>(),
                Ok(Some((_, own))) if own == *ski
            ),
        }
    };
    carried.iter().chain(known).find(|c| matches(c)).cloned().ok_or_else(|| {
        Rejection::new(
            Reason::CertificateMissing,
            "the signer's certificate is neither in the signature nor registered",
        )
    })
}

/// The three attributes CAdES-BES relies on, each at most once with exactly one value.
struct SignedAttrs {
    content_type: Oid,
    message_digest: Vec<u8>,
    signing_time: Option<Timestamp>,
}

impl SignedAttrs {
    fn read(si: &SignerInfo) -> Result<SignedAttrs, Rejection> {
        let attrs = si.signed_attrs.as_ref().ok_or_else(|| malformed("signed attributes"))?;
        let single = |oid: Oid, name: &str| -> Result<Option<der::Any>, Rejection> {
            let mut found = attrs.iter().filter(|a| a.oid == oid);
            let Some(attr) = found.next() else { return Ok(None) };
            if found.next().is_some() || attr.values.len() != 1 {
                return Err(bad_attributes(format!("{name} must occur once with one value")));
            }
            Ok(attr.values.get(0).cloned())
        };
        let content_type = single(ID_CONTENT_TYPE, "contentType")?
            .ok_or_else(|| bad_attributes("contentType attribute missing"))?
            .decode_as::<Oid>()
            .map_err(|e| bad_attributes(format!("contentType: {e}")))?;
        let message_digest = single(ID_MESSAGE_DIGEST, "messageDigest")?
            .ok_or_else(|| bad_attributes("messageDigest attribute missing"))?
            .decode_as::<OctetString>()
            .map_err(|e| bad_attributes(format!("messageDigest: {e}")))?
            .into_bytes()
            .into_vec();
        let signing_time = match single(ID_SIGNING_TIME, "signingTime")? {
            None => None,
            Some(any) => {
                let time = x509_cert::time::Time::from_der(
                    &any.to_der().map_err(|e| bad_attributes(format!("signingTime: {e}")))?,
                )
                .map_err(|e| bad_attributes(format!("signingTime: {e}")))?;
                Some(super::x509::to_timestamp(time))
            }
        };
        Ok(SignedAttrs { content_type, message_digest, signing_time })
    }
}

/// Byte ranges that must be read from the message as they are.
struct RawParts<'a> {
    certificates: Vec<&'a [u8]>,
    signed_attrs: Option<Vec<u8>>,
}

/// Walks ContentInfo → SignedData → certificates and the first SignerInfo's signedAttrs.
fn raw_parts(bytes: &[u8]) -> der::Result<RawParts<'_>> {
    let info = AnyRef::from_der(bytes)?;
    let mut r = SliceReader::new(info.value())?;
    AnyRef::decode(&mut r)?; // contentType
    let explicit = AnyRef::decode(&mut r)?; // [0] EXPLICIT
    let signed_data = AnyRef::from_der(explicit.value())?;
    let mut r = SliceReader::new(signed_data.value())?;
    let mut certificates = Vec::new();
    let mut last = None;
    while !r.is_finished() {
        let element = AnyRef::decode(&mut r)?;
        if element.tag() == context(0) {
            let mut certs = SliceReader::new(element.value())?;
            while !certs.is_finished() {
                let start = usize::try_from(certs.position())?;
                let cert = AnyRef::decode(&mut certs)?;
                let end = usize::try_from(certs.position())?;
                if cert.tag() == Tag::Sequence {
                    certificates.push(&element.value()[start..end]);
                }
            }
        }
        last = Some(element);
    }
    let infos = last.ok_or(der::ErrorKind::Failed)?;
    let mut r = SliceReader::new(infos.value())?;
    let signer = AnyRef::decode(&mut r)?;
    let mut r = SliceReader::new(signer.value())?;
    for _ in 0..3 {
        AnyRef::decode(&mut r)?; // version, sid, digestAlgorithm
    }
    let next = AnyRef::decode(&mut r)?;
    let signed_attrs = if next.tag() == context(0) {
        Some(AnyRef::new(Tag::Set, next.value())?.to_der()?)
    } else {
        None
    };
    Ok(RawParts { certificates, signed_attrs })
}

fn context(number: u32) -> Tag {
    Tag::ContextSpecific { constructed: true, number: TagNumber(number) }
}
