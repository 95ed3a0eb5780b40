//! The ordered key-value engines a [`crate::store::Store`] runs on.

use std::ops::Bound;

use crate::error::Result;

/// Keys set (`Some`) or removed (`None`) together.
pub type Batch = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Sees one entry of a scan; `false` stops the scan.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// Reads of an ordered key-value engine: point reads and ordered scans.
pub trait KvRead {
    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Calls `visit` on the entries in the range, in key order, until it
    /// returns `false`.
    fn scan(&self, range: (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()>;
}

/// An ordered key-value engine: reads, groups of writes, atomic batches
/// that are durable before they are visible, and a checkpoint. The store
/// holds one as `dyn Engine`: sled, PostgreSQL or memory.
pub trait Engine: KvRead + Send + Sync + 'static {
    /// Runs one group of writes: `run` reads through the group's reader (the
    /// engine itself where only this process writes, a transaction where
    /// other processes write too) and
    /// returns the group's batch, which is then applied atomically and
    /// durably, consistent with what `run` read. An engine whose group can
    /// conflict with another process's writes calls `run` again after such
    /// a conflict (so `run` must start afresh each time). Returns once the
    /// batch is durable; on an error nothing of it was applied.
    fn run_group(&self, run: &mut dyn FnMut(&dyn KvRead) -> Result<Batch>) -> Result<()>;

    /// Applies a batch atomically and durably: readers and a crash see all
    /// of it or none, and readers see it only once a crash cannot undo it.
    fn apply(&self, batch: Batch) -> Result<()>;

    /// Brings the engine's own files up to date with everything applied,
    /// so that opening them needs no recovery (at shutdown, after bulk
    /// loads).
    fn flush(&self) -> Result<()>;

    /// Bytes on disk.
    fn size_on_disk(&self) -> u64;

    /// Calls `visit` with the value of each key in turn until it returns
    /// `false` (a remote engine reads them all in one round trip first).
    fn get_each(
        &self,
        keys: &mut dyn Iterator<Item = Vec<u8>>,
        visit: &mut dyn FnMut(Option<&[u8]>) -> Result<bool>,
    ) -> Result<()> {
        for key in keys {
            if !visit(self.get(&key)?.as_deref())? {
                break;
            }
        }
        Ok(())
    }

    /// How often to look for what other processes wrote, when others write
    /// to the engine too (see `super::poller`); `None` when only this
    /// process writes.
    fn poll_interval(&self) -> Option<std::time::Duration> {
        None
    }

    /// Why a [`crate::store::Store`] snapshot cannot copy this engine, if it
    /// cannot (the operator's tool is then named).
    fn snapshot_refusal(&self) -> Option<&'static str> {
        None
    }
}

/// [`Engine::run_group`] for an engine that only this process's pipeline
/// writes: nothing can conflict, so the group reads the engine directly and
/// its batch is applied as it is.
pub(super) fn run_unshared<E: Engine>(
    engine: &E,
    run: &mut dyn FnMut(&dyn KvRead) -> Result<Batch>,
) -> Result<()> {
    let batch = run(engine)?;
    if batch.is_empty() {
        Ok(())
    } else {
        engine.apply(batch)
    }
}
