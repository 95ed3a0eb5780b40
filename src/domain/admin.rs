//! The audit trail of administrators: backups, and the accounts they
//! create, disable, enable and delete.

use uuid::Uuid;

use crate::encoding::Stored;

/// What an administrator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub enum AdminAction {
    /// Took a backup: a copy of everything, clients' records included.
    BackupCreated = 1,
    /// Created an account.
    AccountCreated = 2,
    /// Disabled an account.
    AccountDisabled = 3,
    /// Enabled a disabled account again.
    AccountEnabled = 4,
    /// Deleted (erased) a client's account.
    AccountDeleted = 5,
    /// Made a recovery code for a client (a therapist or an
    /// administrator).
    RecoveryCodeCreated = 6,
    /// A client used the recovery code the actor made.
    AccountRecovered = 7,
}

/// One thing an administrator did.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct AdminEvent {
    /// The administrator.
    pub actor_id: Uuid,
    /// What they did.
    pub action: AdminAction,
    /// The backup's id, or the account's.
    pub target_id: Uuid,
    /// Size of the backup file in bytes (0 for other actions).
    pub size_bytes: u64,
    /// SHA-256 of the whole backup file (for other actions, none).
    pub sha256: Option<[u8; 32]>,
    /// When, microseconds since the Unix epoch.
    pub time_us: i64,
}

impl AdminEvent {
    /// An administrator's `action` on the account `account_id`.
    pub fn on_account(actor_id: Uuid, action: AdminAction, account_id: Uuid, time_us: i64) -> Self {
        Self {
            actor_id,
            action,
            target_id: account_id,
            size_bytes: 0,
            sha256: None,
            time_us,
        }
    }
}
