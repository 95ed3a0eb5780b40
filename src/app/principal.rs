//! Who is calling, and what each role may do to a client's data.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::domain::{AccessEvent, Account, Role};
use crate::error::{Error, Result};

/// The authenticated caller of an RPC.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Account id.
    pub account_id: String,
    /// The account's role.
    pub role: Role,
    /// Clients whose data this call accessed as their therapist, for the
    /// audit trail (shared by the clones of one call's principal).
    accessed: Arc<Mutex<BTreeSet<String>>>,
}

/// What a call does to a client's data; each role may do some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read goals, steps, check-ins and ratings.
    Read,
    /// Create or edit goals and action steps (the care plan).
    Plan,
    /// Log check-ins, record ratings, delete records: the client's own acts.
    Own,
}

impl Principal {
    /// The principal of an account.
    pub fn of(account: &Account) -> Self {
        Self {
            account_id: account.id.clone(),
            role: account.role(),
            accessed: Arc::default(),
        }
    }

    /// Whether the caller is the client `client_id` itself.
    pub fn is_client(&self, client_id: &str) -> bool {
        self.role == Role::Client && self.account_id == client_id
    }

    /// Records that this call accessed `client_id`'s data as its therapist.
    pub fn note_access(&self, client_id: &str) {
        if let Ok(mut accessed) = self.accessed.lock() {
            accessed.insert(client_id.to_owned());
        }
    }

    /// The clients this call accessed as their therapist.
    pub fn accessed(&self) -> Vec<String> {
        self.accessed
            .lock()
            .map(|a| a.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// `PERMISSION_DENIED` unless the caller's role may ever do `action`.
    pub fn permit(&self, action: Action) -> Result<()> {
        match (self.role, action) {
            (Role::Client, _) | (Role::Therapist, Action::Read | Action::Plan) => Ok(()),
            (Role::Therapist, Action::Own) => Err(Error::PermissionDenied(
                "only the client can log check-ins, record ratings or delete records",
            )),
            (Role::Admin | Role::Unspecified, _) => Err(Error::PermissionDenied(
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
}

impl super::App {
    /// The principal of the holder of `token`; `UNAUTHENTICATED` without a
    /// token or with one the server does not know.
    pub fn authenticate(&self, token: Option<&str>) -> Result<Principal> {
        let token = token.ok_or(Error::Unauthenticated)?;
        let account = self
            .store
            .account_by_token_hash(&crate::domain::hash_token(token))?
            .ok_or(Error::Unauthenticated)?;
        Ok(Principal::of(&account))
    }

    /// Finishes a call of `method` (its full gRPC name) after its handler
    /// ran, before the answer leaves: an error here replaces the answer.
    ///
    /// - No answer carries state that is not on disk: a crash could undo
    ///   it, and a later change would reuse its version.
    /// - Every client whose data the call read must still be linked to the
    ///   calling therapist now, after the read: if one revoked meanwhile,
    ///   what was read may hold changes made after the revocation, and none
    ///   of it may leave (`ACCESS_REVOKED`).
    /// - Each such client gets an access event in the audit trail, durably;
    ///   if it cannot be written, the caller gets an error, not the data.
    pub async fn finish_call(&self, principal: &Principal, method: &str) -> Result<()> {
        self.store.durable().await?;
        let accessed = principal.accessed();
        if accessed.is_empty() {
            return Ok(());
        }
        for client_id in &accessed {
            if !self.link_active(&principal.account_id, client_id)? {
                return Err(Error::AccessRevoked);
            }
        }
        let time_us = self.now_micros();
        let events: Vec<AccessEvent> = accessed
            .into_iter()
            .map(|client_id| AccessEvent {
                therapist_id: principal.account_id.clone(),
                client_id,
                method: method.to_owned(),
                time_us,
            })
            .collect();
        self.store.append_access_events(&events).await
    }
}
