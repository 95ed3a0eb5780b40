//! The embedded default engine: one sled tree behind a write-ahead log.
//!
//! A batch is durable once its record in the log ([`super::wal`]) is
//! `fdatasync`ed; only then does sled see it. sled itself is flushed at
//! checkpoints, with an `fdatasync` of its data file added (sled's own
//! flush uses `sync_file_range`, which leaves the disk's write cache
//! unflushed). sled's periodic background flush is off: the log decides
//! what is durable.

use std::fs::File;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::engine::{Batch, Engine, KvRead, Visit, run_unshared};
use super::format;
use super::wal::{Sizes, Wal};
use crate::error::{Error, Result};

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::internal(e)
    }
}

/// How long [`SledKv::open`] waits for a lock that a closing database in
/// this process may still hold.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// Between two tries.
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether opening failed because another handle holds sled's lock.
fn is_locked(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// sled as an [`Engine`].
pub struct SledKv {
    db: sled::Db,
    wal: Wal,
    checkpoint: Checkpoint,
}

/// Flushes sled and its data file.
#[derive(Clone)]
struct Checkpoint {
    db: sled::Db,
    data_file: Arc<File>,
}

impl Checkpoint {
    fn run(&self) -> Result<()> {
        self.db.flush()?;
        self.data_file.sync_data()?;
        Ok(())
    }
}

/// Opens (or creates) the sled database in `dir` with a page cache of
/// `cache_bytes`, as the store and tools that read a stopped store do.
///
/// sled holds an exclusive lock on its files. A database just closed in
/// this process may hold it a moment longer (sled's I/O threads let go of
/// the file after the last flush), so a locked database is tried again for
/// up to [`LOCK_WAIT`]; after that, another server uses it.
pub fn open_db(dir: &Path, cache_bytes: u64) -> Result<sled::Db> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .flush_every_ms(None);
    let started = std::time::Instant::now();
    loop {
        match config.open() {
            Err(error) if is_locked(&error) && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(LOCK_RETRY);
            }
            Err(error) if is_locked(&error) => {
                return Err(Error::internal(format!(
                    "the data dir {} is in use by another Stepwise server ({error})",
                    dir.display()
                )));
            }
            other => return Ok(other?),
        }
    }
}

impl SledKv {
    /// Opens (or creates) the database in `dir` with a page cache of
    /// `cache_bytes` (see [`open_db`]).
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self> {
        let db = open_db(dir, cache_bytes)?;
        // The first layout kept its records in trees of their own.
        if db
            .tree_names()
            .iter()
            .any(|name| name.as_ref() == b"entities")
        {
            return Err(format::refusal(format::FIRST_LAYOUT));
        }
        let checkpoint = Checkpoint {
            data_file: Arc::new(File::open(dir.join("db"))?),
            db: db.clone(),
        };
        let wal = Wal::open(
            dir,
            Sizes::DEFAULT,
            |batch| Ok(db.apply_batch(sled_batch(batch))?),
            {
                let checkpoint = checkpoint.clone();
                move || checkpoint.run()
            },
        )?;
        Ok(Self {
            db,
            wal,
            checkpoint,
        })
    }
}

impl KvRead for SledKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key)?.map(|value| value.to_vec()))
    }

    fn scan(&self, range: (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()> {
        for entry in self.db.range::<&[u8], _>(range) {
            let (key, value) = entry?;
            if !visit(&key, &value)? {
                break;
            }
        }
        Ok(())
    }
}

impl Engine for SledKv {
    fn run_group(&self, run: &mut dyn FnMut(&dyn KvRead) -> Result<Batch>) -> Result<()> {
        run_unshared(self, run)
    }

    fn apply(&self, batch: Batch) -> Result<()> {
        self.wal.append(&batch)?;
        Ok(self.db.apply_batch(sled_batch(batch))?)
    }

    fn flush(&self) -> Result<()> {
        self.checkpoint.run()
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0) + self.wal.size_on_disk()
    }
}

fn sled_batch(batch: Batch) -> sled::Batch {
    let mut sled_batch = sled::Batch::default();
    for (key, value) in batch {
        match value {
            Some(value) => sled_batch.insert(key, value),
            None => sled_batch.remove(key),
        }
    }
    sled_batch
}
