//! A second factor: a TOTP authenticator (RFC 6238: six digits, 30-second
//! steps, SHA-1, one step of clock skew either way, as every authenticator
//! app does) and ten one-time recovery codes for the day the phone is lost.
//! A code is accepted once: the last step used is remembered, and a code of
//! that step or an earlier one is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use totp_rs::{Builder, Totp};
use uuid::Uuid;

use super::token::hash_token;
use crate::encoding::Stored;
use crate::error::{Error, Result};

/// Bytes of a TOTP secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show above the code.
const ISSUER: &str = "Stepwise";

/// An account's TOTP authenticator and recovery codes. The store keeps the
/// secret sealed with the master key, and only hashes of the codes.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct TotpFactor {
    /// The account.
    pub account_id: Uuid,
    /// The secret shared with the authenticator.
    pub secret: Vec<u8>,
    /// Whether a first code confirmed the enrolment; until then the factor
    /// counts for nothing.
    pub confirmed: bool,
    /// The last time step whose code was accepted.
    pub last_step: Option<u64>,
    /// SHA-256 of each recovery code not used yet.
    pub recovery_hashes: Vec<[u8; 32]>,
    /// When the enrolment began, microseconds since the Unix epoch.
    pub create_time_us: i64,
}

impl TotpFactor {
    /// A new, unconfirmed authenticator of `account_id` with a random
    /// secret.
    pub fn new(account_id: Uuid, now_us: i64) -> Self {
        Self {
            account_id,
            secret: rand::random::<[u8; SECRET_BYTES]>().to_vec(),
            confirmed: false,
            last_step: None,
            recovery_hashes: Vec::new(),
            create_time_us: now_us,
        }
    }

    fn totp(&self, account_name: &str) -> Result<Totp> {
        Builder::new()
            .with_secret(self.secret.clone())
            .with_account_name(account_name.replace(':', " "))
            .with_issuer(Some(ISSUER))
            .build()
            .map_err(|e| Error::internal(format!("TOTP: {e}")))
    }

    /// The `otpauth://` URI an authenticator app reads (as a QR code or
    /// typed), naming the account as `account_name`.
    pub fn provisioning_uri(&self, account_name: &str) -> Result<String> {
        self.totp(account_name)?
            .to_url()
            .map_err(|e| Error::internal(format!("TOTP URI: {e}")))
    }

    /// Whether `code` is the authenticator's code at `now_us` (or a step
    /// before or after), of a later step than any accepted before; if so,
    /// it is remembered as used.
    pub fn accept_code(&mut self, code: &str, now_us: i64) -> bool {
        let Ok(totp) = self.totp("") else {
            return false;
        };
        let seconds = u64::try_from(now_us / 1_000_000).unwrap_or(0);
        match totp.check(code.trim(), seconds) {
            Some(step) if self.last_step.is_none_or(|last| step > last) => {
                self.last_step = Some(step);
                true
            }
            _ => false,
        }
    }

    /// Whether `code` is one of the unused recovery codes; if so, it is
    /// used up.
    pub fn use_recovery_code(&mut self, code: &str) -> bool {
        let hash = hash_token(&normalize_recovery_code(code));
        let before = self.recovery_hashes.len();
        self.recovery_hashes.retain(|kept| *kept != hash);
        self.recovery_hashes.len() < before
    }

    /// New recovery codes, replacing any before; the factor keeps their
    /// hashes.
    pub fn new_recovery_codes(&mut self) -> Vec<String> {
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        self.recovery_hashes = codes
            .iter()
            .map(|code| hash_token(&normalize_recovery_code(code)))
            .collect();
        codes
    }
}

/// A recovery code: 80 random bits as four groups of letters and digits.
fn recovery_code() -> String {
    let text = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 12]>());
    let text: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { 'x' })
        .collect::<String>()
        .to_lowercase();
    format!(
        "{}-{}-{}-{}",
        &text[0..4],
        &text[4..8],
        &text[8..12],
        &text[12..16]
    )
}

/// A recovery code as typed, compared without case, spaces or dashes.
fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_at(factor: &TotpFactor, now_us: i64) -> String {
        factor
            .totp("")
            .expect("totp")
            .generate(u64::try_from(now_us / 1_000_000).expect("time"))
            .to_string()
    }

    #[test]
    fn a_code_is_accepted_once_and_never_an_older_one() {
        let now = 1_800_000_000 * 1_000_000;
        let mut factor = TotpFactor::new(Uuid::nil(), now);
        let code = code_at(&factor, now);
        assert!(factor.accept_code(&code, now));
        assert!(!factor.accept_code(&code, now), "used");
        let later = now + 30_000_000;
        assert!(factor.accept_code(&code_at(&factor, later), later));
        assert!(!factor.accept_code(&code, later), "an older step");
        assert!(!factor.accept_code("000000x", later));
    }

    #[test]
    fn a_recovery_code_works_once_in_any_case() {
        let mut factor = TotpFactor::new(Uuid::nil(), 0);
        let codes = factor.new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(factor.use_recovery_code(&codes[3].to_uppercase()));
        assert!(!factor.use_recovery_code(&codes[3]));
        assert_eq!(factor.recovery_hashes.len(), RECOVERY_CODES - 1);
    }

    #[test]
    fn the_uri_names_the_issuer_and_the_account() {
        let factor = TotpFactor::new(Uuid::nil(), 0);
        let uri = factor.provisioning_uri("ruth@example.org").expect("uri");
        assert!(
            uri.starts_with("otpauth://totp/Stepwise:ruth%40example.org?"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Stepwise"));
    }
}
