//! The elliptic curves of GOST R 34.10-2001/2012 (and the identical Kazakh GOST 34.310-2004
//! and GOST R 34.10-2015), by the object identifiers that name them in keys.
//!
//! Constants: RFC 4357 §11.4 (CryptoPro A, B, C and the 2001 test set), RFC 7836
//! Appendix A (TC26 256-bit paramSetA, 512-bit paramSetC), the TC26 parameter-set
//! registry as listed in RFC 9215 §3 / RFC 7091 (512-bit paramSetA, B and the 512-bit
//! test set). Each is checked by a test (the base point lies on the curve and has the
//! stated prime order) and by the signatures of the OpenSSL GOST engine.
//!
//! The Kazakh curve identifiers (NCA RK, arc `1.2.398.3.10.1.1`) are the same curves under
//! other names: `1.2.398.3.10.1.1.1.1.1` is CryptoPro A (checked: the NCA's GOST 34.310-2004
//! test root certificate verifies on it), `1.2.398.3.10.1.1.2.2.1` is TC26 512-bit paramSetA
//! (checked: a certificate of the NCA's GOST 2015 test CA verifies on it),
//! `1.2.398.3.10.1.1.2.1.1` is TC26 256-bit paramSetA (public code that verifies NCA
//! certificates says so; no Kazakh 256-bit sample was available to check it).

use std::sync::LazyLock;

use der::asn1::ObjectIdentifier as Oid;

use super::ec::{Curve, CurveHex};

/// A GOST curve this portal verifies signatures on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CurveId {
    CryptoProA,
    CryptoProB,
    CryptoProC,
    Tc26_256A,
    Tc26_512A,
    Tc26_512B,
    Tc26_512C,
    /// The worked examples' curves (GOST R 34.10-2001 and -2012 appendices, RFC 5832,
    /// RFC 7091): never accepted in a key, used by the tests of the standards' examples.
    Test256,
    Test512,
}

impl CurveId {
    /// Curves accepted in keys.
    pub const ALL: &'static [CurveId] = &[
        CurveId::CryptoProA,
        CurveId::CryptoProB,
        CurveId::CryptoProC,
        CurveId::Tc26_256A,
        CurveId::Tc26_512A,
        CurveId::Tc26_512B,
        CurveId::Tc26_512C,
    ];
    /// The test curves of the standards' examples.
    pub const TEST: &'static [CurveId] = &[CurveId::Test256, CurveId::Test512];

    /// The curve a parameter-set identifier names in a key, standard or Kazakh. Test
    /// parameter sets are not accepted.
    pub fn from_oid(oid: &Oid) -> Option<CurveId> {
        CURVE_OIDS.iter().find(|(o, _)| o == oid).map(|(_, c)| *c)
    }

    /// Every identifier that names this curve.
    pub fn oids(self) -> impl Iterator<Item = Oid> {
        CURVE_OIDS.iter().filter(move |(_, c)| *c == self).map(|(o, _)| *o)
    }

    /// Bytes of a coordinate: 32 or 64.
    pub fn size(self) -> usize {
        match self {
            CurveId::CryptoProA
            | CurveId::CryptoProB
            | CurveId::CryptoProC
            | CurveId::Tc26_256A
            | CurveId::Test256 => 32,
            CurveId::Tc26_512A | CurveId::Tc26_512B | CurveId::Tc26_512C | CurveId::Test512 => 64,
        }
    }

    /// The name reports show (`cryptopro-a`, `tc26-512-a`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CurveId::CryptoProA => "cryptopro-a",
            CurveId::CryptoProB => "cryptopro-b",
            CurveId::CryptoProC => "cryptopro-c",
            CurveId::Tc26_256A => "tc26-256-a",
            CurveId::Tc26_512A => "tc26-512-a",
            CurveId::Tc26_512B => "tc26-512-b",
            CurveId::Tc26_512C => "tc26-512-c",
            CurveId::Test256 => "test-256",
            CurveId::Test512 => "test-512",
        }
    }
}

