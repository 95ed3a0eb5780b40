//! What signing in keeps, written: emails and password hashes, setup
//! codes, device sessions with their refresh and access tokens (hashes
//! only), and each account's security events. Layout in
//! [`super::kv::keys`]; the reads are [`super::Store`]'s.

use uuid::Uuid;

use super::kv::codec::Value;
use super::kv::keys;
use super::tx::Tx;
use crate::domain::{
    AccessToken, AccountRecoveryCode, Credential, DeviceSession, SecurityEvent, SetupCode,
    TotpFactor,
};
use crate::error::{Error, Result};

/// The id at the start of an index entry's key, after its prefix and an
/// id of `skip` bytes.
pub(super) fn id_after(key: &[u8], skip: usize) -> Result<Uuid> {
    key.get(1 + skip..1 + skip + 16)
        .and_then(|bytes| Uuid::from_slice(bytes).ok())
        .ok_or_else(|| Error::internal("bad index key"))
}

/// The id an index entry's value holds.
pub(super) fn id_value(bytes: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(bytes).map_err(|_| Error::internal("bad id in an index entry"))
}

impl Tx<'_> {
    /// The id of the account that signs in with `email` (normalized).
    pub fn account_by_email(&mut self, email: &str) -> Result<Option<Uuid>> {
        self.get(&keys::email(email))?
            .map(|bytes| id_value(&bytes))
            .transpose()
    }

    /// An account's email and password hash.
    pub fn credential(&mut self, account: Uuid) -> Result<Option<Credential>> {
        self.value(&keys::credential(account))
    }

    /// Stores an account's email and password hash (`EMAIL_IN_USE` if
    /// another account signs in with the email), forgetting its old email.
    pub fn put_credential(&mut self, credential: &Credential) -> Result<()> {
        let account = credential.account_id;
        if self
            .account_by_email(&credential.email)?
            .is_some_and(|owner| owner != account)
        {
            return Err(Error::EmailInUse);
        }
        if let Some(old) = self.credential(account)?
            && old.email != credential.email
        {
            self.remove(keys::email(&old.email));
        }
        self.put(keys::email(&credential.email), account.as_bytes().to_vec());
        self.put(keys::credential(account), credential.encode());
        Ok(())
    }

    /// The setup code hashing to `hash`.
    pub fn setup_code(&mut self, hash: &[u8; 32]) -> Result<Option<SetupCode>> {
        self.value(&keys::setup_code(hash))
    }

    /// Stores a new setup code.
    pub fn put_setup_code(&mut self, code: &SetupCode) -> Result<()> {
        self.put(keys::setup_code(&code.hash), code.encode());
        Ok(())
    }

    /// Removes a setup code: it works no more.
    pub fn remove_setup_code(&mut self, hash: &[u8; 32]) {
        self.remove(keys::setup_code(hash));
    }

    /// The account recovery code hashing to `hash`.
    pub fn recovery_code(&mut self, hash: &[u8; 32]) -> Result<Option<AccountRecoveryCode>> {
        self.value(&keys::recovery_code(hash))
    }

    /// Stores a new account recovery code.
    pub fn put_recovery_code(&mut self, code: &AccountRecoveryCode) -> Result<()> {
        self.put(keys::recovery_code(&code.hash), code.encode());
        Ok(())
    }

    /// Removes an account recovery code: it works no more.
    pub fn remove_recovery_code(&mut self, hash: &[u8; 32]) {
        self.remove(keys::recovery_code(hash));
    }

    /// A device session by id.
    pub fn device_session(&mut self, id: Uuid) -> Result<Option<DeviceSession>> {
        self.value(&keys::device_session(id))
    }

    /// Stores a device session (new, refreshed or ended) and recognises its
    /// current refresh token from now on. Ending one tells streams to check
    /// their callers.
    pub fn put_device_session(&mut self, session: &DeviceSession) -> Result<()> {
        if !session.is_active() {
            self.access_changed();
        }
        self.put(keys::device_session(session.id), session.encode());
        self.put(
            keys::device_session_of(session.account_id, session.id),
            Vec::new(),
        );
        let hash = session.refresh_hash;
        self.put(keys::refresh_token(&hash), session.id.as_bytes().to_vec());
        self.put(keys::refresh_token_of(session.id, &hash), Vec::new());
        Ok(())
    }

    /// The id of the device session a refresh token hashing to `hash` was
    /// ever given to.
    pub fn session_of_refresh_token(&mut self, hash: &[u8; 32]) -> Result<Option<Uuid>> {
        self.get(&keys::refresh_token(hash))?
            .map(|bytes| id_value(&bytes))
            .transpose()
    }

    /// An account's device sessions.
    pub fn device_sessions_of(&mut self, account: Uuid) -> Result<Vec<DeviceSession>> {
        let mut sessions = Vec::new();
        for entry in self.keys_with(&keys::key(
            keys::DEVICE_SESSION_BY_ACCOUNT,
            &[account.as_bytes()],
        ))? {
            sessions.extend(self.device_session(id_after(&entry, 16)?)?);
        }
        Ok(sessions)
    }

    /// Stores a new access token; forgets its session's expired ones, so a
    /// session keeps only the few that may still work.
    pub fn put_access_token(&mut self, token: &AccessToken) -> Result<()> {
        let session = token.session_id;
        let now = self.now_micros();
        for entry in self.keys_with(&keys::key(
            keys::ACCESS_TOKEN_BY_SESSION,
            &[session.as_bytes()],
        ))? {
            let hash: [u8; 32] = entry[17..]
                .try_into()
                .map_err(|_| Error::internal("bad access token index key"))?;
            let expired = self
                .value::<AccessToken>(&keys::access_token(&hash))?
                .is_none_or(|old| old.expire_time_us <= now);
            if expired {
                self.remove(keys::access_token(&hash));
                self.remove(entry);
            }
        }
        self.put(keys::access_token(&token.hash), token.encode());
        self.put(keys::access_token_of(session, &token.hash), Vec::new());
        Ok(())
    }

    /// An account's TOTP authenticator, its secret opened.
    pub fn totp_factor(&mut self, account: Uuid) -> Result<Option<TotpFactor>> {
        let Some(mut factor) = self.value::<TotpFactor>(&keys::totp_factor(account))? else {
            return Ok(None);
        };
        factor.secret = self
            .master_key()
            .open_totp_secret(account, &factor.secret)?;
        Ok(Some(factor))
    }

    /// Stores an account's TOTP authenticator, its secret sealed.
    pub fn put_totp_factor(&mut self, factor: &TotpFactor) -> Result<()> {
        let account = factor.account_id;
        let sealed = TotpFactor {
            secret: self.master_key().seal_totp_secret(account, &factor.secret),
            ..factor.clone()
        };
        self.put(keys::totp_factor(account), sealed.encode());
        Ok(())
    }

    /// Removes an account's TOTP authenticator.
    pub fn remove_totp_factor(&mut self, account: Uuid) {
        self.remove(keys::totp_factor(account));
    }

    /// Appends to an account's security events.
    pub fn append_security_event(&mut self, event: &SecurityEvent) -> Result<()> {
        self.put(
            keys::security_event(event.account_id, event.time_us),
            event.encode(),
        );
        Ok(())
    }

    /// Erases what an account signs in with: its email and password hash,
    /// its device sessions with their refresh tokens, and its security
    /// events. Its access tokens stay until they expire (a hash, a session
    /// id and the account's id, which its receipt keeps anyway), so that
    /// their calls are told the account was deleted.
    pub fn erase_sign_in(&mut self, account: Uuid) -> Result<()> {
        if let Some(credential) = self.credential(account)? {
            self.remove(keys::email(&credential.email));
            self.remove(keys::credential(account));
        }
        self.remove_totp_factor(account);
        let sessions = keys::key(keys::DEVICE_SESSION_BY_ACCOUNT, &[account.as_bytes()]);
        for entry in self.keys_with(&sessions)? {
            let session = id_after(&entry, 16)?;
            let refresh_tokens = keys::key(keys::REFRESH_TOKEN_BY_SESSION, &[session.as_bytes()]);
            for token in self.keys_with(&refresh_tokens)? {
                self.remove(keys::key(keys::REFRESH_TOKEN, &[&token[17..]]));
                self.remove(token);
            }
            self.remove(keys::device_session(session));
            self.remove(entry);
        }
        for event in self.keys_with(&keys::security_events_of(account))? {
            self.remove(event);
        }
        self.access_changed();
        Ok(())
    }
}
