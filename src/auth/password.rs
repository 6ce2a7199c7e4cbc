//! Password hashing (Argon2id with the OWASP parameters: m = 19 MiB, t = 2, p = 1) and the
//! rules for new passwords.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::error::{Code, Error, Result};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP Argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str) -> Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("argon2: {e}")))
}

/// Constant-work check of a password against a stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same work as a real check, so that an unknown login takes as long to refuse
/// as a wrong password.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not a password of anyone").expect("hash dummy"));
    let _ = verify(password, dummy);
}

/// The rules for a password a person chooses.
pub fn check_strength(password: &str, login: &str, min_len: usize) -> Result<()> {
    let weak = |key: &'static str| {
        Err(Error::new(Code::WeakPassword).with_field("password").with_detail_key(key))
    };
    let chars = password.chars().count();
    if chars < min_len {
        return weak("password-too-short");
    }
    if chars > 256 {
        return weak("password-too-long");
    }
    let lower = password.to_lowercase();
    if !login.is_empty() && lower.contains(&login.to_lowercase()) {
        return weak("password-contains-login");
    }
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return weak("password-too-simple");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn strength_rules() {
        let check = |pw: &str| check_strength(pw, "aliya", 10).err().and_then(|e| e.detail_key);
        assert_eq!(check("short1"), Some("password-too-short"));
        assert_eq!(check("my-aliya-password"), Some("password-contains-login"));
        assert_eq!(check("aaaaaaaaaaaa"), Some("password-too-simple"));
        assert_eq!(check("Кұпия-сөз-2026"), None, "Kazakh letters count as characters");
    }
}
