//! Random secrets from the operating system's generator.

/// `N` bytes from the OS random source. The appliance cannot run safely without it, so a
/// failure here is fatal.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system random source failed");
    buf
}

/// A URL-safe token with 256 bits of entropy.
pub fn token() -> String {
    hex::encode(random_bytes::<32>())
}

/// A one-time password people can type: 4 groups of 4 characters from an alphabet without
/// look-alikes (no 0/O, 1/l/I), about 79 bits.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    let bytes = random_bytes::<32>();
    let mut out = String::new();
    let mut taken = 0;
    for b in bytes {
        // Rejection sampling keeps the distribution uniform.
        let limit = 256 - (256 % ALPHABET.len());
        if (b as usize) >= limit {
            continue;
        }
        if taken > 0 && taken % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
        taken += 1;
        if taken == 16 {
            return out;
        }
    }
    // Astronomically unlikely: too many rejected bytes; draw again.
    one_time_password()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_have_full_length() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn one_time_passwords_have_the_promised_shape() {
        let p = one_time_password();
        assert_eq!(p.len(), 19, "{p}");
        assert_eq!(p.matches('-').count(), 3);
        assert!(!p.contains('0') && !p.contains('O') && !p.contains('l'));
    }
}
