//! Key layout. Ids are stored as their 16 UUID bytes; integers are
//! big-endian with the sign bit flipped, so byte order is numeric order.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The 16 bytes of a canonical id. Stored ids were validated on the way in,
/// so a bad one here is a bug, reported as an internal error.
pub fn id(value: &str) -> Result<[u8; 16]> {
    Uuid::try_parse(value)
        .map(|u| *u.as_bytes())
        .map_err(|_| Error::internal(format!("stored id is not a UUID: {value:?}")))
}

/// Canonical string form of 16 id bytes.
pub fn id_string(bytes: &[u8]) -> Result<String> {
    Uuid::from_slice(bytes)
        .map(|u| u.to_string())
        .map_err(|_| Error::internal("index key holds a malformed id"))
}

/// An i64 whose big-endian bytes sort in numeric order.
pub fn ordered_i64(value: i64) -> [u8; 8] {
    ((value as u64) ^ (1 << 63)).to_be_bytes()
}

/// A date whose bytes sort in calendar order.
pub fn day(date: NaiveDate) -> [u8; 4] {
    ((date.num_days_from_ce() as u32) ^ (1 << 31)).to_be_bytes()
}

/// Concatenates key parts.
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Where an index entry keeps the id of the record it lists.
#[derive(Clone, Copy)]
pub enum IdAt {
    /// Right after the parent id.
    Suffix,
    /// After the parent id and an 8-byte time.
    AfterTime,
    /// In the value.
    Value,
}

impl IdAt {
    /// The id bytes of an entry whose parent id is `parent_len` bytes.
    pub fn id_in<'a>(self, parent_len: usize, key: &'a [u8], value: &'a [u8]) -> &'a [u8] {
        match self {
            IdAt::Suffix => &key[parent_len..],
            IdAt::AfterTime => &key[parent_len + 8..],
            IdAt::Value => value,
        }
    }
}
