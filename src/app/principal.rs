//! Who is calling and what each role may do to a client's data.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::domain::{Account, Role};
use crate::error::{Error, Result};

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
    /// The device session of the call's access token, if it came with one
    /// (not with a personal access token).
    session_id: Option<Uuid>,
    /// Whether the account has a second factor: therapists read no client
    /// data without one.
    second_factor: bool,
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
            session_id: None,
            second_factor: false,
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

    /// The principal of an account that called with an access token of
    /// the device session `session_id`.
    pub fn with_session(account: &Account, token_hash: [u8; 32], session_id: Uuid) -> Self {
        Self {
            session_id: Some(session_id),
            ..Self::with_token(account, token_hash)
        }
    }

    /// The same principal, whose account has a second factor (`true`) or
    /// not.
    pub fn with_second_factor(self, second_factor: bool) -> Self {
        Self {
            second_factor,
            ..self
        }
    }

    /// `FAILED_PRECONDITION` (`SECOND_FACTOR_REQUIRED`) for a therapist or
    /// an administrator whose account has no second factor.
    pub fn require_second_factor(&self) -> Result<()> {
        if self.role == Role::Client || self.second_factor {
            Ok(())
        } else {
            Err(Error::SecondFactorRequired)
        }
    }

    /// The device session the call came from, if it came with an access
    /// token.
    pub fn session_id(&self) -> Option<Uuid> {
        self.session_id
    }

    /// SHA-256 of the token the call came with.
    pub fn token_hash(&self) -> Option<&[u8; 32]> {
        self.token_hash.as_ref()
    }

    /// Whether the caller is the client `client_id` itself.
    pub fn is_client(&self, client_id: Uuid) -> bool {
        self.role == Role::Client && self.account_id == client_id
    }

    /// Records that this call accessed `client_id`'s data as its therapist;
    /// `SECOND_FACTOR_REQUIRED` for a caller without a second factor, who
    /// may not.
    pub fn note_access(&self, client_id: Uuid) -> Result<()> {
        self.require_second_factor()?;
        if let Ok(mut accessed) = self.accessed.lock() {
            accessed.insert(client_id);
        }
        Ok(())
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
