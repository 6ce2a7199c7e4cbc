//! Client certificates on TLS connections, for signing in with a certificate (mutual TLS;
//! I385 §57, §61): a rustls verifier that admits only certificates that chain to the
//! trust store's roots, are valid now, allow client authentication and are not revoked by
//! the installed CRLs — the same webpki validation signatures get (`sign::chain`), against
//! the trust store *as it is at each handshake* — and the hook that hands the verified
//! certificate to the request. Whether it signs anybody in is decided by the sign-in
//! service (it must be registered, active, to an active account).
//!
//! Client authentication is optional: a browser that presents no certificate signs in
//! with a password as before. It is offered only when `[signatures]
//! certificate_sign_in` is on and the trust store has a root.
//!
//! GOST: a chain signed with GOST (a GOST root or issuing CA above an RSA or ECDSA
//! authentication certificate) validates here like any other. A GOST *end-entity* key
//! cannot sign in over TLS: it would have to sign the handshake with a GOST signature
//! scheme (RFC 9189 for TLS 1.2), and rustls neither verifies nor even offers schemes it
//! does not know (its CertificateRequest keeps only known schemes), nor do browsers
//! implement them. Such a certificate is refused at the handshake with that reason
//! ([`handshake_capable`]); its holder signs in with a password and signs documents with
//! the GOST key as usual.

use std::any::Any;
use std::sync::Arc;

use actix_web::dev::Extensions;
use parking_lot::Mutex;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::app::App;
use crate::sign::chain::{Purpose, validate_for};
use crate::sign::verdict::Reason;
use crate::sign::x509::Cert;

/// The certificate chain a client presented on this connection (end entity first), set
/// only when the verifier admitted it.
#[derive(Clone, Debug)]
pub struct ClientCertificate(pub Vec<Vec<u8>>);

impl ClientCertificate {
    pub fn end_entity(&self) -> Option<&[u8]> {
        self.0.first().map(Vec::as_slice)
    }
}

/// `HttpServer::on_connect`: keeps the verified client certificate with the connection.
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    if let Some(tls) = conn.downcast_ref::<Tls>()
        && let Some(certs) = tls.get_ref().1.peer_certificates()
        && !certs.is_empty()
    {
        ext.insert(ClientCertificate(certs.iter().map(|c| c.as_ref().to_vec()).collect()));
    }
}

pub struct TrustStoreVerifier {
    app: Arc<App>,
    algorithms: WebPkiSupportedAlgorithms,
    /// The names of the trusted CAs sent to browsers (so they offer matching certificates
    /// only), rebuilt when they change. rustls borrows them from the verifier, so each
    /// distinct list is kept for the life of the process (a few KB per trust-store change).
    hints: Mutex<(Vec<Vec<u8>>, &'static [DistinguishedName])>,
}

impl std::fmt::Debug for TrustStoreVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustStoreVerifier")
    }
}

impl TrustStoreVerifier {
    pub fn new(app: Arc<App>, provider: &CryptoProvider) -> TrustStoreVerifier {
        TrustStoreVerifier {
            app,
            algorithms: provider.signature_verification_algorithms,
            hints: Mutex::new((Vec::new(), &[])),
        }
    }
}

/// Whether the certificate's key can sign a TLS handshake with this server: not a GOST key
/// (see the module header).
pub fn handshake_capable(cert: &Cert) -> Result<(), String> {
    let key = &cert.cert.tbs_certificate().subject_public_key_info().algorithm.oid;
    if crate::sign::gost::oids::is_gost_key(key) {
        return Err(format!(
            "a GOST key ({key}) cannot sign the TLS handshake: rustls and browsers implement no \
             GOST signature schemes; sign in with a password (the GOST key still signs \
             documents)"
        ));
    }
    Ok(())
}

fn rejected(reason: Reason, detail: String) -> rustls::Error {
    let error = match reason {
        Reason::Expired => CertificateError::Expired,
        Reason::NotYetValid => CertificateError::NotValidYet,
        Reason::Revoked => CertificateError::Revoked,
        Reason::RevocationUnknown | Reason::CrlStale => CertificateError::UnknownRevocationStatus,
        Reason::UntrustedChain => CertificateError::UnknownIssuer,
        Reason::KeyUsage => CertificateError::InvalidPurpose,
        #[allow(deprecated)]
        Reason::UnsupportedAlgorithm => CertificateError::UnsupportedSignatureAlgorithm,
        _ => CertificateError::BadEncoding,
    };
    tracing::info!(reason = reason.name(), detail = %detail, "client certificate refused");
    rustls::Error::InvalidCertificate(error)
}

impl ClientCertVerifier for TrustStoreVerifier {
    fn offer_client_auth(&self) -> bool {
        self.app.config.signatures.certificate_sign_in
            && self.app.trust.get(&self.app.db).is_ok_and(|t| !t.roots.is_empty())
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        let Ok(trust) = self.app.trust.get(&self.app.db) else { return &[] };
        let names: Vec<Vec<u8>> =
            trust.roots.iter().chain(&trust.intermediates).map(Cert::subject_der).collect();
        let mut hints = self.hints.lock();
        if hints.0 != names {
            let list: Vec<DistinguishedName> =
                names.iter().map(|n| DistinguishedName::in_sequence(n)).collect();
            *hints = (names, Box::leak(list.into_boxed_slice()));
        }
        hints.1
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let trust = self
            .app
            .trust
            .get(&self.app.db)
            .map_err(|e| rustls::Error::General(format!("trust store: {e}")))?;
        let cert = Cert::from_der(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let carried: Vec<Cert> =
            intermediates.iter().filter_map(|c| Cert::from_der(c).ok()).collect();
        let now = jiff::Timestamp::from_second(now.as_secs() as i64)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let policy = crate::sign::service::policy(&self.app);
        handshake_capable(&cert).map_err(|d| rejected(Reason::UnsupportedAlgorithm, d))?;
        cert.check_auth_usage().map_err(|d| rejected(Reason::KeyUsage, d))?;
        validate_for(&trust, &cert, &carried, now, now, &policy, Purpose::ClientAuth)
            .map_err(|r| rejected(r.reason, r.detail))?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gost_end_entity_is_refused_at_the_handshake_with_the_reason() {
        let gost = crate::sign::x509::read_certificates(include_bytes!(
            "../../tests/fixtures/kz-nca/gost2.cer"
        ))
        .unwrap();
        let refused = handshake_capable(&gost[0]).unwrap_err();
        assert!(refused.contains("GOST") && refused.contains("password"), "{refused}");
    }
}
