//! Device sessions: a device signed in to an account, its short-lived
//! access tokens, its refresh token that is replaced at every refresh (and
//! whose reuse ends the session, as the OAuth 2.0 Security Best Current
//! Practice describes), and the security events an account's holder sees.
//!
//! The store keeps only SHA-256 hashes of access and refresh tokens. The
//! refresh token that replaces another is derived from it and a random
//! salt kept with the session, so that the replaced token, presented again
//! within the grace window (its answer was lost), gets the very same
//! successor without the store keeping the successor itself. The salt
//! alone opens nothing: deriving the successor needs the replaced token,
//! which only the device had.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::token::{hash_token, new_token};
use crate::encoding::Stored;

/// Hashed with a salt and a replaced refresh token into its successor.
const SUCCESSOR_CONTEXT: &[u8] = b"stepwise refresh token successor";

/// A device signed in to an account.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct DeviceSession {
    /// The session's id.
    pub id: Uuid,
    /// The account signed in.
    pub account_id: Uuid,
    /// What the person called the device.
    pub label: String,
    /// When the device signed in, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// When it last refreshed its tokens.
    pub last_refresh_time_us: Option<i64>,
    /// SHA-256 of its current refresh token.
    pub refresh_hash: [u8; 32],
    /// The refresh token the current one replaced, if any.
    pub replaced: Option<Replaced>,
    /// Whether, when and why it ended.
    pub ended: Option<SessionEnd>,
}

/// The refresh token the current one replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct Replaced {
    /// Its SHA-256.
    pub hash: [u8; 32],
    /// When it was replaced.
    pub time_us: i64,
    /// The salt its successor was derived with.
    pub salt: [u8; 32],
}

/// The end of a device session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct SessionEnd {
    /// When.
    pub time_us: i64,
    /// Why.
    pub reason: EndReason,
}

/// Why a device session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub enum EndReason {
    /// The device signed out.
    SignedOut = 1,
    /// The account's holder ended it from another device.
    Revoked = 2,
    /// A replaced refresh token of it was presented again.
    RefreshReused = 3,
    /// The account's password was changed on another device.
    PasswordChanged = 4,
}

/// What presenting a refresh token of a session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// It was the current one: here is its successor, now current.
    Rotated(String),
    /// It was the one just replaced, within the grace window: here is the
    /// same successor as before.
    Repeated(String),
    /// It was replaced before that, or longer ago than the grace window:
    /// the session has ended.
    Reused,
}

impl DeviceSession {
    /// A new session of `account_id` on a device called `label`, and its
    /// first refresh token.
    pub fn new(account_id: Uuid, label: String, now_us: i64) -> (DeviceSession, String) {
        let (refresh_token, refresh_hash) = new_token();
        let session = DeviceSession {
            id: Uuid::now_v7(),
            account_id,
            label,
            create_time_us: now_us,
            last_refresh_time_us: None,
            refresh_hash,
            replaced: None,
            ended: None,
        };
        (session, refresh_token)
    }

    /// Whether it works.
    pub fn is_active(&self) -> bool {
        self.ended.is_none()
    }

    /// Ends it at `now_us` for `reason`, unless it has ended already;
    /// returns whether it did.
    pub fn end(&mut self, reason: EndReason, now_us: i64) -> bool {
        if self.ended.is_some() {
            return false;
        }
        self.ended = Some(SessionEnd {
            time_us: now_us,
            reason,
        });
        true
    }

    /// Presents `refresh_token`, one of this active session's, at `now_us`;
    /// the token just replaced counts as current for `grace_us` after its
    /// replacement.
    pub fn refresh(&mut self, refresh_token: &str, now_us: i64, grace_us: i64) -> Refreshed {
        let hash = hash_token(refresh_token);
        if hash == self.refresh_hash {
            let salt: [u8; 32] = rand::random();
            let successor = successor(&salt, refresh_token);
            self.replaced = Some(Replaced {
                hash,
                time_us: now_us,
                salt,
            });
            self.refresh_hash = hash_token(&successor);
            self.last_refresh_time_us = Some(now_us);
            return Refreshed::Rotated(successor);
        }
        if let Some(replaced) = self.replaced
            && replaced.hash == hash
            && now_us - replaced.time_us < grace_us
        {
            let successor = successor(&replaced.salt, refresh_token);
            if hash_token(&successor) == self.refresh_hash {
                return Refreshed::Repeated(successor);
            }
        }
        self.end(EndReason::RefreshReused, now_us);
        Refreshed::Reused
    }
}