const fn oid(s: &str) -> Oid {
    Oid::new_unwrap(s)
}

/// Parameter-set identifiers (RFC 4357 §10.2, RFC 9215 §3, NCA RK) and their curves.
const CURVE_OIDS: &[(Oid, CurveId)] = &[
    (oid("1.2.643.2.2.35.1"), CurveId::CryptoProA),
    (oid("1.2.643.2.2.36.0"), CurveId::CryptoProA), // CryptoPro-XchA
    (oid("1.2.643.7.1.2.1.1.2"), CurveId::CryptoProA), // tc26 256 paramSetB
    (oid("1.2.398.3.10.1.1.1.1.1"), CurveId::CryptoProA), // NCA RK, GOST 34.310-2004
    (oid("1.2.643.2.2.35.2"), CurveId::CryptoProB),
    (oid("1.2.643.7.1.2.1.1.3"), CurveId::CryptoProB), // tc26 256 paramSetC
    (oid("1.2.643.2.2.35.3"), CurveId::CryptoProC),
    (oid("1.2.643.2.2.36.1"), CurveId::CryptoProC), // CryptoPro-XchB
    (oid("1.2.643.7.1.2.1.1.4"), CurveId::CryptoProC), // tc26 256 paramSetD
    (oid("1.2.643.7.1.2.1.1.1"), CurveId::Tc26_256A),
    (oid("1.2.398.3.10.1.1.2.1.1"), CurveId::Tc26_256A), // NCA RK, GOST 34.10-2015 256
    (oid("1.2.643.7.1.2.1.2.1"), CurveId::Tc26_512A),
    (oid("1.2.398.3.10.1.1.2.2.1"), CurveId::Tc26_512A), // NCA RK, GOST 34.10-2015 512
    (oid("1.2.643.7.1.2.1.2.2"), CurveId::Tc26_512B),
    (oid("1.2.643.7.1.2.1.2.3"), CurveId::Tc26_512C),
];

/// The 256-bit curve `id`, built once.
pub fn curve256(id: CurveId) -> Option<&'static Curve<4>> {
    static CURVES: LazyLock<[Curve<4>; 5]> = LazyLock::new(|| {
        [
            Curve::new(&CRYPTOPRO_A),
            Curve::new(&CRYPTOPRO_B),
            Curve::new(&CRYPTOPRO_C),
            Curve::new(&TC26_256_A),
            Curve::new(&TEST_2001),
        ]
    });
    let index = match id {
        CurveId::CryptoProA => 0,
        CurveId::CryptoProB => 1,
        CurveId::CryptoProC => 2,
        CurveId::Tc26_256A => 3,
        CurveId::Test256 => 4,
        _ => return None,
    };
    Some(&CURVES[index])
}

/// The 512-bit curve `id`, built once.
pub fn curve512(id: CurveId) -> Option<&'static Curve<8>> {
    static CURVES: LazyLock<[Curve<8>; 4]> = LazyLock::new(|| {
        [
            Curve::new(&TC26_512_A),
            Curve::new(&TC26_512_B),
            Curve::new(&TC26_512_C),
            Curve::new(&TEST_512),
        ]
    });
    let index = match id {
        CurveId::Tc26_512A => 0,
        CurveId::Tc26_512B => 1,
        CurveId::Tc26_512C => 2,
        CurveId::Test512 => 3,
        _ => return None,
    };
    Some(&CURVES[index])
}

// Parameters as printed in the standards, most significant digit first.

const TEST_2001: CurveHex = CurveHex {
    p: "8000000000000000000000000000000000000000000000000000000000000431",
    a: "0000000000000000000000000000000000000000000000000000000000000007",
    b: "5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E",
    q: "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
    x: "0000000000000000000000000000000000000000000000000000000000000002",
    y: "08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8",
};

const CRYPTOPRO_A: CurveHex = CurveHex {
    p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
    a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
    b: "00000000000000000000000000000000000000000000000000000000000000A6",
    q: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
    x: "0000000000000000000000000000000000000000000000000000000000000001",
    y: "8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14",
};

