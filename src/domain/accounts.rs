//! Accounts: who uses Stepwise, in which role, and whether they still may.

use chrono_tz::Tz;
use uuid::Uuid;

use crate::encoding::Stored;

/// What an account may do. (`Default` only serves parsers as a
/// placeholder while they collect every bad field of a request.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub enum Role {
    /// Owns goals and progress.
    #[default]
    Client = 1,
    /// Supports linked clients.
    Therapist = 2,
    /// Manages accounts and backups; reads no client data through the API.
    Admin = 3,
}

/// Whether an account may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub enum AccountState {
    /// In use.
    #[default]
    Active = 1,
    /// Stopped by an administrator: its tokens are refused, its data stays,
    /// and an administrator can enable it again.
    Disabled = 2,
    /// Erased: what is left is the receipt (its id and when); for ever.
    Deleted = 3,
}

/// A user of Stepwise.
#[derive(Debug, Clone, PartialEq, Stored)]
pub struct Account {
    /// The account's id.
    pub id: Uuid,
    /// What the account may do.
    pub role: Role,
    /// Name shown to others.
    pub display_name: String,
    /// Time zone of the account's local days.
    pub time_zone: Tz,
    /// Creation time, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// Time of the last change.
    pub update_time_us: i64,
    /// Increases on every change.
    pub version: i64,
    /// Whether it may be used; for a deleted account, `update_time_us` is
    /// when it was erased.
    pub state: AccountState,
}

impl Account {
    /// What is kept of an erased account: its id, role and times, the
    /// erasure's time as its last change; no name, the time zone UTC.
    pub fn erasure_receipt(&self, time_us: i64) -> Account {
        Account {
            id: self.id,
            role: self.role,
            display_name: String::new(),
            time_zone: chrono_tz::UTC,
            create_time_us: self.create_time_us,
            update_time_us: time_us,
            version: self.version + 1,
            state: AccountState::Deleted,
        }
    }
}
