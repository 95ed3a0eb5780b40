//! Recovering a client's account after every device is lost: the client's
//! linked therapist or an administrator makes a one-time code, handed over
//! in person or by phone, with which the client sets a new password on a
//! new device. Every step leaves a trace the client and administrators
//! see, so a code cannot be used quietly to take an account over.

use std::net::IpAddr;

use uuid::Uuid;

use super::{Action, App, Principal, SignedIn};
use crate::domain::credentials::RECOVERY_CODE_TTL_US;
use crate::domain::{
    AccountRecoveryCode, AccountState, AdminAction, AdminEvent, EndReason, Role, SecurityEvent,
    SecurityEventKind, hash_token, new_token,
};
use crate::error::{Error, Result};

/// A client's new recovery code, shown once.
#[derive(Debug, Clone)]
pub struct NewRecoveryCode {
    /// The code.
    pub code: String,
    /// When it stops working.
    pub expire_time_us: i64,
}

impl App {
    /// Makes a recovery code for `client_id`: its linked therapist (the
    /// access is noted in the client's access trail) or an administrator.
    pub async fn create_recovery_code(
        &self,
        principal: &Principal,
        client_id: Uuid,
    ) -> Result<NewRecoveryCode> {
        match principal.role {
            Role::Therapist => self.require(principal, Action::Read, client_id).await?,
            Role::Admin => {
                self.store
                    .account(client_id)
                    .await?
                    .filter(|a| a.role == Role::Client && a.state != AccountState::Deleted)
                    .ok_or(Error::NotFound("client"))?;
            }
            Role::Client => return Err(Error::NotFound("client")),
        }
        let (code, hash) = new_token();
        let now = self.now_micros();
        let stored = AccountRecoveryCode {
            hash,
            client_id,
            created_by: principal.account_id,
            expire_time_us: now + RECOVERY_CODE_TTL_US,
        };
        let actor = principal.account_id;
        self.store
            .write(actor, move |tx| {
                tx.put_recovery_code(&stored)?;
                let now = tx.now_micros();
                tx.append_security_event(&SecurityEvent {
                    account_id: client_id,
                    kind: SecurityEventKind::RecoveryCodeCreated,
                    time_us: now,
                    session_id: None,
                    source_address: String::new(),
                })?;
                let action = AdminAction::RecoveryCodeCreated;
                tx.append_admin_event(&AdminEvent::on_account(actor, action, client_id, now))
            })
            .await?;
        tracing::info!(%client_id, by = %actor, "recovery code made");
        Ok(NewRecoveryCode {
            code,
            expire_time_us: now + RECOVERY_CODE_TTL_US,
        })
    }

    /// Sets a new password with a recovery code, ends every other session
    /// of the client, removes their second factor, and signs this device
    /// in.
    pub async fn recover_account(
        &self,
        code: &str,
        new_password: String,
        device_label: String,
        peer: Option<IpAddr>,
    ) -> Result<SignedIn> {
        let now = self.now_micros();
        let code_hash = hash_token(code.trim());
        let code = match self.store.recovery_code(&code_hash).await? {
            None => return Err(Error::RecoveryCodeNotFound),
            Some(code) if code.expire_time_us <= now => return Err(Error::RecoveryCodeExpired),
            Some(code) => code,
        };
        let client_id = code.client_id;
        let password_hash = self.hash_password(new_password).await?;
        let (opening, secrets) = self.open_session(
            client_id,
            device_label,
            peer,
            &[
                SecurityEventKind::AccountRecovered,
                SecurityEventKind::SignedIn,
            ],
        );
        let stored = opening.clone();
        let account = self
            .store
            .write(client_id, move |tx| {
                let code = tx
                    .recovery_code(&code_hash)?
                    .ok_or(Error::RecoveryCodeNotFound)?;
                let now = tx.now_micros();
                if code.expire_time_us <= now {
                    return Err(Error::RecoveryCodeExpired);
                }
                let account = tx.account(client_id)?.ok_or(Error::RecoveryCodeNotFound)?;
                let account = super::authentication::usable(account)?;
                let mut credential = tx.credential(client_id)?.ok_or(Error::NoSignInEmail)?;
                credential.password_hash.clone_from(&password_hash);
                credential.update_time_us = now;
                tx.put_credential(&credential)?;
                tx.remove_recovery_code(&code_hash);
                tx.remove_totp_factor(client_id);
                for mut session in tx.device_sessions_of(client_id)? {
                    if session.end(EndReason::PasswordChanged, now) {
                        tx.put_device_session(&session)?;
                    }
                }
                stored.store(tx)?;
                let action = AdminAction::AccountRecovered;
                let event = AdminEvent::on_account(code.created_by, action, client_id, now);
                tx.append_admin_event(&event)?;
                Ok(account)
            })
            .await?;
        self.access_changed();
        tracing::info!(%client_id, "account recovered");
        Ok(Self::signed_in(account, opening, secrets))
    }
}
