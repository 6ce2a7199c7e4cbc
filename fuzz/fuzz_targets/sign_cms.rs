//! A signature as uploaded (DER, PEM or NCALayer's base64) decoded and parsed as CMS
//! SignedData (src/sign/cms.rs), then its certificates as X.509 (GOST keys included).
#![no_main]
use libfuzzer_sys::fuzz_target;

use ipgo::sign::{cms, x509};

fuzz_target!(|data: &[u8]| {
    if let Ok(der) = cms::decode_input(data) {
        let _ = cms::parse(&der);
        let _ = x509::read_certificates(&der);
    }
});
