//! The audit trail of administrators: backups and accounts they create.

use prost::{Enumeration, Message};

/// What an administrator did. Numbers match the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum AdminAction {
    /// Not set.
    Unspecified = 0,
    /// Took a backup: a copy of everything, clients' records included.
    BackupCreated = 1,
    /// Created an account.
    AccountCreated = 2,
}

/// One thing an administrator did.
#[derive(Clone, PartialEq, Eq, Message)]
pub struct AdminEvent {
    /// The administrator.
    #[prost(string, tag = "1")]
    pub actor_id: String,
    /// What they did.
    #[prost(enumeration = "AdminAction", tag = "2")]
    pub action: i32,
    /// The backup's id, or the new account's.
    #[prost(string, tag = "3")]
    pub target_id: String,
    /// Size of the backup file in bytes (0 for other actions).
    #[prost(int64, tag = "4")]
    pub size_bytes: i64,
    /// SHA-256 of the whole backup file (empty for other actions).
    #[prost(bytes = "vec", tag = "5")]
    pub sha256: Vec<u8>,
    /// When, microseconds since the Unix epoch.
    #[prost(int64, tag = "6")]
    pub time_us: i64,
}
