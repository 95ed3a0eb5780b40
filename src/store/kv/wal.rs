//! The write-ahead log of the sled engine: a batch is on disk in the log
//! before sled sees it, so a write is durable after one small append and
//! one `fdatasync`, and sled itself is flushed only now and then (a
//! checkpoint) in the background.
//!
//! Why: sled's own flush writes its buffers from a pool of threads, grows
//! its file, and needs a journal commit of the file system for the new
//! size; under load one flush took several milliseconds. Overwriting a file
//! whose blocks are already written needs no metadata, and its
//! `fdatasync` takes a fraction of a millisecond.
//!
//! Layout: two files, `wal-0` and `wal-1`, each zero-filled to
//! [`Sizes::file_bytes`] when created and overwritten from the start when
//! their turn comes again. Records follow each other from offset 0:
//!
//! ```text
//! crc32 (u32 LE, over the rest) | length (u32 LE) | number (u64 LE) | batch (length bytes)
//! batch entry: 1 key-length key value-length value   (put; lengths as varints)
//!              0 key-length key                       (remove)
//! ```
//!
//! Numbers increase by one from record to record, across both files and
//! across restarts, so the records of the current pass over a file are
//! told from what an earlier pass left behind: a file's log is its longest
//! run of valid records from offset 0 with consecutive numbers.
//!
//! Rules that make recovery exact:
//! - A record is `fdatasync`ed before the next one is written and before
//!   its batch reaches sled, so sled never holds a batch the log lacks, and
//!   a log ends at most with one torn record, which was never acknowledged.
//! - When the active file passes [`Sizes::switch_at`], the log moves to the other
//!   file and a checkpoint starts: sled flushes and `fdatasync`s
//!   everything applied so far. The log moves again only once that
//!   checkpoint is done, so the records it overwrites are in sled for good.
//! - Batches set or remove whole values, so replaying the log from before
//!   the last checkpoint, in order, yields the state after its last record
//!   whatever part of it sled already had.
//!
//! At start the log of the file written last, preceded by the other file's
//! when the numbers join, is replayed into sled and checkpointed.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::engine::Batch;
use crate::error::{Error, Result};

/// How large the log files are.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sizes {
    /// Size of each log file, zero-filled at creation.
    pub(super) file_bytes: u64,
    /// Offset past which the log moves to the other file (if the last
    /// checkpoint is done; else the file grows past its size).
    pub(super) switch_at: u64,
}

impl Sizes {
    /// A checkpoint every 3 MiB of log: about a second of check-ins at
    /// full speed.
    pub(super) const DEFAULT: Sizes = Sizes {
        file_bytes: 4 * 1024 * 1024,
        switch_at: 3 * 1024 * 1024,
    };
}
/// Bytes before a record's batch.
const HEADER: usize = 16;

/// Where the log is written next.
struct Head {
    files: [File; 2],
    active: usize,
    offset: u64,
    number: u64,
}

/// The log, appended to by one thread at a time.
pub(super) struct Wal {
    head: Mutex<Head>,
    switch_at: u64,
    /// A checkpoint asked for at the last switch has not finished.
    checkpointing: Arc<AtomicBool>,
    checkpoints: Mutex<Option<mpsc::Sender<()>>>,
    checkpointer: Mutex<Option<JoinHandle<()>>>,
}

/// What a log file holds: its records' batches in order, the number of
/// the first, and where the log ends.
struct Run {
    first: u64,
    batches: Vec<Vec<u8>>,
    end: u64,
}

impl Run {
    fn last(&self) -> Option<u64> {
        (!self.batches.is_empty()).then(|| self.first + self.batches.len() as u64 - 1)
    }
}

