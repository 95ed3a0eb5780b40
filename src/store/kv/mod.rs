//! The key-value side of the store: the [`engine::Engine`] seam and its
//! engines — sled on disk ([`sled::SledKv`], behind a write-ahead log,
//! [`wal`]), PostgreSQL shared by several servers ([`postgres::PgKv`]), or
//! memory ([`memory::MemoryKv`]) — and what the store keeps in them: the
//! key layout ([`keys`]), the encoding of values ([`codec`]), the sealing
//! of clients' text ([`seal`]), the on-disk format ([`format`]), and
//! consistent snapshots and restoring them ([`snapshot`], [`restore`]).

pub mod codec;
pub mod engine;
pub mod format;
pub mod keys;
pub mod memory;
pub mod postgres;
pub mod restore;
pub mod seal;
pub mod sled;
pub mod snapshot;
mod wal;
