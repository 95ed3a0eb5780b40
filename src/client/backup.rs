//! Downloading a backup from a running server.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tokio::io::AsyncWriteExt;
use tonic::transport::Channel;

use super::authenticated;
use crate::data_dir::{FILE_MODE, ScratchFile};
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
    let partial = partial_of(to);
    let mut options = tokio::fs::OpenOptions::new();
    options
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE);
    let mut file = options.open(partial.path()).await?;
    // `mode` applies only to a new file; tighten one a crash left too.
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
        .await?;
    while let Some(chunk) = stream.message().await? {
        file.write_all(&chunk.data).await?;
    }
    file.sync_all().await?;
    drop(file);
    let entries = snapshot::read(partial.path())?.len();
    tokio::fs::rename(partial.path(), to).await?;
    if let Some(dir) = to.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(entries)
}

/// The file a backup into `to` is written to until it is complete: next to
/// it, removed when dropped unless it was renamed.
fn partial_of(to: &Path) -> ScratchFile {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let dir = to.parent().unwrap_or(Path::new(""));
    ScratchFile::new(dir, name)
}