impl Wal {
    /// Opens the log in `dir` (creating its files), hands every batch it
    /// must replay to `replay` in order, then lets `checkpoint` make them
    /// durable. Later checkpoints run `checkpoint` on a thread of their own.
    pub(super) fn open(
        dir: &Path,
        sizes: Sizes,
        mut replay: impl FnMut(Batch) -> Result<()>,
        checkpoint: impl Fn() -> Result<()> + Send + 'static,
    ) -> Result<Self> {
        let files = [
            open_file(&dir.join("wal-0"), sizes.file_bytes)?,
            open_file(&dir.join("wal-1"), sizes.file_bytes)?,
        ];
        sync_dir(dir)?;
        let runs = [read_run(&files[0])?, read_run(&files[1])?];
        let newer = match (runs[0].last(), runs[1].last()) {
            (Some(_), Some(_)) => usize::from(runs[1].first > runs[0].first),
            (None, Some(_)) => 1,
            _ => 0,
        };
        let older = 1 - newer;
        // The older file's log counts when the newer one continues it.
        if runs[older].last().map(|last| last + 1) == Some(runs[newer].first) {
            for batch in &runs[older].batches {
                replay(decode_batch(batch)?)?;
            }
        }
        for batch in &runs[newer].batches {
            replay(decode_batch(batch)?)?;
        }
        checkpoint()?;
        let number = runs[newer].last().map_or(1, |last| last + 1);
        let checkpointing = Arc::new(AtomicBool::new(false));
        let (checkpoints, requests) = mpsc::channel::<()>();
        let checkpointer = {
            let checkpointing = checkpointing.clone();
            std::thread::Builder::new()
                .name("stepwise-checkpoint".into())
                .spawn(move || {
                    while requests.recv().is_ok() {
                        match checkpoint() {
                            Ok(()) => checkpointing.store(false, Ordering::SeqCst),
                            // The log keeps growing in its file rather than
                            // overwrite records that are not in sled for good.
                            Err(error) => tracing::error!(%error, "a checkpoint failed"),
                        }
                    }
                })?
        };
        Ok(Self {
            head: Mutex::new(Head {
                files,
                active: newer,
                offset: runs[newer].end,
                number,
            }),
            switch_at: sizes.switch_at,
            checkpointing,
            checkpoints: Mutex::new(Some(checkpoints)),
            checkpointer: Mutex::new(Some(checkpointer)),
        })
    }

    /// Appends `batch` and returns once it is on disk.
    pub(super) fn append(&self, batch: &Batch) -> Result<()> {
        let mut head = self.head.lock().map_err(|_| poisoned())?;
        if head.offset >= self.switch_at && !self.checkpointing.swap(true, Ordering::SeqCst) {
            head.active = 1 - head.active;
            head.offset = 0;
            let checkpoints = self.checkpoints.lock().map_err(|_| poisoned())?;
            checkpoints
                .as_ref()
                .and_then(|c| c.send(()).ok())
                .ok_or_else(|| Error::internal("the checkpoint thread has stopped"))?;
        }
        let record = encode_record(head.number, batch)?;
        let file = &head.files[head.active];
        file.write_all_at(&record, head.offset)?;
        file.sync_data()?;
        head.offset += record.len() as u64;
        head.number += 1;
        Ok(())
    }