/// The refresh token that replaces `replaced`, derived with `salt`.
fn successor(salt: &[u8; 32], replaced: &str) -> String {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(SUCCESSOR_CONTEXT)
        .chain_update(salt)
        .chain_update(replaced.as_bytes())
        .finalize()
        .into();
    format!("sw_{}", URL_SAFE_NO_PAD.encode(digest))
}

/// A short-lived bearer token of a device session.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct AccessToken {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// Its session.
    pub session_id: Uuid,
    /// The session's account.
    pub account_id: Uuid,
    /// When it stops working.
    pub expire_time_us: i64,
}

impl AccessToken {
    /// A new access token of `session` working until `expire_time_us`, and
    /// its secret.
    pub fn new(session: &DeviceSession, expire_time_us: i64) -> (AccessToken, String) {
        let (secret, hash) = new_token();
        let token = AccessToken {
            hash,
            session_id: session.id,
            account_id: session.account_id,
            expire_time_us,
        };
        (token, secret)
    }
}

/// What happened to the security of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub enum SecurityEventKind {
    /// A device signed in.
    SignedIn = 1,
    /// A sign-in with the account's email failed.
    SignInFailed = 2,
    /// A replaced refresh token was presented again; its session ended.
    RefreshReused = 3,
    /// A session was ended from another device.
    SessionRevoked = 4,
    /// A device signed out.
    SignedOut = 5,
    /// The email and password were set.
    PasswordSet = 6,
    /// A second factor (an authenticator) was added.
    SecondFactorAdded = 7,
    /// The second factor was removed.
    SecondFactorRemoved = 8,
    /// A recovery code of the second factor was used to sign in.
    RecoveryCodeUsed = 9,
    /// The password was changed; the other sessions ended.
    PasswordChanged = 10,
    /// The sign-in email was changed.
    EmailChanged = 11,
    /// A recovery code was made for the account.
    RecoveryCodeCreated = 12,
    /// The account was recovered with a recovery code.
    AccountRecovered = 13,
}

/// Something that happened to the security of an account, for its holder.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct SecurityEvent {
    /// The account.
    pub account_id: Uuid,
    /// What happened.
    pub kind: SecurityEventKind,
    /// When, microseconds since the Unix epoch.
    pub time_us: i64,
    /// The device session concerned.
    pub session_id: Option<Uuid>,
    /// The network address the call came from; empty if unknown.
    pub source_address: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: i64 = 600_000_000;

    #[test]
    fn a_refresh_replaces_the_token_and_the_replaced_one_repeats_within_grace() {
        let (mut session, first) = DeviceSession::new(Uuid::nil(), "Phone".into(), 0);
        let Refreshed::Rotated(second) = session.refresh(&first, 10, GRACE) else {
            panic!("the current token rotates");
        };
        assert_ne!(first, second);
        assert_eq!(
            session.refresh(&first, 10 + GRACE - 1, GRACE),
            Refreshed::Repeated(second.clone()),
            "a lost answer is answered again"
        );
        assert!(session.is_active());
        let Refreshed::Rotated(third) = session.refresh(&second, 20, GRACE) else {
            panic!("the successor rotates");
        };
        assert_ne!(third, second);
        assert_eq!(session.refresh(&first, 21, GRACE), Refreshed::Reused);
        assert_eq!(
            session.ended.map(|end| end.reason),
            Some(EndReason::RefreshReused)
        );
    }

    #[test]
    fn the_replaced_token_after_the_grace_window_is_a_reuse() {
        let (mut session, first) = DeviceSession::new(Uuid::nil(), "Phone".into(), 0);
        assert!(matches!(
            session.refresh(&first, 10, GRACE),
            Refreshed::Rotated(_)
        ));
        assert_eq!(
            session.refresh(&first, 10 + GRACE, GRACE),
            Refreshed::Reused
        );
        assert!(!session.is_active());
    }
}
