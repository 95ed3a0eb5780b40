//! What an account signs in with: its email (unique, compared without
//! regard to case) and the hash of its password, and the one-time setup
//! code with which the holder of an account an administrator made chooses
//! them.

use uuid::Uuid;

use crate::encoding::Stored;

/// Most characters of an email address (RFC 5321's limit on a path).
pub const MAX_EMAIL_CHARS: usize = 254;

/// How long a setup code works: 72 hours, in microseconds.
pub const SETUP_CODE_TTL_US: i64 = 72 * 3600 * 1_000_000;

/// The email and password hash of an account.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct Credential {
    /// The account.
    pub account_id: Uuid,
    /// The email, as [`normalize_email`] gives it.
    pub email: String,
    /// The password's Argon2id hash, a PHC string
    /// ([`crate::domain::password::hash_password`]).
    pub password_hash: String,
    /// When they were last set, microseconds since the Unix epoch.
    pub update_time_us: i64,
}

/// A one-time code that lets the holder of a new account set its email and
/// password; the store keeps only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct SetupCode {
    /// SHA-256 of the code.
    pub hash: [u8; 32],
    /// The account it sets up.
    pub account_id: Uuid,
    /// When it stops working.
    pub expire_time_us: i64,
}

/// How long a client's recovery code works: 24 hours, in microseconds.
pub const RECOVERY_CODE_TTL_US: i64 = 24 * 3600 * 1_000_000;

/// A one-time code that lets a client who lost every device set a new
/// password; the store keeps only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct AccountRecoveryCode {
    /// SHA-256 of the code.
    pub hash: [u8; 32],
    /// The client it recovers.
    pub client_id: Uuid,
    /// The therapist or administrator who made it.
    pub created_by: Uuid,
    /// When it stops working.
    pub expire_time_us: i64,
}

/// An email as it is compared and kept: trimmed and lowercased. `Err` says
/// why it is not an address (one `@` between a local part and a domain with
/// a dot, no spaces, at most [`MAX_EMAIL_CHARS`]). Deliverability is not
/// checked: nothing is mailed.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    if email.is_empty() {
        return Err("must not be empty".into());
    }
    let chars = email.chars().count();
    if chars > MAX_EMAIL_CHARS {
        return Err(format!(
            "must be at most {MAX_EMAIL_CHARS} characters, got {chars}"
        ));
    }
    let shaped = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !shaped {
        return Err("is not an email address like ada@example.org".into());
    }
    Ok(email.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_compare_without_case_or_surrounding_space() {
        assert_eq!(
            normalize_email("  Ada@Example.ORG "),
            Ok("ada@example.org".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "a@b@c.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }
}
