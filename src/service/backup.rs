//! `stepwise.v1.BackupService`: streams a snapshot of the store.

use std::pin::Pin;

use futures_util::TryStreamExt;
use tokio::io::AsyncReadExt;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::principal;
use crate::app::App;
use crate::error::Error;
use crate::pb;

/// Bytes per streamed piece.
const CHUNK: usize = 1024 * 1024;

/// Implements `BackupService` over the use cases.
pub struct BackupApi {
    app: App,
}

impl BackupApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<pb::CreateBackupResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::backup_service_server::BackupService for BackupApi {
    type CreateBackupStream = ChunkStream;

    async fn create_backup(
        &self,
        request: Request<pb::CreateBackupRequest>,
    ) -> Result<Response<Self::CreateBackupStream>, Status> {
        let principal = principal(&request)?;
        let file = tokio::fs::File::from_std(self.app.snapshot(&principal).await?);
        // Read lazily, one chunk per message: when the client goes away, the
        // stream and with it the file are dropped, and nothing keeps running.
        let chunks = futures_util::stream::try_unfold(file, |mut file| async move {
            let mut data = vec![0; CHUNK];
            let read = file.read(&mut data).await?;
            if read == 0 {
                return Ok(None);
            }
            data.truncate(read);
            Ok(Some((pb::CreateBackupResponse { data }, file)))
        })
        .map_err(|e: std::io::Error| Status::from(Error::from(e)));
        Ok(Response::new(Box::pin(chunks)))
    }
}
