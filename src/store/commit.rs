//! Group commit: makes acknowledged writes durable without one disk flush
//! per write.
//!
//! Writers commit their sled transaction, then wait here. A single flusher
//! thread takes every waiter queued so far, flushes sled once, `fdatasync`s
//! the data file (sled's own flush uses `sync_file_range`, which leaves the
//! disk's write cache unflushed), and then answers them all. A waiter only
//! queues after its transaction committed, so the flush covers it.
//!
//! Commits are counted; when every counted commit is covered by a finished
//! flush, waiting returns at once (a pull with nothing new to flush).
//!
//! sled's `flush_async` is not used: awaited by many callers at once it
//! deadlocks on sled 0.34.7.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::error::{Error, Result};

type Ack = oneshot::Sender<Result<(), String>>;

/// Handle to the flusher thread. Dropping it flushes what is queued and
/// joins the thread.
pub struct GroupCommit {
    queue: Option<mpsc::Sender<Ack>>,
    flusher: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

/// Commits noted so far, and how many of them the last flush covered:
/// a reader with nothing new to wait for skips the flush.
#[derive(Default)]
struct Counters {
    committed: AtomicU64,
    flushed: AtomicU64,
}

impl GroupCommit {
    /// Starts the flusher for `db`, whose data file is `data_file`.
    pub fn start(db: sled::Db, data_file: &Path) -> Result<Self> {
        let file = File::open(data_file)?;
        let (queue, waiting) = mpsc::channel::<Ack>();
        let counters = Arc::new(Counters::default());
        let flushed = counters.clone();
        let flusher = std::thread::Builder::new()
            .name("stepwise-flusher".into())
            .spawn(move || {
                while let Ok(first) = waiting.recv() {
                    let mut batch = vec![first];
                    batch.extend(waiting.try_iter());
                    let covered = flushed.committed.load(Ordering::SeqCst);
                    fail::fail_point!("store::flush");
                    let started = std::time::Instant::now();
                    let outcome = flush(&db, &file);
                    crate::metrics::metrics().commit(batch.len(), started.elapsed());
                    match &outcome {
                        Ok(()) => {
                            flushed.flushed.fetch_max(covered, Ordering::SeqCst);
                        }
                        Err(e) => tracing::error!(error = %e, "flushing the store failed"),
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
            counters,
        })
    }

    /// Records that a transaction committed; call after every commit.
    pub fn note_commit(&self) {
        self.counters.committed.fetch_add(1, Ordering::SeqCst);
    }

    /// Returns once everything committed before this call is on disk.
    pub async fn durable(&self) -> Result<()> {
        let counters = &self.counters;
        if counters.flushed.load(Ordering::SeqCst) >= counters.committed.load(Ordering::SeqCst) {
            return Ok(());
        }
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
