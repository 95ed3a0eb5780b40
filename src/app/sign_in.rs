//! Signing in with an email and a password, per device: setting up an
//! account with its setup code, signing in and out, refreshing a device's
//! tokens (with reuse detection), the caller's device sessions and
//! security events.

use std::net::IpAddr;

use uuid::Uuid;

use super::{App, PageRequest, Principal};
use crate::domain::{
    AccessToken, Account, Credential, DeviceSession, EndReason, Refreshed, SecurityEvent,
    SecurityEventKind, hash_token,
};
use crate::error::{Error, Result};
use crate::store::{Page, Tx};

/// Who wants to sign in and on which device: the request's fields, checked.
#[derive(Debug, Clone)]
pub struct Login {
    /// The email, normalized.
    pub email: String,
    /// The password as typed.
    pub password: String,
    /// What the person calls the device.
    pub device_label: String,
}

/// A device signed in: its session and the secrets only it is given.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub account: Account,
    /// The device session.
    pub session: DeviceSession,
    /// The access token's secret.
    pub access_token: String,
    /// When the access token stops working.
    pub access_expire_time_us: i64,
    /// The refresh token.
    pub refresh_token: String,
}

/// A device session about to be stored, with its first access token and
/// what the account's holder will read of it.
#[derive(Debug, Clone)]
pub(super) struct Opening {
    session: DeviceSession,
    access: AccessToken,
    events: Vec<SecurityEvent>,
}

impl Opening {
    /// Stores the session, its access token and its events.
    pub(super) fn store(&self, tx: &mut Tx<'_>) -> Result<()> {
        tx.put_device_session(&self.session)?;
        tx.put_access_token(&self.access)?;
        for event in &self.events {
            tx.append_security_event(event)?;
        }
        Ok(())
    }
}

/// The secrets of an [`Opening`], for the device alone.
pub(super) struct OpeningSecrets {
    access_token: String,
    refresh_token: String,
}

/// What a sign-in's second factor came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecondFactor {
    /// The account has none, or the code was right.
    Passed,
    /// The account has one and no code came.
    Missing,
    /// The code was wrong or used.
    Wrong,
}

/// Checks `code` against the account's second factor, if it has one: the
/// authenticator's code or a recovery code, each used up by a sign-in. A
/// wrong code is a failed sign-in in the account's security events.
fn check_second_factor(
    tx: &mut Tx<'_>,
    account_id: Uuid,
    code: Option<&str>,
    source_address: &str,
) -> Result<SecondFactor> {
    let Some(mut factor) = tx.totp_factor(account_id)?.filter(|f| f.confirmed) else {
        return Ok(SecondFactor::Passed);
    };
    let Some(code) = code else {
        return Ok(SecondFactor::Missing);
    };
    let now = tx.now_micros();
    let event = |kind| SecurityEvent {
        account_id,
        kind,
        time_us: now,
        session_id: None,
        source_address: source_address.to_owned(),
    };
    if factor.accept_code(code, now) {
        tx.put_totp_factor(&factor)?;
        Ok(SecondFactor::Passed)
    } else if factor.use_recovery_code(code) {
        tx.put_totp_factor(&factor)?;
        tx.append_security_event(&event(SecurityEventKind::RecoveryCodeUsed))?;
        Ok(SecondFactor::Passed)
    } else {
        tx.append_security_event(&event(SecurityEventKind::SignInFailed))?;
        Ok(SecondFactor::Wrong)
    }
}

fn address(peer: Option<IpAddr>) -> String {
    peer.map(|ip| ip.to_string()).unwrap_or_default()
}

impl App {
    /// A new device session of `account_id` signed in at `peer`, with the
    /// security events `kinds` in the order they happen (a microsecond
    /// apart, so that they are listed in that order), not stored yet.
    pub(super) fn open_session(
        &self,
        account_id: Uuid,
        device_label: String,
        peer: Option<IpAddr>,
        kinds: &[SecurityEventKind],
    ) -> (Opening, OpeningSecrets) {
        let now = self.now_micros();
        let (session, refresh_token) = DeviceSession::new(account_id, device_label, now);
        let (access, access_token) = AccessToken::new(&session, now + self.access_token_ttl_us);
        let events = kinds
            .iter()
            .zip(0..)
            .map(|(&kind, nth)| SecurityEvent {
                account_id,
                kind,
                time_us: now + nth,
                session_id: Some(session.id),
                source_address: address(peer),
            })
            .collect();
        let opening = Opening {
            session,
            access,
            events,
        };
        let secrets = OpeningSecrets {
            access_token,
            refresh_token,
        };
        (opening, secrets)
    }

