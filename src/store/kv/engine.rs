//! The ordered key-value engines a [`super::KvStore`] runs on.

use std::ops::Bound;

use crate::error::Result;

/// Keys set (`Some`) or removed (`None`) together.
pub type Batch = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Sees one entry of a scan; `false` stops the scan.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// An ordered key-value engine: point reads, ordered scans, atomic
/// batches, and a flush that makes everything applied durable.
pub trait Engine: Send + Sync + 'static {
    /// A value as the engine hands it out.
    type Value: AsRef<[u8]> + Send;

    /// The value of `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Self::Value>>;

    /// Calls `visit` on the entries in the range, in key order, until it
    /// returns `false`.
    fn scan(&self, range: (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()>;

    /// Applies a batch atomically: readers and a crash see all of it or
    /// none.
    fn apply(&self, batch: Batch) -> Result<()>;

    /// Makes everything applied so far durable.
    fn flush(&self) -> Result<()>;

    /// Bytes on disk.
    fn size_on_disk(&self) -> u64;
}
