//! The caller's sign-in settings: the password again (for what changes how
//! the account signs in), a new password, which signs out every other
//! device, and a new email.

use std::net::IpAddr;

use super::{App, Principal};
use crate::domain::{Credential, EndReason, SecurityEvent, SecurityEventKind};
use crate::error::{Credentials, Error, Result};

impl App {
    /// The caller's email and password hash, once `password` proves to be
    /// the account's password (`INVALID_ARGUMENT` naming `field` if not;
    /// wrong passwords are throttled as failed sign-ins).
    pub(super) async fn check_password_again(
        &self,
        principal: &Principal,
        password: String,
        field: &str,
        peer: Option<IpAddr>,
    ) -> Result<Credential> {
        let credential = self
            .store
            .credential(principal.account_id)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
        let email = credential.email.clone();
        if let Some(retry_after_us) = self.sign_in_guard.wait_us(&email, peer, self.now_micros()) {
            return Err(Error::SignInThrottled { retry_after_us });
        }
        let phc = Some(credential.password_hash.clone());
        if !self.hashing.verify(password, phc).await? {
            self.sign_in_guard.failed(&email, peer, self.now_micros());
            return Err(Error::invalid(field, "is not this account's password"));
        }
        Ok(credential)
    }

    /// Changes the caller's password and ends every other device session
    /// of the account; returns how many ended.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current_password: String,
        new_password: String,
        peer: Option<IpAddr>,
    ) -> Result<usize> {
        let credential = self
            .check_password_again(principal, current_password, "current_password", peer)
            .await?;
        let password_hash = self.hash_password(new_password).await?;
        let account_id = principal.account_id;
        let current = principal.session_id();
        let ended = self
            .store
            .write(account_id, move |tx| {
                let now = tx.now_micros();
                tx.put_credential(&Credential {
                    password_hash: password_hash.clone(),
                    update_time_us: now,
                    ..credential.clone()
                })?;
                let mut ended = 0;
                for mut session in tx.device_sessions_of(account_id)? {
                    if Some(session.id) != current && session.end(EndReason::PasswordChanged, now) {
                        tx.put_device_session(&session)?;
                        ended += 1;
                    }
                }
                tx.append_security_event(&SecurityEvent {
                    account_id,
                    kind: SecurityEventKind::PasswordChanged,
                    time_us: now,
                    session_id: current,
                    source_address: peer.map(|ip| ip.to_string()).unwrap_or_default(),
                })?;
                Ok(ended)
            })
            .await?;
        self.access_changed();
        tracing::info!(%account_id, ended, "password changed");
        Ok(ended)
    }

    /// Changes the email the caller signs in with.
    pub async fn change_email(
        &self,
        principal: &Principal,
        password: String,
        new_email: String,
        peer: Option<IpAddr>,
    ) -> Result<()> {
        let credential = self
            .check_password_again(principal, password, "password", peer)
            .await?;
        let account_id = principal.account_id;
        let session_id = principal.session_id();
        self.store
            .write(account_id, move |tx| {
                let now = tx.now_micros();
                tx.put_credential(&Credential {
                    email: new_email.clone(),
                    update_time_us: now,
                    ..credential.clone()
                })?;
                tx.append_security_event(&SecurityEvent {
                    account_id,
                    kind: SecurityEventKind::EmailChanged,
                    time_us: now,
                    session_id,
                    source_address: peer.map(|ip| ip.to_string()).unwrap_or_default(),
                })
            })
            .await?;
        tracing::info!(%account_id, "sign-in email changed");
        Ok(())
    }
}