    /// What the device that opened `opening` is answered.
    pub(super) fn signed_in(
        account: Account,
        opening: Opening,
        secrets: OpeningSecrets,
    ) -> SignedIn {
        SignedIn {
            account,
            access_expire_time_us: opening.access.expire_time_us,
            session: opening.session,
            access_token: secrets.access_token,
            refresh_token: secrets.refresh_token,
        }
    }

    /// The Argon2id hash of a new password (checked by the caller).
    pub(super) async fn hash_password(&self, password: String) -> Result<String> {
        self.hashing.hash(password).await
    }

    /// Signs a device in with an email and a password, and for an account
    /// with a second factor, `second_factor_code`.
    pub async fn sign_in(
        &self,
        login: Login,
        second_factor_code: Option<String>,
        peer: Option<IpAddr>,
    ) -> Result<SignedIn> {
        let Login {
            email,
            password,
            device_label,
        } = login;
        if let Some(retry_after_us) = self.sign_in_guard.wait_us(&email, peer, self.now_micros()) {
            return Err(Error::SignInThrottled { retry_after_us });
        }
        let account_id = self.store.account_by_email(&email).await?;
        let credential = match account_id {
            Some(id) => self.store.credential(id).await?,
            None => None,
        };
        let phc = credential.map(|c| c.password_hash);
        if !self.hashing.verify(password, phc).await? {
            self.sign_in_guard.failed(&email, peer, self.now_micros());
            self.record_failed_sign_in(account_id, peer).await?;
            return Err(Error::SignInFailed);
        }
        let account_id = account_id.ok_or(Error::SignInFailed)?;
        let account = self.usable_account_by_id(account_id).await?;
        let (opening, secrets) = self.open_session(
            account_id,
            device_label,
            peer,
            &[SecurityEventKind::SignedIn],
        );
        let stored = opening.clone();
        let source_address = address(peer);
        let second_factor = self
            .store
            .write(account_id, move |tx| {
                let checked = check_second_factor(
                    tx,
                    account_id,
                    second_factor_code.as_deref(),
                    &source_address,
                )?;
                if checked == SecondFactor::Passed {
                    stored.store(tx)?;
                }
                Ok(checked)
            })
            .await?;
        match second_factor {
            SecondFactor::Passed => {}
            SecondFactor::Missing => return Err(Error::SecondFactorNeeded),
            SecondFactor::Wrong => {
                self.sign_in_guard.failed(&email, peer, self.now_micros());
                return Err(Error::SecondFactorWrong);
            }
        }
        self.sign_in_guard.succeeded(&email, peer);
        tracing::info!(account_id = %account_id, session_id = %opening.session.id, "signed in");
        Ok(Self::signed_in(account, opening, secrets))
    }

    /// Records a failed sign-in for the holder of the account, if the email
    /// named one. An unknown email costs the same write, empty, so that the
    /// answer's timing does not tell it from a wrong password.
    async fn record_failed_sign_in(
        &self,
        account_id: Option<Uuid>,
        peer: Option<IpAddr>,
    ) -> Result<()> {
        let event = account_id.map(|account_id| SecurityEvent {
            account_id,
            kind: SecurityEventKind::SignInFailed,
            time_us: self.now_micros(),
            session_id: None,
            source_address: address(peer),
        });
        self.store
            .write(account_id.unwrap_or_default(), move |tx| match &event {
                Some(event) => tx.append_security_event(event),
                None => Ok(()),
            })
            .await
    }

    /// Sets the email and password of an account with its setup code, and
    /// signs this device in.
    pub async fn complete_account_setup(
        &self,
        setup_code: &str,
        login: Login,
        peer: Option<IpAddr>,
    ) -> Result<SignedIn> {
        // A setup code has 256 random bits, which nobody guesses: no limit
        // on wrong ones is needed, and none blocks an administrator's
        // address that clients' mistyped invite codes share. It is checked
        // before the password is hashed, so a wrong one costs no hashing.
        let now = self.now_micros();
        let code_hash = hash_token(setup_code.trim());
        let code = match self.store.setup_code(&code_hash).await? {
            None => return Err(Error::SetupCodeNotFound),
            Some(code) if code.expire_time_us <= now => return Err(Error::SetupCodeExpired),
            Some(code) => code,
        };
        let account_id = code.account_id;
        let password_hash = self.hash_password(login.password).await?;
        let credential = Credential {
            account_id,
            email: login.email,
            password_hash,
            update_time_us: now,
        };
        let (opening, secrets) = self.open_session(
            account_id,
            login.device_label,
            peer,
            &[SecurityEventKind::PasswordSet, SecurityEventKind::SignedIn],
        );
        let stored = opening.clone();
        let account = self
            .store
            .write(account_id, move |tx| {
                let code = tx.setup_code(&code_hash)?.ok_or(Error::SetupCodeNotFound)?;
                if code.expire_time_us <= tx.now_micros() {
                    return Err(Error::SetupCodeExpired);
                }
                let account = tx.account(account_id)?.ok_or(Error::SetupCodeNotFound)?;
                let account = super::authentication::usable(account)?;
                tx.put_credential(&credential)?;
                tx.remove_setup_code(&code_hash);
                stored.store(tx)?;
                Ok(account)
            })
            .await?;
        tracing::info!(%account_id, session_id = %opening.session.id, "account set up");
        Ok(Self::signed_in(account, opening, secrets))
    }

