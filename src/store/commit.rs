//! Group commit: makes acknowledged writes durable without one disk flush
//! per write.
//!
//! Writers commit their sled transaction, then wait here. A single flusher
//! thread takes every waiter queued so far, flushes sled once, `fdatasync`s
//! the data file (sled's own flush uses `sync_file_range`, which leaves the
//! disk's write cache unflushed), and then answers them all. A waiter only
//! queues after its transaction committed, so the flush covers it.
//!
//! sled's `flush_async` is not used: awaited by many callers at once it
//! deadlocks on sled 0.34.7.

use std::fs::File;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::error::{Error, Result};

type Ack = oneshot::Sender<Result<(), String>>;

/// Handle to the flusher thread. Dropping it flushes what is queued and
/// joins the thread.
pub struct GroupCommit {
    queue: Option<mpsc::Sender<Ack>>,
    flusher: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the flusher for `db`, whose data file is `data_file`.
    pub fn start(db: sled::Db, data_file: &Path) -> Result<Self> {
        let file = File::open(data_file)?;
        let (queue, waiting) = mpsc::channel::<Ack>();
        let flusher = std::thread::Builder::new()
            .name("stepwise-flusher".into())
            .spawn(move || {
                while let Ok(first) = waiting.recv() {
                    let mut batch = vec![first];
                    batch.extend(waiting.try_iter());
                    let outcome = flush(&db, &file);
                    if let Err(e) = &outcome {
                        tracing::error!(error = %e, "flushing the store failed");
                    }
                    for ack in batch {
                        // A waiter that went away (cancelled call) needs no answer.
                        let _ = ack.send(outcome.clone());
                    }
                }
            })?;
        Ok(Self {
            queue: Some(queue),
            flusher: Some(flusher),
        })
    }

    /// Returns once everything committed before this call is on disk.
    pub async fn durable(&self) -> Result<()> {
        let (ack, done) = oneshot::channel();
        let queue = self
            .queue
            .as_ref()
            .ok_or_else(|| Error::internal("store is closed"))?;
        queue
            .send(ack)
            .map_err(|_| Error::internal("flusher thread has stopped"))?;
        done.await
            .map_err(|_| Error::internal("flusher thread has stopped"))?
            .map_err(Error::internal)
    }
}

fn flush(db: &sled::Db, file: &File) -> Result<(), String> {
    db.flush().map_err(|e| e.to_string())?;
    file.sync_data().map_err(|e| e.to_string())
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}
