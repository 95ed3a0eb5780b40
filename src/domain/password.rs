//! Passwords: what a good one is (NIST SP 800-63B: long enough, not a
//! common one, no rules about kinds of characters) and the Argon2id hash
//! the store keeps of it, at OWASP's parameters.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::error::{Error, Result};

/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most characters of a password: enough for any passphrase, and a bound
/// on what a caller can make the server hash.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Argon2id's memory in KiB, passes and lanes: OWASP's Password Storage
/// Cheat Sheet's first choice (19 MiB, 2 passes, 1 lane).
const ARGON2_MEMORY_KIB: u32 = 19_456;
const ARGON2_PASSES: u32 = 2;
const ARGON2_LANES: u32 = 1;

/// The common passwords of [`MIN_PASSWORD_CHARS`] characters or more,
/// lowercased and sorted bytewise (`password/README.md` says where they
/// come from).
const COMMON_PASSWORDS: &str = include_str!("password/common-passwords.txt");

/// `Ok` for a password one may choose; else why not, in words for the
/// person choosing it.
pub fn check_new_password(password: &str) -> Result<(), String> {
    check_length(password)?;
    if is_common(password) {
        return Err(
            "is one of the most commonly used passwords, which are tried first when guessing; \
             choose another (a few unrelated words make a good one)"
                .into(),
        );
    }
    Ok(())
}

/// `Ok` for a password that can be checked at sign-in: not empty and not
/// longer than any password can be, so hashing it costs what it should.
pub fn check_given_password(password: &str) -> Result<(), String> {
    if password.is_empty() {
        return Err("must not be empty".into());
    }
    let chars = password.chars().count();
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "must be at most {MAX_PASSWORD_CHARS} characters, got {chars}"
        ));
    }
    Ok(())
}

fn check_length(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters, got {chars}"
        ));
    }
    check_given_password(password)
}

/// Whether the password is in the list of common ones, in any case.
fn is_common(password: &str) -> bool {
    static LINES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let lines = LINES.get_or_init(|| COMMON_PASSWORDS.lines().collect());
    lines
        .binary_search(&password.to_lowercase().as_str())
        .is_ok()
}

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| Error::internal(format!("Argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The Argon2id hash of a password with a new random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which names its own
/// parameters: hashes made with older parameters still verify.
pub fn hash_password(password: &str) -> Result<String> {
    let salt: [u8; 16] = rand::random();
    let hash = argon2()?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| Error::internal(format!("hashing a password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `phc` is a hash of. A hash that cannot be
/// read matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    argon2().is_ok_and(|argon2| argon2.verify_password(password.as_bytes(), phc).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_lowercase_and_long_enough_to_matter() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert!(lines.len() > 40_000);
        assert!(lines.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(
            lines
                .iter()
                .all(|line| line.chars().count() >= MIN_PASSWORD_CHARS)
        );
        assert!(lines.iter().all(|line| line.to_lowercase() == *line));
    }

    #[test]
    fn length_and_commonness_decide_and_nothing_else() {
        assert!(check_new_password("eleven char").is_err());
        assert!(check_new_password("correct horse battery staple").is_ok());
        assert!(
            check_new_password("alllowercaseletters").is_ok(),
            "no composition rules"
        );
        assert!(
            check_new_password("PasswordPassword").is_err(),
            "common, in any case"
        );
        assert!(check_new_password("123456789012").is_err());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_CHARS)).is_ok());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
        // Characters, not bytes: twelve accented letters are enough.
        assert!(check_new_password("éàüößçñøåæœ€").is_ok());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery staple").expect("hashes");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("correct horse battery stapl", &hash));
        assert!(!verify_password(
            "correct horse battery staple",
            "not a hash"
        ));
    }
}
