//! Why a command failed: one error for the commands that talk to a
//! server or restore a backup.

use stepwise::client::{ConnectError, backup::BackupError, export::ExportError};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The settings cannot be used (no token, an unreadable file, ...).
    #[error("{0}")]
    Config(String),
    /// Connecting failed.
    #[error("{0}")]
    Connect(#[from] ConnectError),
    /// The backup failed.
    #[error("{0}")]
    Backup(#[from] BackupError),
    /// The export failed.
    #[error("{0}")]
    Export(#[from] ExportError),
    /// The server refused a call (the demo's).
    #[error("the server refused a call: {}", .0.message())]
    Call(#[from] tonic::Status),
    /// The restore failed. Its causes are printed: unlike a caller of the
    /// API, whoever runs the command may see them (a missing file, a full
    /// disk).
    #[error("{}", stepwise::error::with_causes(.0))]
    Restore(#[from] stepwise::error::Error),
}
