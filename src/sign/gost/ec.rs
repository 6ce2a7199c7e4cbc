//! Short-Weierstrass curve arithmetic over a prime field, for checking GOST signatures:
//! `y² = x³ + a·x + b (mod p)`, points in Jacobian coordinates, field elements in
//! Montgomery form from `crypto-bigint` (RustCrypto; the same integer library `rsa` and
//! the NIST curves stand on).
//!
//! Why written here: no maintained Rust crate implements the GOST curves, and RustCrypto's
//! generic `primeorder` needs prime-order curves — two of the TC26 curves (256 paramSetA,
//! 512 paramSetC) have cofactor 4. The arithmetic is the textbook one (the formulas of the
//! Explicit-Formulas Database named at each function), small enough to review, and checked
//! by tests: every curve's base point lies on the curve and has the stated order, the
//! standards' worked examples verify, and hundreds of signatures made by the OpenSSL GOST
//! engine verify while their one-bit changes do not.
//!
//! Only *verification* happens here: every input is public (keys, signatures, hashes), so
//! variable-time operations are used freely. Nothing in this module ever sees a secret.

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{NonZero, Odd, Uint};

type Fe<const L: usize> = FixedMontyForm<L>;

/// One curve with its base point `G` of prime order `q`.
pub struct Curve<const L: usize> {
    p: FixedMontyParams<L>,
    a: Fe<L>,
    b: Fe<L>,
    q: NonZero<Uint<L>>,
    q_params: FixedMontyParams<L>,
    g: Affine<L>,
}

/// A point in affine coordinates (never the point at infinity).
#[derive(Clone, Copy, Debug)]
pub struct Affine<const L: usize> {
    x: Fe<L>,
    y: Fe<L>,
}

/// A point in Jacobian coordinates `(X/Z², Y/Z³)`; `Z = 0` is the point at infinity.
#[derive(Clone, Copy, Debug)]
struct Jacobian<const L: usize> {
    x: Fe<L>,
    y: Fe<L>,
    z: Fe<L>,
}

/// Hex text of a curve's parameters, most significant digit first (as the standards print
/// them), each exactly `2 × 8 × L` digits.
pub struct CurveHex {
    pub p: &'static str,
    pub a: &'static str,
    pub b: &'static str,
    pub q: &'static str,
    pub x: &'static str,
    pub y: &'static str,
}

impl<const L: usize> Curve<L> {
    /// Builds a curve from its constants. Panics on malformed constants (they are
    /// compile-time text checked by the tests, never input).
    pub fn new(hex: &CurveHex) -> Curve<L> {
        let int = |s: &str| Uint::<L>::from_be_hex(s);
        let odd = |s: &str| Odd::new(int(s)).into_option().expect("odd modulus");
        let p = FixedMontyParams::new_vartime(odd(hex.p));
        let q = odd(hex.q);
        let fe = |s: &str| Fe::new(&int(s), &p);
        Curve {
            a: fe(hex.a),
            b: fe(hex.b),
            q: NonZero::new(*q.as_ref()).into_option().expect("non-zero order"),
            q_params: FixedMontyParams::new_vartime(q),
            g: Affine { x: fe(hex.x), y: fe(hex.y) },
            p,
        }
    }

    /// Bytes of one coordinate (and of each of r, s): 32 or 64.
    pub const fn size() -> usize {
        L * 8
    }

    /// A public key from its coordinates as big-endian integers, checked to be on the curve
    /// (and each coordinate below p). `None` when it is not a point of this curve.
    pub fn point(&self, x_be: &[u8], y_be: &[u8]) -> Option<Affine<L>> {
        if x_be.len() != Self::size() || y_be.len() != Self::size() {
            return None;
        }
        let modulus = self.p.modulus().as_ref();
        let (x, y) = (Uint::<L>::from_be_slice(x_be), Uint::<L>::from_be_slice(y_be));
        if &x >= modulus || &y >= modulus {
            return None;
        }
        let point = Affine { x: Fe::new(&x, &self.p), y: Fe::new(&y, &self.p) };
        self.on_curve(&point).then_some(point)
    }

    fn on_curve(&self, point: &Affine<L>) -> bool {
        let lhs = point.y.square();
        let rhs = point.x.square().mul(&point.x).add(&self.a.mul(&point.x)).add(&self.b);
        lhs == rhs
    }

