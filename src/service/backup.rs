//! `stepwise.v1.BackupService`: streams a snapshot of the store.

use std::pin::Pin;

use tokio::io::AsyncReadExt;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::app::App;
use crate::auth::principal;
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
        let path = self.app.snapshot(&principal).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let outcome = async {
                let mut file = tokio::fs::File::open(&path).await?;
                loop {
                    let mut data = vec![0; CHUNK];
                    let read = file.read(&mut data).await?;
                    if read == 0 {
                        return Ok::<(), std::io::Error>(());
                    }
                    data.truncate(read);
                    if sender
                        .send(Ok(pb::CreateBackupResponse { data }))
                        .await
                        .is_err()
                    {
                        return Ok(());
                    }
                }
            }
            .await;
            if let Err(e) = outcome {
                let status: Status = crate::error::Error::from(e).into();
                let _ = sender.send(Err(status)).await;
            }
            let _ = tokio::fs::remove_file(&path).await;
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }
}
