//! Who is calling, what each role may do to a client's data, and what every
//! call must do before its answer leaves.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::domain::{
    AccessEvent, Account, AccountState, RevokeReason, Role, Token, TokenState, hash_token,
};
use crate::error::{Credentials, Error, Result};

/// The authenticated caller of an RPC.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Account id.
    pub account_id: Uuid,
    /// The account's role.
    pub role: Role,
    /// SHA-256 of the token the call came with, so that streams can check
    /// that it still works.
    token_hash: Option<[u8; 32]>,
    /// Clients whose data this call accessed as their therapist, for the
    /// audit trail (shared by the clones of one call's principal).
    accessed: Arc<Mutex<BTreeSet<Uuid>>>,
}

/// What a call does to a client's data; each role may do some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the client's records.
    Read,
    /// Create or edit goals, action steps and coping skills (the care
    /// plan).
    Plan,
    /// Log check-ins and skill practices, record ratings, answer
    /// questionnaires, write thought records, delete records: the client's
    /// own acts.
    Own,
    /// Comment on records and rate goal attainment: what both sides of the
    /// care team do between sessions.
    Feedback,
}

impl Principal {
    /// The principal of an account.
    pub fn of(account: &Account) -> Self {
        Self {
            account_id: account.id,
            role: account.role,
            token_hash: None,
            accessed: Arc::default(),
        }
    }

    /// The principal of an account that called with the token hashing to
    /// `token_hash`.
    pub fn with_token(account: &Account, token_hash: [u8; 32]) -> Self {
        Self {
            token_hash: Some(token_hash),
            ..Self::of(account)
        }
    }

    /// SHA-256 of the token the call came with.
    pub fn token_hash(&self) -> Option<&[u8; 32]> {
        self.token_hash.as_ref()
    }

    /// Whether the caller is the client `client_id` itself.
    pub fn is_client(&self, client_id: Uuid) -> bool {
        self.role == Role::Client && self.account_id == client_id
    }

    /// Records that this call accessed `client_id`'s data as its therapist.
    pub fn note_access(&self, client_id: Uuid) {
        if let Ok(mut accessed) = self.accessed.lock() {
            accessed.insert(client_id);
        }
    }

    /// The clients this call accessed as their therapist.
    pub fn accessed(&self) -> Vec<Uuid> {
        self.accessed
            .lock()
            .map(|a| a.iter().copied().collect())
            .unwrap_or_default()
    }

    /// `PERMISSION_DENIED` unless the caller's role may ever do `action`.
    pub fn permit(&self, action: Action) -> Result<()> {
        match (self.role, action) {
            (Role::Client, _)
            | (Role::Therapist, Action::Read | Action::Plan | Action::Feedback) => Ok(()),
            (Role::Therapist, Action::Own) => Err(Error::PermissionDenied(
                "only the client can log check-ins and skill practices, record ratings, answer \
                 questionnaires, write thought records or delete records",
            )),
            (Role::Admin, _) => Err(Error::PermissionDenied(
                "administrator accounts manage accounts and cannot access client data",
            )),
        }
    }

    /// `PERMISSION_DENIED` unless the caller is an administrator.
    pub fn require_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::PermissionDenied("only administrators can do this"))
        }
    }

    /// `PERMISSION_DENIED` unless the caller is a therapist.
    pub fn require_therapist(&self, what: &'static str) -> Result<()> {
        if self.role == Role::Therapist {
            Ok(())
        } else {
            Err(Error::PermissionDenied(what))
        }
    }
}

impl super::App {
    /// The principal of the holder of `token`; `UNAUTHENTICATED` with a
    /// token the server does not know, and with its own reason for a
    /// revoked or expired token or a disabled or deleted account. A use of
    /// the token is recorded, coarsely (`App::note_use`).
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let hash = hash_token(token);
        let token = self
            .store
            .token(&hash)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
        let account = self.usable_account(&token).await?;
        self.note_use(&token).await;
        Ok(Principal::with_token(&account, hash))
    }

    /// `Ok` while the caller's token and account still work: streams check
    /// before each delivery and heartbeat, and whenever a token or an
    /// account changed ([`App::access_changed`]).
    pub(super) async fn still_authenticated(&self, principal: &Principal) -> Result<()> {
        match principal.token_hash() {
            Some(hash) => {
                let token = self
                    .store
                    .token(hash)
                    .await?
                    .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
                self.usable_account(&token).await.map(drop)
            }
            None => {
                let account = self
                    .store
                    .account(principal.account_id)
                    .await?
                    .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
                usable(account).map(drop)
            }
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
        let account = self
            .store
            .account(token.account_id)
            .await?
            .ok_or(Error::Unauthenticated(Credentials::Unknown))?;
        usable(account)
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
fn usable(account: Account) -> Result<Account> {
    match account.state {
        AccountState::Active => Ok(account),
        AccountState::Disabled => Err(Error::AccountDisabled),
        AccountState::Deleted => Err(Error::AccountDeleted),
    }
}