    /// The GOST verification equation (GOST R 34.10-2012 §6.2, identical in GOST
    /// R 34.10-2001 and GOST 34.310-2004): with `e = α mod q` (1 when 0), `v = e⁻¹`,
    /// `z1 = s·v`, `z2 = −r·v`, `C = z1·G + z2·Q`, the signature holds when
    /// `x(C) mod q = r`. `digest_le` is the hash value read as a little-endian integer α
    /// (how GOST hash values map to numbers); `r` and `s` are big-endian.
    pub fn verify(&self, key: &Affine<L>, digest_le: &[u8], r_be: &[u8], s_be: &[u8]) -> bool {
        let size = Self::size();
        if digest_le.len() != size || r_be.len() != size || s_be.len() != size {
            return false;
        }
        let q = self.q.as_ref();
        let (r, s) = (Uint::<L>::from_be_slice(r_be), Uint::<L>::from_be_slice(s_be));
        if r == Uint::ZERO || s == Uint::ZERO || &r >= q || &s >= q {
            return false;
        }
        let mut e = Uint::<L>::from_le_slice(digest_le).rem_vartime(&self.q);
        if e == Uint::ZERO {
            e = Uint::ONE;
        }
        let scalar = |x: &Uint<L>| Fe::new(x, &self.q_params);
        let Some(v) = scalar(&e).invert_vartime().into_option() else { return false };
        let z1 = scalar(&s).mul(&v).retrieve();
        let z2 = scalar(&r).mul(&v).neg().retrieve();
        let c = self.double_scalar_mul(&z1, &z2, key);
        let Some(x) = self.affine_x(&c) else { return false };
        x.rem_vartime(&self.q) == r
    }

    /// `k·P` (for tests of the curve constants and of the arithmetic).
    #[cfg(test)]
    fn mul(&self, k: &Uint<L>, point: &Affine<L>) -> Jacobian<L> {
        self.double_scalar_mul(&Uint::ZERO, k, point)
    }

    /// `u1·G + u2·P` by Shamir's trick with 2-bit windows: one doubling per bit and one
    /// addition from a 16-entry table per two bits.
    fn double_scalar_mul(&self, u1: &Uint<L>, u2: &Uint<L>, point: &Affine<L>) -> Jacobian<L> {
        // table[i + 4·j] = i·G + j·P for i, j in 0..4.
        let g = self.lift(&self.g);
        let p = self.lift(point);
        let mut table = [self.infinity(); 16];
        for j in 0..4 {
            for i in 0..4 {
                let index = i + 4 * j;
                table[index] = match (i, j) {
                    (0, 0) => self.infinity(),
                    (0, _) => self.add(&table[4 * (j - 1)], &p),
                    _ => self.add(&table[index - 1], &g),
                };
            }
        }
        let bits = (Uint::<L>::BITS).div_ceil(2) * 2;
        let mut acc = self.infinity();
        let mut bit = bits;
        while bit > 0 {
            bit -= 2;
            acc = self.double(&self.double(&acc));
            let window = |k: &Uint<L>| {
                (usize::from(k.bit_vartime(bit + 1)) << 1) | usize::from(k.bit_vartime(bit))
            };
            let index = window(u1) + 4 * window(u2);
            if index != 0 {
                acc = self.add(&acc, &table[index]);
            }
        }
        acc
    }

    fn infinity(&self) -> Jacobian<L> {
        let one = Fe::one(&self.p);
        Jacobian { x: one, y: one, z: Fe::zero(&self.p) }
    }

    fn lift(&self, point: &Affine<L>) -> Jacobian<L> {
        Jacobian { x: point.x, y: point.y, z: Fe::one(&self.p) }
    }

    fn is_zero(x: &Fe<L>) -> bool {
        x.retrieve() == Uint::ZERO
    }

    /// The affine x-coordinate as an integer, or `None` for the point at infinity.
    fn affine_x(&self, point: &Jacobian<L>) -> Option<Uint<L>> {
        let z_inv = point.z.invert_vartime().into_option()?;
        Some(point.x.mul(&z_inv.square()).retrieve())
    }

