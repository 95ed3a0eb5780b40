//! Downloading a backup from a running server.

use std::path::Path;

use tokio::io::AsyncWriteExt;
use tonic::transport::Channel;

use super::auth::authenticated;
use super::partial::PartialFile;
use crate::pb;
use crate::pb::backup_service_client::BackupServiceClient;
use crate::store::kv::snapshot;

/// Why a backup could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The server refused or failed.
    #[error("{}", .0.message())]
    Rpc(#[from] tonic::Status),
    /// The file could not be written, or is not a valid backup.
    #[error("{0}")]
    Invalid(#[from] crate::error::Error),
    /// Writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Streams a backup from the server into `to` with an administrator's
/// `token`; `to` is replaced only once the backup is complete and checked,
/// and is readable by its owner only (it holds every client's data,
/// sealed). Until then the backup is `<to>.partial`, removed if anything
/// fails. Returns its number of entries.
pub async fn download(channel: Channel, token: &str, to: &Path) -> Result<usize, BackupError> {
    let mut api = BackupServiceClient::new(authenticated(channel, token));
    let mut stream = api
        .create_backup(pb::CreateBackupRequest {})
        .await?
        .into_inner();
    let (partial, file) = PartialFile::create(to)?;
    let mut file = tokio::fs::File::from_std(file);
    while let Some(chunk) = stream.message().await? {
        file.write_all(&chunk.data).await?;
    }
    file.sync_all().await?;
    drop(file);
    let entries = snapshot::read(partial.path())?.len();
    partial.finish()?;
    Ok(entries)
}
