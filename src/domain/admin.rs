//! The audit trail of administrators: backups and accounts they create.

use uuid::Uuid;

/// What an administrator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// Took a backup: a copy of everything, clients' records included.
    BackupCreated,
    /// Created an account.
    AccountCreated,
}

/// One thing an administrator did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminEvent {
    /// The administrator.
    pub actor_id: Uuid,
    /// What they did.
    pub action: AdminAction,
    /// The backup's id, or the new account's.
    pub target_id: Uuid,
    /// Size of the backup file in bytes (0 for other actions).
    pub size_bytes: u64,
    /// SHA-256 of the whole backup file (for other actions, none).
    pub sha256: Option<[u8; 32]>,
    /// When, microseconds since the Unix epoch.
    pub time_us: i64,
}
