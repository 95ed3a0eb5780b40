//! The ordered key-value engines a [`super::KvStore`] runs on.

use std::ops::Bound;

use crate::error::Result;

/// Keys set (`Some`) or removed (`None`) together.
pub type Batch = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Sees one entry of a scan; `false` stops the scan.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// An ordered key-value engine: point reads, ordered scans, atomic
/// batches that are durable before they are visible, and a checkpoint.
pub trait Engine: Send + Sync + 'static {
    /// A value as the engine hands it out.
    type Value: AsRef<[u8]> + Send;

    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Self::Value>>;

    /// Calls `visit` on the entries in the range, in key order, until it
    /// returns `false`.
    fn scan(&self, range: (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()>;

    /// Applies a batch atomically and durably: readers and a crash see all
    /// of it or none, and readers see it only once a crash cannot undo it.
    fn apply(&self, batch: Batch) -> Result<()>;

    /// Brings the engine's own files up to date with everything applied,
    /// so that opening them needs no recovery (at shutdown, after bulk
    /// loads).
    fn flush(&self) -> Result<()>;

    /// Bytes on disk.
    fn size_on_disk(&self) -> u64;
}
