//! Which on-disk format a store (or a backup of one) holds. Before 1.0 the
//! format may change from one version to the next: a store or backup of
//! another format is refused with both format numbers, never migrated.
//!
//! | format | what |
//! |---|---|
//! | 1 | the first layout: sled trees of protobuf values |
//! | 2 | the key-value layout of development versions that did not mark their format |
//! | 3 | the key-value layout with the hand-written codec: replays keep the record they answered with |
//! | 4 | this layout ([`super::keys`], [`super::codec`]): values in the encoding their types declare ([`crate::encoding`]) |

use crate::error::Error;

/// The format this version writes and reads.
pub const CURRENT: u32 = 4;
/// The first layout (sled trees).
pub const FIRST_LAYOUT: u32 = 1;
/// A key-value store without a format mark.
pub const UNMARKED: u32 = 2;

/// The mark's value for `format`.
pub fn mark(format: u32) -> Vec<u8> {
    format.to_be_bytes().to_vec()
}

/// The format a stored mark names (a mark that is not a number counts as
/// unmarked: no version of Stepwise wrote one).
pub fn read_mark(mark: &[u8]) -> u32 {
    mark.try_into().map_or(UNMARKED, u32::from_be_bytes)
}

/// `Ok` for the current format; otherwise the refusal naming `found`.
pub fn check(found: u32) -> Result<(), Error> {
    if found == CURRENT {
        Ok(())
    } else {
        Err(refusal(found))
    }
}

/// Why a store or backup of format `found` is not read.
pub fn refusal(found: u32) -> Error {
    Error::StoreFormat {
        found,
        reads: CURRENT,
    }
}
