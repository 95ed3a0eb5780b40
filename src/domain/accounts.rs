//! Accounts: who uses Stepwise, and in which role.

use chrono_tz::Tz;
use uuid::Uuid;

/// What an account may do. (`Default` only serves parsers as a
/// placeholder while they collect every bad field of a request.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Owns goals and progress.
    #[default]
    Client,
    /// Supports linked clients.
    Therapist,
    /// Manages accounts and backups; reads no client data through the API.
    Admin,
}

/// A user of Stepwise.
#[derive(Debug, Clone, PartialEq)]
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
}
