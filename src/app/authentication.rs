//! Who is calling, checked: the holder of a bearer token, again while a
//! stream runs, and what every call must do before its answer leaves.

use uuid::Uuid;

use super::{App, Principal};
use crate::domain::{
    AccessEvent, Account, AccountState, RevokeReason, Role, Token, TokenState, hash_token,
};
use crate::error::{Credentials, Error, Result};

impl App {
    /// The principal of the holder of `token`; `UNAUTHENTICATED` with a
    /// token the server does not know, and with its own reason for a
    /// revoked or expired token or a disabled or deleted account. A use of
    /// the token is recorded, coarsely (`App::note_use`).
    ///
    /// The token is a personal access token (`AccountService.CreateToken`,
    /// and the tokens of before device sessions) or a device session's
    /// access token, which works until its expiry while its session lasts.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let hash = hash_token(token);
        if let Some(token) = self.store.token(&hash).await? {
            let account = self.usable_account(&token).await?;
            self.note_use(&token).await;
            let principal = Principal::with_token(&account, hash);
            return self.with_second_factor(principal).await;
        }
        let access = self
            .store
            .access_token(&hash)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
        if access.expire_time_us <= self.now_micros() {
            return Err(Error::AccessTokenExpired);
        }
        let account = self
            .session_account(access.session_id, access.account_id)
            .await?;
        let principal = Principal::with_session(&account, hash, access.session_id);
        self.with_second_factor(principal).await
    }

    /// The principal, knowing whether its account has a second factor
    /// (asked only for the roles that need one to read clients' data).
    async fn with_second_factor(&self, principal: Principal) -> Result<Principal> {
        let has = match principal.role {
            Role::Client => false,
            Role::Therapist | Role::Admin => {
                self.store.has_second_factor(principal.account_id).await?
            }
        };
        Ok(principal.with_second_factor(has))
    }

    /// The account `account_id` of the device session `session_id`, while
    /// both work. (A deleted account's sessions are erased: its calls learn
    /// that the account was deleted.)
    async fn session_account(&self, session_id: Uuid, account_id: Uuid) -> Result<Account> {
        match self.store.device_session(session_id).await? {
            Some(session) if !session.is_active() => Err(Error::SessionEnded),
            Some(_) => self.usable_account_by_id(account_id).await,
            None => self
                .usable_account_by_id(account_id)
                .await
                .and(Err(Error::Unauthenticated(Credentials::Unknown))),
        }
    }

    /// The account with `id`, unless it is disabled, deleted or unknown.
    pub(super) async fn usable_account_by_id(&self, id: Uuid) -> Result<Account> {
        let account = self
            .store
            .account(id)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
        usable(account)
    }

    /// `Ok` while the caller's token and account still work: streams check
    /// before each delivery and heartbeat, and whenever a token or an
    /// account changed ([`App::access_changed`]). A stream opened with an
    /// access token lasts as long as its device session, not the token.
    pub(super) async fn still_authenticated(&self, principal: &Principal) -> Result<()> {
        if let Some(session_id) = principal.session_id() {
            return self
                .session_account(session_id, principal.account_id)
                .await
                .map(drop);
        }
        match principal.token_hash() {
            Some(hash) => {
                let token = self
                    .store
                    .token(hash)
                    .await?
                    .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
                self.usable_account(&token).await.map(drop)
            }
            None => self
                .usable_account_by_id(principal.account_id)
                .await
                .map(drop),
        }
    }

    /// The account of `token`, if the token works now.
    async fn usable_account(&self, token: &Token) -> Result<Account> {
        match token.state(self.now_micros()) {
            TokenState::Active => {}
            TokenState::Expired => return Err(Error::TokenExpired),
            TokenState::Revoked => {
                return Err(match token.revoked.map(|r| r.reason) {
                    Some(RevokeReason::AccountDeleted) => Error::AccountDeleted,
                    _ => Error::TokenRevoked,
                });
            }
        }
        self.usable_account_by_id(token.account_id).await
    }

    /// Finishes a call of `method` (its full gRPC name) after its handler
    /// ran, before the answer leaves: an error here replaces the answer.
    ///
    /// - Every client whose data the call read must still be linked to the
    ///   calling therapist now, after the read: if one revoked meanwhile,
    ///   what was read may hold changes made after the revocation, and none
    ///   of it may leave (`ACCESS_REVOKED`).
    /// - Each such client gets an access event in the audit trail, durably;
    ///   if it cannot be written, the caller gets an error, not the data.
    pub async fn finish_call(&self, principal: &Principal, method: &str) -> Result<()> {
        let accessed = principal.accessed();
        if accessed.is_empty() {
            return Ok(());
        }
        for client_id in &accessed {
            if !self
                .store
                .link_active(principal.account_id, *client_id)
                .await?
            {
                return Err(Error::AccessRevoked);
            }
        }
        let time_us = self.now_micros();
        let events: Vec<AccessEvent> = accessed
            .into_iter()
            .map(|client_id| AccessEvent {
                therapist_id: principal.account_id,
                client_id,
                method: method.to_owned(),
                time_us,
            })
            .collect();
        self.append_access_events(principal, events).await
    }

    /// Appends access events to the audit trail, durably.
    pub(super) async fn append_access_events(
        &self,
        principal: &Principal,
        events: Vec<AccessEvent>,
    ) -> Result<()> {
        self.store
            .write(principal.account_id, move |tx| {
                tx.append_access_events(&events)
            })
            .await
    }
}

/// The account, unless it is disabled or deleted.
pub(super) fn usable(account: Account) -> Result<Account> {
    match account.state {
        AccountState::Active => Ok(account),
        AccountState::Disabled => Err(Error::AccountDisabled),
        AccountState::Deleted => Err(Error::AccountDeleted),
    }
}
