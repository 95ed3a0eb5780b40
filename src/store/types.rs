//! What the store's reads and writes take and give: pages of lists and of
//! changes, which side of a care link, a snapshot's summary, a retention
//! batch.

use chrono::NaiveDate;

use crate::domain::{Entity, Order};

/// One page of a list, and the token for the next one (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Opaque token for the next page; empty when there is none.
    pub next_page_token: String,
}

/// A page of a list ends once its items were read from this many bytes
/// of stored values (at least one item, however large): with the text of
/// the longest records, a page of a thousand would not fit in a message
/// (see [`crate::limits::MAX_MESSAGE_BYTES`]), and reading past what can
/// be sent would only cost time and memory.
pub const PAGE_BYTES: usize = 2 * 1024 * 1024;

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// Most items on the page; a list the store reads ends sooner, at
    /// [`PAGE_BYTES`].
    pub size: usize,
    /// `next_page_token` of the previous page; empty for the first.
    pub token: &'a str,
}

/// Changes of one client after a cursor (see [`crate::store::Store::changes`]).
#[derive(Debug)]
pub struct ChangePage {
    /// Records and tombstones, in sequence order, each at its current
    /// version.
    pub entities: Vec<Entity>,
    /// Sequence number up to which the client has now seen everything.
    pub last_seq: i64,
    /// Whether changes up to the requested head remain.
    pub has_more: bool,
}

/// Which side of a care link an account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client.
    Client,
    /// The therapist.
    Therapist,
}

/// What a consistent copy of the whole store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Entries written.
    pub entries: u64,
    /// Size of the file in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the whole file.
    pub sha256: [u8; 32],
}

/// One batch of a retention pass (see [`crate::store::Tx::purge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Entries removed.
    pub removed: u64,
    /// Where the next batch of the same pass continues (an opaque
    /// position); `None` when nothing older is left.
    pub resume: Option<Vec<u8>>,
}

/// A record as one reader may see it: changed (private text blanked), or
/// `None` when hidden from that reader entirely.
pub type SeenBy<'a> = &'a (dyn Fn(Entity) -> Option<Entity> + Send + Sync);

/// An order bound for a day: lists of check-ins between two dates.
pub fn day_bound(day: Option<NaiveDate>) -> Option<Order> {
    day.map(Order::Day)
}