const CRYPTOPRO_B: CurveHex = CurveHex {
    p: "8000000000000000000000000000000000000000000000000000000000000C99",
    a: "8000000000000000000000000000000000000000000000000000000000000C96",
    b: "3E1AF419A269A5F866A7D3C25C3DF80AE979259373FF2B182F49D4CE7E1BBC8B",
    q: "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F",
    x: "0000000000000000000000000000000000000000000000000000000000000001",
    y: "3FA8124359F96680B83D1C3EB2C070E5C545C9858D03ECFB744BF8D717717EFC",
};

const CRYPTOPRO_C: CurveHex = CurveHex {
    p: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B",
    a: "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D7598",
    b: "000000000000000000000000000000000000000000000000000000000000805A",
    q: "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9",
    x: "0000000000000000000000000000000000000000000000000000000000000000",
    y: "41ECE55743711A8C3CBF3783CD08C0EE4D4DC440D4641A8F366E550DFDB3BB67",
};

const TC26_256_A: CurveHex = CurveHex {
    p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
    a: "C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
    b: "295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
    q: "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
    x: "91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
    y: "32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
};

const TEST_512: CurveHex = CurveHex {
    p: concat!(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D",
        "F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373"
    ),
    a: concat!(
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000007"
    ),
    b: concat!(
        "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43",
        "61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC"
    ),
    q: concat!(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D",
        "A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF"
    ),
    x: concat!(
        "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762",
        "FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A"
    ),
    y: concat!(
        "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C",
        "83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E"
    ),
};

const TC26_512_A: CurveHex = CurveHex {
    p: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"
    ),
    a: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4"
    ),
    b: concat!(
        "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265",
        "EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760"
    ),
    q: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275"
    ),
    x: concat!(
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000003"
    ),
    y: concat!(
        "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921",
        "DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4"
    ),
};

const TC26_512_B: CurveHex = CurveHex {
    p: concat!(
        "8000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000000000000000000000000006F"
    ),
    a: concat!(
        "8000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000000000000000000000000000000000000000006C"
    ),
    b: concat!(
        "687D1B459DC841457E3E06CF6F5E2517B97C7D614AF138BCBF85DC806C4B289F",
        "3E965D2DB1416D217F8B276FAD1AB69C50F78BEE1FA3106EFB8CCBC7C5140116"
    ),
    q: concat!(
        "8000000000000000000000000000000000000000000000000000000000000001",
        "49A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD"
    ),
    x: concat!(
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000002"
    ),
    y: concat!(
        "1A8F7EDA389B094C2C071E3647A8940F3C123B697578C213BE6DD9E6C8EC7335",
        "DCB228FD1EDF4A39152CBCAAF8C0398828041055F94CEEEC7E21340780FE41BD"
    ),
};

const TC26_512_C: CurveHex = CurveHex {
    p: concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"
    ),
    a: concat!(
        "DC9203E514A721875485A529D2C722FB187BC8980EB866644DE41C68E1430645",
        "46E861C0E2C9EDD92ADE71F46FCF50FF2AD97F951FDA9F2A2EB6546F39689BD3"
    ),
    b: concat!(
        "B4C4EE28CEBC6C2C8AC12952CF37F16AC7EFB6A9F69F4B57FFDA2E4F0DE5ADE0",
        "38CBC2FFF719D2C18DE0284B8BFEF3B52B8CC7A5F5BF0A3C8D2319A5312557E1"
    ),
    q: concat!(
        "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "C98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED"
    ),
    x: concat!(
        "E2E31EDFC23DE7BDEBE241CE593EF5DE2295B7A9CBAEF021D385F7074CEA043A",
        "A27272A7AE602BF2A7B9033DB9ED3610C6FB85487EAE97AAC5BC7928C1950148"
    ),
    y: concat!(
        "F5CE40D95B5EB899ABBCCFF5911CB8577939804D6527378B8C108C3D2090FF9B",
        "E18E2D33E3021ED2EF32D85822423B6304F726AA854BAE07D0396E9A9ADDC40F"
    ),
};
