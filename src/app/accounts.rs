//! Accounts, tokens, and the first administrator.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use uuid::Uuid;

use super::{App, Principal};
use crate::domain::{Account, AdminAction, AdminEvent, Role, new_token};
use crate::error::{Error, Result};

/// File in the data dir that receives the first administrator's token.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// A validated request for a new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Its role.
    pub role: Role,
    /// Name shown to others.
    pub display_name: String,
    /// Time zone of the account's local days.
    pub time_zone: Tz,
}

impl App {
    /// Creates an account and returns it with its token (admin only).
    pub async fn create_account(
        &self,
        principal: &Principal,
        new: NewAccount,
    ) -> Result<(Account, String)> {
        principal.require_admin()?;
        self.insert_account(new, Some(principal.account_id), |_| Ok(()))
            .await
    }

    /// The caller's own account.
    pub async fn current_account(&self, principal: &Principal) -> Result<Account> {
        self.store
            .account(principal.account_id)
            .await?
            .ok_or(Error::Unauthenticated)
    }

    /// On a store without accounts, creates an administrator and writes its
    /// token to `<data_dir>/admin.token` (mode 0600). Returns the file's path
    /// when it did so.
    pub async fn bootstrap_admin(&self, data_dir: &Path) -> Result<Option<PathBuf>> {
        if self.store.has_accounts().await? {
            return Ok(None);
        }
        let new = NewAccount {
            role: Role::Admin,
            display_name: "Administrator".into(),
            time_zone: chrono_tz::UTC,
        };
        let (account, _token) = self
            .insert_account(new, None, |token| {
                // Written before the account exists: a crash in between leaves a
                // store without accounts, and the next start tries again.
                Ok(crate::data_dir::write_secret(
                    &data_dir.join(ADMIN_TOKEN_FILE),
                    token,
                    false,
                )?)
            })
            .await?;
        tracing::info!(account_id = %account.id, "created the first administrator account");
        Ok(Some(data_dir.join(ADMIN_TOKEN_FILE)))
    }

    /// Stores a new account and returns it with its token, which
    /// `before_commit` sees first. With `created_by`, the administrator's
    /// event for the audit trail is stored with it.
    async fn insert_account(
        &self,
        new: NewAccount,
        created_by: Option<Uuid>,
        before_commit: impl FnOnce(&str) -> Result<()>,
    ) -> Result<(Account, String)> {
        let account = self.new_account(new);
        let (token, hash) = new_token();
        before_commit(&token)?;
        let audit = created_by.map(|actor_id| AdminEvent {
            actor_id,
            action: AdminAction::AccountCreated,
            target_id: account.id,
            size_bytes: 0,
            sha256: None,
            time_us: account.create_time_us,
        });
        let stored = account.clone();
        self.store
            .write(created_by.unwrap_or(account.id), move |tx| {
                if tx.account(stored.id)?.is_some() {
                    return Err(Error::AlreadyExists("account"));
                }
                tx.put_account(&stored)?;
                tx.put_token(&hash, stored.id)?;
                if let Some(event) = &audit {
                    tx.append_admin_event(event)?;
                }
                Ok(())
            })
            .await?;
        Ok((account, token))
    }

    /// A new account record with a fresh id.
    pub(super) fn new_account(&self, new: NewAccount) -> Account {
        let now = self.now_micros();
        Account {
            id: Uuid::now_v7(),
            role: new.role,
            display_name: new.display_name,
            time_zone: new.time_zone,
            create_time_us: now,
            update_time_us: now,
            version: 1,
        }
    }
}
