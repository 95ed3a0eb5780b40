//! Bearer tokens: 256 random bits behind a recognisable prefix, one per
//! device. The store keeps only their SHA-256 (a slow password hash buys
//! nothing for a secret this long) and what the account's holder sees of
//! them: a label, when made, last used and expiring, and whether revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::encoding::Stored;

/// Prefix of every token, so a leaked one is easy to recognise in scanners.
const TOKEN_PREFIX: &str = "sw_";

/// A new random bearer token and the hash the store keeps of it.
pub fn new_token() -> (String, [u8; 32]) {
    let secret: [u8; 32] = rand::random();
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// How long a personal access token works unless its maker says: 90 days,
/// in microseconds.
pub const DEFAULT_TOKEN_TTL_US: i64 = 90 * 24 * 3600 * 1_000_000;

/// How coarsely a token's last use is kept: a use within this long of the
/// recorded one is not written, so calls do not each cost a write.
pub const LAST_USE_RESOLUTION_US: i64 = 60 * 1_000_000;

/// One bearer token of an account.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct Token {
    /// The token's id (not its secret).
    pub id: Uuid,
    /// SHA-256 of the secret.
    pub hash: [u8; 32],
    /// The account it authenticates.
    pub account_id: Uuid,
    /// What the holder calls it ("Ada's iPhone"); empty for tokens made
    /// before tokens had labels.
    pub label: String,
    /// When it was made, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// When it was last used, to within [`LAST_USE_RESOLUTION_US`].
    pub last_use_time_us: Option<i64>,
    /// When it stops working, if ever.
    pub expire_time_us: Option<i64>,
    /// Whether, when and why it was revoked.
    pub revoked: Option<Revocation>,
}

/// The revocation of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct Revocation {
    /// When.
    pub time_us: i64,
    /// Why.
    pub reason: RevokeReason,
}

/// Why a token was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub enum RevokeReason {
    /// Its account's holder revoked it (a lost phone, a sign-out).
    Revoked = 1,
    /// Its account was deleted.
    AccountDeleted = 2,
}

/// Whether a token works, at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// It works.
    Active,
    /// Its expiry time has passed.
    Expired,
    /// It was revoked.
    Revoked,
}

impl Token {
    /// A new token of `account_id` made at `now_us`, and its secret.
    pub fn new(
        account_id: Uuid,
        label: String,
        now_us: i64,
        expire_time_us: Option<i64>,
    ) -> (Token, String) {
        let (secret, hash) = new_token();
        let token = Token {
            id: Uuid::now_v7(),
            hash,
            account_id,
            label,
            create_time_us: now_us,
            last_use_time_us: None,
            expire_time_us,
            revoked: None,
        };
        (token, secret)
    }

    /// Whether it works at `now_us`.
    pub fn state(&self, now_us: i64) -> TokenState {
        if self.revoked.is_some() {
            TokenState::Revoked
        } else if self.expire_time_us.is_some_and(|expiry| expiry <= now_us) {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    /// Whether a use at `now_us` is worth recording: the recorded one is
    /// older than [`LAST_USE_RESOLUTION_US`].
    pub fn use_is_news(&self, now_us: i64) -> bool {
        self.last_use_time_us
            .is_none_or(|last| now_us - last >= LAST_USE_RESOLUTION_US)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_expires_at_its_expiry_and_revocation_wins() {
        let (mut token, secret) = Token::new(Uuid::nil(), "Phone".into(), 100, Some(200));
        assert_eq!(token.hash, hash_token(&secret));
        assert_eq!(token.state(199), TokenState::Active);
        assert_eq!(token.state(200), TokenState::Expired);
        token.revoked = Some(Revocation {
            time_us: 150,
            reason: RevokeReason::Revoked,
        });
        assert_eq!(token.state(160), TokenState::Revoked);
    }

    #[test]
    fn uses_are_recorded_at_most_once_a_minute() {
        let (mut token, _) = Token::new(Uuid::nil(), "Phone".into(), 0, None);
        assert!(token.use_is_news(0), "never used");
        token.last_use_time_us = Some(1_000_000);
        assert!(!token.use_is_news(1_000_000 + LAST_USE_RESOLUTION_US - 1));
        assert!(token.use_is_news(1_000_000 + LAST_USE_RESOLUTION_US));
    }
}