    /// Doubling, "dbl-2007-bl" (any a): 1M + 8S + 1·a.
    fn double(&self, p: &Jacobian<L>) -> Jacobian<L> {
        if Self::is_zero(&p.z) || Self::is_zero(&p.y) {
            return self.infinity();
        }
        let xx = p.x.square();
        let yy = p.y.square();
        let yyyy = yy.square();
        let zz = p.z.square();
        let s = p.x.add(&yy).square().sub(&xx).sub(&yyyy).double();
        let m = xx.double().add(&xx).add(&self.a.mul(&zz.square()));
        let x3 = m.square().sub(&s.double());
        let y3 = m.mul(&s.sub(&x3)).sub(&yyyy.double().double().double());
        let z3 = p.y.add(&p.z).square().sub(&yy).sub(&zz);
        Jacobian { x: x3, y: y3, z: z3 }
    }

    /// Addition, "add-2007-bl": 11M + 5S, with the exceptional cases (infinity, equal and
    /// opposite points) handled first.
    fn add(&self, p: &Jacobian<L>, q: &Jacobian<L>) -> Jacobian<L> {
        if Self::is_zero(&p.z) {
            return *q;
        }
        if Self::is_zero(&q.z) {
            return *p;
        }
        let z1z1 = p.z.square();
        let z2z2 = q.z.square();
        let u1 = p.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = p.y.mul(&q.z).mul(&z2z2);
        let s2 = q.y.mul(&p.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if Self::is_zero(&h) {
            return if Self::is_zero(&r) { self.double(p) } else { self.infinity() };
        }
        let i = h.double().square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x3 = r.square().sub(&j).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&j).double());
        let z3 = p.z.add(&q.z).square().sub(&z1z1).sub(&z2z2).mul(&h);
        Jacobian { x: x3, y: y3, z: z3 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::gost::curves::{self, CurveId};

    fn check_curve<const L: usize>(curve: &Curve<L>, name: &str) {
        assert!(curve.on_curve(&curve.g), "{name}: G is not on the curve");
        let q = *curve.q.as_ref();
        assert!(Curve::<L>::is_zero(&curve.mul(&q, &curve.g).z), "{name}: q·G ≠ O");
        let q_minus_1 = q.wrapping_sub(&Uint::ONE);
        let minus_g = curve.mul(&q_minus_1, &curve.g);
        assert!(!Curve::<L>::is_zero(&minus_g.z), "{name}: (q−1)·G = O");
        // (q−1)·G = −G: same x as G.
        assert_eq!(curve.affine_x(&minus_g), Some(curve.g.x.retrieve()), "{name}");
    }

    #[test]
    fn every_curve_has_its_base_point_of_the_stated_order() {
        for id in CurveId::ALL.iter().chain(CurveId::TEST) {
            match id.size() {
                32 => check_curve(curves::curve256(*id).unwrap(), id.name()),
                _ => check_curve(curves::curve512(*id).unwrap(), id.name()),
            }
        }
    }

    #[test]
    fn points_off_the_curve_and_out_of_range_are_refused() {
        let curve = curves::curve256(CurveId::CryptoProA).unwrap();
        let x = curve.g.x.retrieve().to_be_bytes();
        let y = curve.g.y.retrieve().to_be_bytes();
        assert!(curve.point(x.as_ref(), y.as_ref()).is_some());
        let mut bad = y;
        bad.as_mut()[31] ^= 1;
        assert!(curve.point(x.as_ref(), bad.as_ref()).is_none());
        assert!(curve.point(&[0xff; 32], y.as_ref()).is_none());
        assert!(curve.point(&x.as_ref()[1..], y.as_ref()).is_none());
    }

    #[test]
    fn addition_agrees_with_doubling_and_handles_opposite_points() {
        let curve = curves::curve256(CurveId::Tc26_256A).unwrap();
        let g = curve.lift(&curve.g);
        let two_g = curve.double(&g);
        let also = curve.add(&g, &g);
        assert_eq!(curve.affine_x(&two_g), curve.affine_x(&also));
        let three_by_mul = curve.mul(&Uint::from_u64(3), &curve.g);
        let three_by_add = curve.add(&two_g, &g);
        assert_eq!(curve.affine_x(&three_by_mul), curve.affine_x(&three_by_add));
        let minus_g = Jacobian { x: g.x, y: g.y.neg(), z: g.z };
        assert!(Curve::<4>::is_zero(&curve.add(&g, &minus_g).z));
    }
}
