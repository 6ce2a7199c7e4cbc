//! Certificates and CRLs as the administrator uploads them or the CRL fetcher downloads them
//! (src/sign/x509.rs, src/sign/trust.rs; PEM or DER, GOST included).
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::sign::{trust, x509};

fuzz_target!(|data: &[u8]| {
    let _ = x509::read_certificates(data);
    if let Ok((der, _)) = x509::read_crl(data) {
        let _ = trust::parse_crl(&der);
    }
    let _ = trust::parse_crl(data);
});
