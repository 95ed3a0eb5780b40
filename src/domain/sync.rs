//! Sync: offline edits (mutations), what became of them, and cursors.

use uuid::Uuid;

use super::assessment::ResultDraft;
use super::{Entity, Kind};
use crate::encoding::Stored;
use crate::error::{Error, FieldViolation};

/// What happened to a mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub enum Outcome {
    /// Applied.
    Applied = 1,
    /// The base version was not current, or the slot was taken.
    Conflict = 2,
    /// The record or its parent was deleted.
    Gone = 3,
    /// Invalid or not allowed.
    Rejected = 4,
}

/// Why a mutation was rejected, as its result tells the device.
#[derive(Debug, Clone, PartialEq, Eq, Stored)]
pub struct Rejection {
    /// Machine-readable reason (as `ErrorInfo.reason` in the unary API).
    pub reason: String,
    /// What is wrong, for people.
    pub message: String,
    /// The bad fields.
    pub violations: Vec<FieldViolation>,
}

impl From<&Error> for Rejection {
    fn from(error: &Error) -> Self {
        Self {
            reason: error.reason(),
            message: error.to_string(),
            violations: match error {
                Error::InvalidFields(violations) => violations.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// What a mutation did, as kept so that a replay is answered exactly as the
/// mutation was: the outcome, and the record the answer carried as it was
/// then (a device takes that record's version as the base of its next
/// edit, so answering with a later version would let that edit overwrite
/// changes the device never saw).
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// [`Mutation::payload_digest`] of the mutation this answers.
    pub payload_digest: [u8; 32],
    /// What happened.
    pub outcome: Outcome,
    /// The record the answer carried, as it was right after the mutation
    /// (the applied record, the server's copy on a conflict, the tombstone
    /// when gone); none when rejected.
    pub current: Option<Entity>,
    /// Why it was rejected.
    pub rejection: Option<Rejection>,
}

impl Replay {
    /// Whether this answers a mutation whose payload has `digest`: a
    /// replay of the same edit, not another edit under a used id.
    pub fn answers(&self, digest: &[u8; 32]) -> bool {
        self.payload_digest == *digest
    }

    /// The client's sequence number the answer showed (0 when rejected).
    pub fn version(&self) -> i64 {
        self.current
            .as_ref()
            .map_or(0, |entity| entity.meta().version)
    }
}

/// The answer to one mutation.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationResult {
    /// The device's id for the mutation.
    pub mutation_id: String,
    /// What happened.
    pub outcome: Outcome,
    /// The record the answer shows (see [`Replay::current`]).
    pub current: Option<Entity>,
    /// Why it was rejected.
    pub rejection: Option<Rejection>,
}

impl MutationResult {
    /// Whether the mutation submitted a result that reports thoughts of
    /// self-harm and was applied: its answer shows where to get help.
    pub fn reports_self_harm(&self) -> bool {
        self.outcome == Outcome::Applied
            && matches!(&self.current, Some(Entity::AssessmentResult(result)) if result.signals_self_harm())
    }

    /// A rejection for `error`.
    pub fn rejected(mutation_id: &str, error: &Error) -> Self {
        Self {
            mutation_id: mutation_id.to_owned(),
            outcome: Outcome::Rejected,
            current: None,
            rejection: Some(error.into()),
        }
    }
}

/// What a mutation does.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationOp {
    /// Create or replace a record (all its editable fields); boxed, as
    /// records differ much in size.
    Upsert(Box<Entity>),
    /// Delete a record and what hangs under it.
    Delete(Kind, Uuid),
    /// Create an assessment result from answers, which are checked against
    /// the instrument when the mutation is applied.
    Submit(ResultDraft),
}

impl MutationOp {
    /// Creates or replaces `record`.
    pub fn upsert(record: impl Into<Entity>) -> Self {
        MutationOp::Upsert(Box::new(record.into()))
    }
}

/// One parsed mutation; `op` is why the content is bad, which becomes a
/// recorded rejection.
#[derive(Debug)]
pub struct Mutation {
    /// The device's id for the mutation.
    pub mutation_id: String,
    /// Version the edit was made on; 0 creates.
    pub base_version: i64,
    /// SHA-256 of everything the device sent for the edit but its id, in a
    /// canonical encoding (made where the request is parsed), so a reuse of
    /// the id for a different edit is recognised.
    pub payload_digest: [u8; 32],
    /// The edit, or why it is invalid.
    pub op: Result<MutationOp, Rejection>,
}

/// A position in one client's change sequence, in one store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The store's epoch when the cursor was made.
    pub epoch: [u8; 16],
    /// The client.
    pub client: Uuid,
    /// Last sequence number delivered.
    pub seq: i64,
}

const CURSOR_FORMAT: u8 = 1;

impl Cursor {
    /// The opaque string form.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let mut bytes = Vec::with_capacity(41);
        bytes.push(CURSOR_FORMAT);
        bytes.extend_from_slice(&self.epoch);
        bytes.extend_from_slice(self.client.as_bytes());
        bytes.extend_from_slice(&self.seq.to_be_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Parses the string form; `None` when it is not a cursor at all.
    pub fn decode(value: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value)
            .ok()?;
        if bytes.len() != 41 || bytes[0] != CURSOR_FORMAT {
            return None;
        }
        let seq = i64::from_be_bytes(bytes[33..41].try_into().ok()?);
        if seq < 0 {
            return None;
        }
        Some(Self {
            epoch: bytes[1..17].try_into().ok()?,
            client: Uuid::from_slice(&bytes[17..33]).ok()?,
            seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            epoch: [7; 16],
            client: Uuid::from_u128(9),
            seq: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
