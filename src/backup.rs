//! `stepwise backup` and `stepwise restore`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use tokio::io::AsyncWriteExt;
use tonic::transport::Channel;

use crate::client::authenticated;
use crate::pb;
use crate::pb::backup_service_client::BackupServiceClient;
use crate::store::backup::{read_snapshot, restore};

/// Settings of `stepwise backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupConfig {
    /// File to write the backup to (replaced only once the backup is
    /// complete and checked).
    #[arg(long)]
    pub to: PathBuf,
    /// Address of the running server.
    #[arg(long, env = "STEPWISE_SERVER", default_value = "127.0.0.1:50051")]
    pub server: SocketAddr,
    /// An administrator's token.
    #[arg(long, env = "STEPWISE_ADMIN_TOKEN")]
    pub admin_token: String,
}

/// Settings of `stepwise restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreConfig {
    /// The backup file.
    #[arg(long)]
    pub from: PathBuf,
    /// New (or empty) data dir to rebuild the store in.
    #[arg(long)]
    pub data_dir: PathBuf,
}

/// Errors of backup and restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Connecting failed.
    #[error("cannot connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    /// The server refused or failed.
    #[error("{}", .0.message())]
    Rpc(#[from] tonic::Status),
    /// Reading or writing a file failed, or the backup is not valid.
    #[error("{0}")]
    Store(#[from] crate::error::Error),
    /// Writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Streams a backup from the server into `config.to`; returns its entries.
pub async fn backup(config: &BackupConfig) -> Result<usize, BackupError> {
    let channel = Channel::from_shared(format!("http://{}", config.server))
        .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?
        .connect()
        .await?;
    let mut api = BackupServiceClient::new(authenticated(channel, &config.admin_token));
    let mut stream = api
        .create_backup(pb::CreateBackupRequest {})
        .await?
        .into_inner();
    let partial = config.to.with_extension("partial");
    let mut file = tokio::fs::File::create(&partial).await?;
    while let Some(chunk) = stream.message().await? {
        file.write_all(&chunk.data).await?;
    }
    file.sync_all().await?;
    drop(file);
    let entries = read_snapshot(&partial)?.len();
    tokio::fs::rename(&partial, &config.to).await?;
    Ok(entries)
}

/// Rebuilds a store from a backup file; returns its entries.
pub fn restore_store(config: &RestoreConfig) -> Result<u64, BackupError> {
    Ok(restore(&config.from, &config.data_dir)?)
}