    /// Replaces a device's refresh token and makes a new access token.
    pub async fn refresh_session(
        &self,
        session_id: Uuid,
        refresh_token: String,
    ) -> Result<SignedIn> {
        let access_ttl_us = self.access_token_ttl_us;
        let grace_us = self.refresh_grace_us;
        let refreshed = self
            .store
            .write(session_id, move |tx| {
                let hash = hash_token(&refresh_token);
                let owner = tx
                    .session_of_refresh_token(&hash)?
                    .ok_or(Error::Unauthenticated(crate::error::Credentials::Unknown))?;
                if owner != session_id {
                    return Err(Error::RefreshTokenOfAnotherSession);
                }
                let mut session = tx
                    .device_session(session_id)?
                    .ok_or(Error::Unauthenticated(crate::error::Credentials::Unknown))?;
                if !session.is_active() {
                    return Err(Error::SessionEnded);
                }
                let account = tx.account(session.account_id)?.ok_or(Error::SessionEnded)?;
                let account = super::authentication::usable(account)?;
                let now = tx.now_micros();
                let successor = match session.refresh(&refresh_token, now, grace_us) {
                    Refreshed::Rotated(successor) | Refreshed::Repeated(successor) => successor,
                    Refreshed::Reused => {
                        tx.put_device_session(&session)?;
                        tx.append_security_event(&SecurityEvent {
                            account_id: session.account_id,
                            kind: SecurityEventKind::RefreshReused,
                            time_us: now,
                            session_id: Some(session.id),
                            source_address: String::new(),
                        })?;
                        return Ok(None);
                    }
                };
                tx.put_device_session(&session)?;
                let (access, access_token) = AccessToken::new(&session, now + access_ttl_us);
                tx.put_access_token(&access)?;
                Ok(Some(SignedIn {
                    account,
                    session,
                    access_token,
                    access_expire_time_us: access.expire_time_us,
                    refresh_token: successor,
                }))
            })
            .await?;
        match refreshed {
            Some(signed_in) => Ok(signed_in),
            None => {
                self.access_changed();
                tracing::warn!(%session_id, "a replaced refresh token was presented again; session ended");
                Err(Error::RefreshTokenReused)
            }
        }
    }

    /// Ends the calling device's session.
    pub async fn sign_out(&self, principal: &Principal) -> Result<DeviceSession> {
        let session_id = principal.session_id().ok_or(Error::NotADeviceSession)?;
        self.end_session(principal, session_id, EndReason::SignedOut)
            .await
    }

    /// Ends one of the caller's device sessions.
    pub async fn revoke_device_session(
        &self,
        principal: &Principal,
        session_id: Uuid,
    ) -> Result<DeviceSession> {
        self.end_session(principal, session_id, EndReason::Revoked)
            .await
    }

    async fn end_session(
        &self,
        principal: &Principal,
        session_id: Uuid,
        reason: EndReason,
    ) -> Result<DeviceSession> {
        let account_id = principal.account_id;
        let kind = match reason {
            EndReason::SignedOut => SecurityEventKind::SignedOut,
            EndReason::Revoked | EndReason::RefreshReused | EndReason::PasswordChanged => {
                SecurityEventKind::SessionRevoked
            }
        };
        let session = self
            .store
            .write(account_id, move |tx| {
                let mut session = tx
                    .device_session(session_id)?
                    .filter(|session| session.account_id == account_id)
                    .ok_or(Error::NotFound("device session"))?;
                let now = tx.now_micros();
                if session.end(reason, now) {
                    tx.put_device_session(&session)?;
                    tx.append_security_event(&SecurityEvent {
                        account_id,
                        kind,
                        time_us: now,
                        session_id: Some(session_id),
                        source_address: String::new(),
                    })?;
                }
                Ok(session)
            })
            .await?;
        self.access_changed();
        tracing::info!(%account_id, %session_id, ?reason, "device session ended");
        Ok(session)
    }

    /// The caller's device sessions, oldest first.
    pub async fn list_device_sessions(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<DeviceSession>> {
        self.store
            .device_sessions(principal.account_id, page.into())
            .await
    }

    /// What happened to the security of the caller's account, newest first.
    pub async fn list_security_events(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<SecurityEvent>> {
        self.store
            .security_events(principal.account_id, page.into())
            .await
    }
}
