//! Accounts: making them, the profile, administrators' list, disabling
//! and enabling, and the first administrator.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use uuid::Uuid;

use super::{App, Principal};
use crate::domain::{Account, AccountState, AdminAction, AdminEvent, Role, Token};
use crate::error::{Credentials, Error, Result};
use crate::store::{Page, PageRequest};

/// File in the data dir that receives the first administrator's token.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// Label of the token an account is made with.
const FIRST_TOKEN_LABEL: &str = "first token";

/// A validated change of the caller's profile: the fields to set.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new time zone.
    pub time_zone: Option<Tz>,
}

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
        self.insert_account(new, Some(principal.account_id), FIRST_TOKEN_LABEL, |_| {
            Ok(())
        })
        .await?
        .ok_or_else(|| Error::internal("an account an administrator created was not stored"))
    }

    /// The caller's own account.
    pub async fn current_account(&self, principal: &Principal) -> Result<Account> {
        self.store
            .account(principal.account_id)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))
    }

    /// On a store without accounts, creates an administrator and writes its
    /// token to `<data_dir>/admin.token` (mode 0600). Returns the file's path
    /// when it did so. Of several servers starting at once on one new
    /// database, one makes the administrator; the others find it.
    pub async fn bootstrap_admin(&self, data_dir: &Path) -> Result<Option<PathBuf>> {
        if self.store.has_accounts().await? {
            return Ok(None);
        }
        crate::async_fail_point!("accounts::bootstrap");
        let new = NewAccount {
            role: Role::Admin,
            display_name: "Administrator".into(),
            time_zone: chrono_tz::UTC,
        };
        let path = data_dir.join(ADMIN_TOKEN_FILE);
        let made = self
            .insert_account(new, None, ADMIN_TOKEN_FILE, |token| {
                // Written before the account exists: a crash in between leaves a
                // store without accounts, and the next start tries again.
                Ok(crate::data_dir::write_secret(&path, token, false)?)
            })
            .await?;
        match made {
            Some((account, _token)) => {
                tracing::info!(account_id = %account.id, "created the first administrator account");
                Ok(Some(path))
            }
            None => {
                // Another server on the same database was first: the token
                // written for this one's would open nothing.
                std::fs::remove_file(&path)?;
                tracing::info!("another server created the first administrator account");
                Ok(None)
            }
        }
    }

    /// Stores a new account and returns it with the secret of its first
    /// token (labelled `label`), which `before_commit` sees first. With
    /// `created_by`, the administrator's event for the audit trail is stored
    /// with it. Without, the account is the store's first, and is stored
    /// only if the store still has none when the write runs (`None`
    /// otherwise).
    async fn insert_account(
        &self,
        new: NewAccount,
        created_by: Option<Uuid>,
        label: &str,
        before_commit: impl FnOnce(&str) -> Result<()>,
    ) -> Result<Option<(Account, String)>> {
        let account = self.new_account(new);
        let (token, secret) = Token::new(account.id, label.into(), account.create_time_us, None);
        before_commit(&secret)?;
        let audit = created_by.map(|actor_id| {
            let (action, time_us) = (AdminAction::AccountCreated, account.create_time_us);
            AdminEvent::on_account(actor_id, action, account.id, time_us)
        });
        let stored = account.clone();
        let first = created_by.is_none();
        let inserted = self
            .store
            .write(created_by.unwrap_or(account.id), move |tx| {
                if first && tx.has_accounts()? {
                    return Ok(false);
                }
                if tx.account(stored.id)?.is_some() {
                    return Err(Error::AlreadyExists("account"));
                }
                tx.put_account(&stored)?;
                tx.put_token(&token)?;
                if let Some(event) = &audit {
                    tx.append_admin_event(event)?;
                }
                Ok(true)
            })
            .await?;
        Ok(inserted.then_some((account, secret)))
    }

    /// The first token of a new account, for sign-up.
    pub(super) fn first_token(&self, account: &Account) -> (Token, String) {
        Token::new(
            account.id,
            FIRST_TOKEN_LABEL.into(),
            account.create_time_us,
            None,
        )
    }

    /// Changes the caller's display name or time zone, if `version` is 0 or
    /// current.
    pub async fn update_current_account(
        &self,
        principal: &Principal,
        version: i64,
        change: AccountChange,
    ) -> Result<Account> {
        self.store
            .write(principal.account_id, move |tx| {
                let mut account = tx
                    .account(tx.actor())?
                    .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
                if version != 0 && version != account.version {
                    return Err(Error::VersionMismatch {
                        what: "account",
                        expected: version,
                        current: account.version,
                    });
                }
                if let Some(name) = &change.display_name {
                    account.display_name.clone_from(name);
                }
                if let Some(zone) = change.time_zone {
                    account.time_zone = zone;
                }
                account.version += 1;
                account.update_time_us = tx.now_micros();
                tx.put_account(&account)?;
                Ok(account)
            })
            .await
    }

    /// Every account, oldest first. Administrators only.
    pub async fn list_accounts(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<Account>> {
        principal.require_admin()?;
        self.store.accounts(page).await
    }

    /// Disables (`enabled` false) or enables an account, with an event in
    /// the administrators' audit trail when its state changes.
    /// Administrators only, and not for their own account.
    pub async fn set_account_enabled(
        &self,
        principal: &Principal,
        id: Uuid,
        enabled: bool,
    ) -> Result<Account> {
        principal.require_admin()?;
        if id == principal.account_id {
            return Err(Error::OwnAccount);
        }
        let (wanted, action) = if enabled {
            (AccountState::Active, AdminAction::AccountEnabled)
        } else {
            (AccountState::Disabled, AdminAction::AccountDisabled)
        };
        let actor = principal.account_id;
        let account = self
            .store
            .write(actor, move |tx| {
                let mut account = tx.account(id)?.ok_or(Error::NotFound("account"))?;
                match account.state {
                    AccountState::Deleted => return Err(Error::AlreadyDeleted),
                    state if state == wanted => return Ok(account),
                    _ => {}
                }
                account.state = wanted;
                account.version += 1;
                account.update_time_us = tx.now_micros();
                tx.put_account(&account)?;
                tx.append_admin_event(&AdminEvent::on_account(
                    actor,
                    action,
                    id,
                    account.update_time_us,
                ))?;
                Ok(account)
            })
            .await?;
        self.access_changed();
        tracing::info!(account_id = %id, by = %actor, ?action, "account state set");
        Ok(account)
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
            state: AccountState::Active,
        }
    }
}
