//! Accounts: making them, the profile, administrators' list, disabling
//! and enabling, and the first administrator.

use chrono_tz::Tz;
use uuid::Uuid;

use super::{App, PageRequest, Principal};
use crate::domain::credentials::SETUP_CODE_TTL_US;
use crate::domain::{
    Account, AccountState, AdminAction, AdminEvent, Role, SetupCode, Token, new_token,
};
use crate::error::{Credentials, Error, Result};
use crate::store::Page;

/// Label of the first administrator's token: the name of the file the
/// server keeps it in (`crate::data_dir::ADMIN_TOKEN_FILE`), so the list of
/// tokens tells where it went.
const FIRST_ADMIN_TOKEN_LABEL: &str = "admin.token";

/// The first administrator of a store without accounts, made but not
/// stored yet (see [`App::first_admin`]).
pub struct FirstAdmin {
    account: Account,
    token: Token,
    secret: String,
}

impl FirstAdmin {
    /// The secret of its token, to be kept where the operator finds it
    /// before [`App::store_first_admin`] stores the account.
    pub fn token(&self) -> &str {
        &self.secret
    }
}

/// A new account's one-time setup code, shown once.
#[derive(Debug, Clone)]
pub struct NewSetupCode {
    /// The code.
    pub code: String,
    /// When it stops working.
    pub expire_time_us: i64,
}

/// What a new account is first opened with.
#[derive(Debug, Clone)]
enum Opener {
    /// The first administrator's token.
    Token(Token),
    /// A setup code for the account's holder.
    SetupCode(SetupCode),
}

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
    /// Creates an account and returns it with its setup code, with which
    /// its holder sets an email and a password (admin only).
    pub async fn create_account(
        &self,
        principal: &Principal,
        new: NewAccount,
    ) -> Result<(Account, NewSetupCode)> {
        principal.require_admin()?;
        let account = self.new_account(new);
        let (code, hash) = new_token();
        let expire_time_us = account.create_time_us + SETUP_CODE_TTL_US;
        let opener = Opener::SetupCode(SetupCode {
            hash,
            account_id: account.id,
            expire_time_us,
        });
        match self
            .insert_account(&account, opener, Some(principal.account_id))
            .await?
        {
            true => Ok((
                account,
                NewSetupCode {
                    code,
                    expire_time_us,
                },
            )),
            false => Err(Error::internal(
                "an account an administrator created was not stored",
            )),
        }
    }

    /// The caller's own account.
    pub async fn current_account(&self, principal: &Principal) -> Result<Account> {
        self.store
            .account(principal.account_id)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))
    }

    /// On a store without accounts, a new administrator, to be stored with
    /// [`App::store_first_admin`] once its token is kept; `None` when the
    /// store has accounts.
    ///
    /// Made in two steps so that the token is kept before the account
    /// exists: a crash in between leaves a store without accounts, and the
    /// next start tries again, rather than an administrator whose token
    /// nobody has.
    pub async fn first_admin(&self) -> Result<Option<FirstAdmin>> {
        if self.store.has_accounts().await? {
            return Ok(None);
        }
        crate::async_fail_point!("accounts::bootstrap");
        let account = self.new_account(NewAccount {
            role: Role::Admin,
            display_name: "Administrator".into(),
            time_zone: chrono_tz::UTC,
        });
        let label = FIRST_ADMIN_TOKEN_LABEL.into();
        let (token, secret) = Token::new(account.id, label, account.create_time_us, None);
        Ok(Some(FirstAdmin {
            account,
            token,
            secret,
        }))
    }

    /// Stores the first administrator unless the store has accounts by
    /// now, and returns whether it did: of several servers starting at once
    /// on one new database, one makes the administrator; the others find
    /// it (and the token they kept opens nothing).
    pub async fn store_first_admin(&self, first: FirstAdmin) -> Result<bool> {
        let FirstAdmin { account, token, .. } = first;
        let made = self
            .insert_account(&account, Opener::Token(token), None)
            .await?;
        if made {
            tracing::info!(account_id = %account.id, "created the first administrator account");
        } else {
            tracing::info!("another server created the first administrator account");
        }
        Ok(made)
    }

    /// Stores a new account with its first token or setup code, and
    /// returns whether it did. With `created_by`, the administrator's event for the audit
    /// trail is stored with it. Without, the account is the store's first,
    /// and is stored only if the store still has none when the write runs.
    async fn insert_account(
        &self,
        account: &Account,
        opener: Opener,
        created_by: Option<Uuid>,
    ) -> Result<bool> {
        let audit = created_by.map(|actor_id| {
            let (action, time_us) = (AdminAction::AccountCreated, account.create_time_us);
            AdminEvent::on_account(actor_id, action, account.id, time_us)
        });
        let stored = account.clone();
        let first = created_by.is_none();
        self.store
            .write(created_by.unwrap_or(account.id), move |tx| {
                if first && tx.has_accounts()? {
                    return Ok(false);
                }
                if tx.account(stored.id)?.is_some() {
                    return Err(Error::AlreadyExists("account"));
                }
                tx.put_account(&stored)?;
                match &opener {
                    Opener::Token(token) => tx.put_token(token)?,
                    Opener::SetupCode(code) => tx.put_setup_code(code)?,
                }
                if let Some(event) = &audit {
                    tx.append_admin_event(event)?;
                }
                Ok(true)
            })
            .await
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
        self.store.accounts(page.into()).await
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