    /// Bytes of the log files.
    pub(super) fn size_on_disk(&self) -> u64 {
        self.head.lock().map_or(0, |head| {
            head.files
                .iter()
                .filter_map(|f| f.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
    }
}

impl Drop for Wal {
    /// Lets a checkpoint in progress finish, so that the engine's files
    /// are let go when the engine is.
    fn drop(&mut self) {
        if let Ok(mut checkpoints) = self.checkpoints.lock() {
            checkpoints.take();
        }
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut t| t.take());
        if let Some(checkpointer) = checkpointer {
            let _ = checkpointer.join();
        }
    }
}

fn poisoned() -> Error {
    Error::internal("write-ahead log poisoned")
}

/// Opens a log file, creating it zero-filled (and durable) if missing.
fn open_file(path: &Path, bytes: u64) -> Result<File> {
    if !path.exists() {
        let partial = PathBuf::from(format!("{}.partial", path.display()));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)?;
        let zeros = vec![0u8; 64 * 1024];
        for block in 0..bytes.div_ceil(zeros.len() as u64) {
            file.write_all_at(&zeros, block * zeros.len() as u64)?;
        }
        file.sync_all()?;
        std::fs::rename(&partial, path)?;
    }
    Ok(OpenOptions::new().read(true).write(true).open(path)?)
}

/// Makes created and renamed files in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

fn encode_record(number: u64, batch: &Batch) -> Result<Vec<u8>> {
    let mut record = vec![0u8; HEADER];
    for (key, value) in batch {
        record.push(u8::from(value.is_some()));
        put_bytes(&mut record, key);
        if let Some(value) = value {
            put_bytes(&mut record, value);
        }
    }
    let length = u32::try_from(record.len() - HEADER)
        .map_err(|_| Error::internal("a batch too large for the log"))?;
    record[4..8].copy_from_slice(&length.to_le_bytes());
    record[8..16].copy_from_slice(&number.to_le_bytes());
    let crc = crc32fast::hash(&record[4..]);
    record[0..4].copy_from_slice(&crc.to_le_bytes());
    Ok(record)
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut length = bytes.len() as u64;
    while length >= 0x80 {
        out.push((length as u8) | 0x80);
        length >>= 7;
    }
    out.push(length as u8);
    out.extend_from_slice(bytes);
}

/// The log of one file: valid records from offset 0 with consecutive
/// numbers.
fn read_run(file: &File) -> Result<Run> {
    let mut contents = Vec::new();
    std::io::Read::read_to_end(&mut &*file, &mut contents)?;
    let mut run = Run {
        first: 0,
        batches: Vec::new(),
        end: 0,
    };
    let mut at = 0usize;
    while let Some(header) = contents.get(at..at + HEADER) {
        let u32_at =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let (crc, length) = (u32_at(0), u32_at(4) as usize);
        let number = u64::from(u32_at(8)) | u64::from(u32_at(12)) << 32;
        let Some(batch) = contents.get(at + HEADER..at + HEADER + length) else {
            break;
        };
        let expected = run.last().map_or(number, |last| last + 1);
        if number == 0
            || number != expected
            || crc32fast::hash(&contents[at + 4..at + HEADER + length]) != crc
        {
            break;
        }
        if run.batches.is_empty() {
            run.first = number;
        }
        run.batches.push(batch.to_vec());
        at += HEADER + length;
        run.end = at as u64;
    }
    Ok(run)
}

fn decode_batch(mut bytes: &[u8]) -> Result<Batch> {
    let malformed = || Error::internal("a malformed batch in the write-ahead log");
    let take = |bytes: &mut &[u8]| -> Result<Vec<u8>> {
        let (mut length, mut shift) = (0u64, 0u32);
        loop {
            let (&byte, rest) = bytes.split_first().ok_or_else(malformed)?;
            *bytes = rest;
            length |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(malformed());
            }
        }
        let length = usize::try_from(length).map_err(|_| malformed())?;
        if bytes.len() < length {
            return Err(malformed());
        }
        let (value, rest) = bytes.split_at(length);
        *bytes = rest;
        Ok(value.to_vec())
    };
    let mut batch = Batch::new();
    while let Some((&op, rest)) = bytes.split_first() {
        bytes = rest;
        let key = take(&mut bytes)?;
        let value = match op {
            1 => Some(take(&mut bytes)?),
            0 => None,
            _ => return Err(malformed()),
        };
        batch.push((key, value));
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::Receiver;

    use super::*;

    /// Small files: a switch after about four 1 KiB records.
    const SMALL: Sizes = Sizes {
        file_bytes: 8 * 1024,
        switch_at: 4 * 1024,
    };

    /// A batch of one key, `n`, with a value of about 1 KiB.
    fn batch(n: u32) -> Batch {
        vec![(n.to_be_bytes().to_vec(), Some(vec![n as u8; 1000]))]
    }

    /// The log opened by a test.
    struct Opened {
        /// Ends each such checkpoint (by a message, or by being dropped,
        /// before `wal`, which waits for the checkpoint in progress).
        finish: mpsc::Sender<()>,
        wal: Wal,
        /// Numbers of the batches replayed at start.
        replayed: Vec<u32>,
        /// One message per checkpoint started after the one at start.
        started: Receiver<()>,
    }

    fn open(dir: &Path) -> Opened {
        let mut replayed = Vec::new();
        let (started_tx, started) = mpsc::channel();
        let (finish, finish_rx) = mpsc::channel::<()>();
        let at_start = AtomicBool::new(true);
        let wal = Wal::open(
            dir,
            SMALL,
            |batch| {
                let key: [u8; 4] = batch[0].0.clone().try_into().expect("key");
                replayed.push(u32::from_be_bytes(key));
                Ok(())
            },
            move || {
                if !at_start.swap(false, Ordering::SeqCst) {
                    let _ = started_tx.send(());
                    let _ = finish_rx.recv();
                }
                Ok(())
            },
        )
        .expect("open");
        Opened {
            finish,
            wal,
            replayed,
            started,
        }
    }

    #[test]
    fn what_was_appended_is_replayed_in_order_after_a_crash_and_numbers_go_on() {
        let dir = tempfile::tempdir().expect("dir");
        let log = open(dir.path());
        assert!(log.replayed.is_empty());
        for n in 1..=3 {
            log.wal.append(&batch(n)).expect("append");
        }
        drop(log);
        let log = open(dir.path());
        assert_eq!(log.replayed, [1, 2, 3]);
        log.wal.append(&batch(4)).expect("append");
        drop(log);
        assert_eq!(
            open(dir.path()).replayed,
            [1, 2, 3, 4],
            "the log went on after the restart"
        );
    }

    #[test]
    fn a_torn_last_record_ends_the_log() {
        let dir = tempfile::tempdir().expect("dir");
        let log = open(dir.path());
        for n in 1..=3 {
            log.wal.append(&batch(n)).expect("append");
        }
        drop(log);
        // The third record lost its last bytes.
        let file = OpenOptions::new()
            .write(true)
            .open(dir.path().join("wal-0"))
            .expect("open");
        file.write_all_at(&[0; 8], 3 * RECORD - 8).expect("tear");
        let log = open(dir.path());
        assert_eq!(log.replayed, [1, 2]);
        // The next record takes the torn one's place and number.
        log.wal.append(&batch(30)).expect("append");
        drop(log);
        assert_eq!(open(dir.path()).replayed, [1, 2, 30]);
    }

    #[test]
    fn the_log_moves_between_files_and_overwrites_only_what_a_checkpoint_covers() {
        let dir = tempfile::tempdir().expect("dir");
        let log = open(dir.path());
        // 1..=4 fill wal-0 to its switch point; 5 goes to wal-1 and starts
        // a checkpoint.
        for n in 1..=5 {
            log.wal.append(&batch(n)).expect("append");
        }
        log.started
            .recv()
            .expect("a checkpoint at the first switch");
        log.finish.send(()).expect("finish it");
        // wal-1 fills too; once that checkpoint is done, 9 goes back to
        // the start of wal-0.
        for n in 6..=8 {
            log.wal.append(&batch(n)).expect("append");
        }
        wait_until_idle(&log.wal);
        for n in 9..=11 {
            log.wal.append(&batch(n)).expect("append");
        }
        log.started
            .recv()
            .expect("a checkpoint at the second switch");
        drop(log);
        let log = open(dir.path());
        assert_eq!(
            log.replayed,
            [5, 6, 7, 8, 9, 10, 11],
            "wal-1, then wal-0 from its start; not what wal-0 held before"
        );
        drop(log);
        assert_eq!(open(dir.path()).replayed, [5, 6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn while_a_checkpoint_runs_the_log_grows_instead_of_overwriting() {
        let dir = tempfile::tempdir().expect("dir");
        let log = open(dir.path());
        for n in 1..=5 {
            log.wal.append(&batch(n)).expect("append");
        }
        log.started.recv().expect("a checkpoint at the switch");
        // It is not finished: wal-1 grows past its size.
        for n in 6..=16 {
            log.wal.append(&batch(n)).expect("append");
        }
        let wal_1 = std::fs::metadata(dir.path().join("wal-1")).expect("wal-1");
        assert!(wal_1.len() > SMALL.file_bytes, "wal-1 grew");
        drop(log);
        assert_eq!(open(dir.path()).replayed, (1..=16).collect::<Vec<_>>());
    }

    /// Bytes of a record of [`batch`].
    const RECORD: u64 = HEADER as u64 + 1 + 1 + 4 + 2 + 1000;

    /// Waits until the checkpoint thread has marked its checkpoint done
    /// (it does so right after the checkpoint returns).
    fn wait_until_idle(wal: &Wal) {
        while wal.checkpointing.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }

    #[test]
    fn batches_come_back_as_they_were_written() {
        let written: Batch = vec![
            (b"a".to_vec(), Some(b"one".to_vec())),
            (b"b".to_vec(), None),
            (vec![7; 300], Some(vec![9; 200])),
            (Vec::new(), Some(Vec::new())),
        ];
        let record = encode_record(1, &written).expect("encode");
        let decoded = decode_batch(&record[HEADER..]).expect("decode");
        assert_eq!(decoded, written);
        assert!(decode_batch(&[2, 0]).is_err(), "an unknown operation");
        assert!(decode_batch(&[1, 5, b'a']).is_err(), "a key cut short");
    }
}
