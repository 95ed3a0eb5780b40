//! Sync: offline edits (mutations), their outcomes, and cursors.

use prost::{Enumeration, Message};

use super::{Entity, EntityKind, StoredEntity};
use crate::error::{Error, FieldViolation};

/// What happened to a mutation. Numbers match the API's `Outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum Outcome {
    /// Not set.
    Unspecified = 0,
    /// Applied.
    Applied = 1,
    /// The base version was not current, or the slot was taken.
    Conflict = 2,
    /// The record or its parent was deleted.
    Gone = 3,
    /// Invalid or not allowed.
    Rejected = 4,
}

/// One bad field of a rejected mutation, as stored.
#[derive(Clone, PartialEq, Message)]
pub struct StoredViolation {
    /// Field path.
    #[prost(string, tag = "1")]
    pub field: String,
    /// What is wrong.
    #[prost(string, tag = "2")]
    pub description: String,
}

/// The result of a mutation, kept so a replay returns it unchanged.
///
/// It keeps the digest of the mutation's payload, so a replay can be told
/// from a reuse of the id for another edit (see [`Mutation::payload_digest`]).
#[derive(Clone, PartialEq, Message)]
pub struct MutationResult {
    /// The device's id for the mutation.
    #[prost(string, tag = "1")]
    pub mutation_id: String,
    /// What happened.
    #[prost(enumeration = "Outcome", tag = "2")]
    pub outcome: i32,
    /// The record after the mutation (absent when rejected).
    #[prost(message, optional, tag = "3")]
    pub current: Option<StoredEntity>,
    /// Why it was rejected.
    #[prost(string, tag = "4")]
    pub error: String,
    /// Machine-readable reason of a rejection.
    #[prost(string, tag = "5")]
    pub reason: String,
    /// Bad fields of a rejection.
    #[prost(message, repeated, tag = "6")]
    pub violations: Vec<StoredViolation>,
    /// [`Mutation::payload_digest`] of the mutation this answers; empty in
    /// results stored before digests were kept.
    #[prost(bytes = "vec", tag = "7")]
    pub payload_digest: Vec<u8>,
}

impl MutationResult {
    /// A result carrying the record as it is now.
    pub fn with_current(mutation_id: &str, outcome: Outcome, current: Entity) -> Self {
        Self {
            mutation_id: mutation_id.to_owned(),
            outcome: outcome as i32,
            current: Some(StoredEntity {
                entity: Some(current),
            }),
            ..Self::default()
        }
    }

    /// A rejection for `error`.
    pub fn rejected(mutation_id: &str, error: &Error) -> Self {
        let violations = match error {
            Error::InvalidFields(violations) => violations
                .iter()
                .map(|FieldViolation { field, description }| StoredViolation {
                    field: field.clone(),
                    description: description.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Self {
            mutation_id: mutation_id.to_owned(),
            outcome: Outcome::Rejected as i32,
            current: None,
            error: error.to_string(),
            reason: error.reason(),
            violations,
            payload_digest: Vec::new(),
        }
    }

    /// Whether this stored result answers a mutation whose payload has
    /// `digest`: a replay of the same edit. A result stored before digests
    /// were kept has none and answers any payload, as every replay was
    /// answered then; refusing them would turn a device's honest retry of
    /// an edit pushed before the upgrade into a rejection.
    pub fn answers(&self, digest: &[u8]) -> bool {
        self.payload_digest.is_empty() || self.payload_digest == digest
    }
}

/// What a mutation does.
#[derive(Clone, Debug, PartialEq)]
pub enum MutationOp {
    /// Create or replace a record (goal, step, check-in or rating).
    Upsert(Entity),
    /// Delete a record.
    Delete(EntityKind, String),
}

/// One parsed mutation; `op` is the parse error when the content was bad,
/// which becomes a recorded rejection.
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
    pub op: Result<MutationOp, Error>,
}

/// A position in one client's change sequence, in one store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The store's epoch when the cursor was made.
    pub epoch: [u8; 16],
    /// The client.
    pub client: [u8; 16],
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
        bytes.extend_from_slice(&self.client);
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
            client: bytes[17..33].try_into().ok()?,
            seq,
        })
    }
}

/// Copies the mutable fields of `incoming` onto `existing` (a full
/// replacement, as an offline edit sends the whole record). Immutable
/// fields must not differ.
pub fn replace_mutable_fields(existing: &mut Entity, incoming: &Entity) -> Result<(), Error> {
    match (existing, incoming) {
        (Entity::Goal(old), Entity::Goal(new)) => {
            old.title.clone_from(&new.title);
            old.why.clone_from(&new.why);
            old.target_date.clone_from(&new.target_date);
            old.status = new.status;
            Ok(())
        }
        (Entity::ActionStep(old), Entity::ActionStep(new)) => {
            if old.goal_id != new.goal_id {
                return Err(Error::invalid("action_step.goal_id", "cannot be changed"));
            }
            old.title.clone_from(&new.title);
            old.schedule = new.schedule;
            old.status = new.status;
            Ok(())
        }
        (Entity::CheckIn(old), Entity::CheckIn(new)) => {
            if old.action_step_id != new.action_step_id || old.local_date != new.local_date {
                return Err(Error::invalid(
                    "check_in.local_date",
                    "the action step and date of a check-in cannot be changed",
                ));
            }
            old.state = new.state;
            old.amount = new.amount;
            old.note.clone_from(&new.note);
            old.private_note = new.private_note;
            Ok(())
        }
        (Entity::EfficacyRating(_), Entity::EfficacyRating(_)) => Err(Error::invalid(
            "rating",
            "a rating cannot be changed; delete it and record a new one",
        )),
        (existing, _) => Err(Error::NotFound(existing.kind().noun())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            epoch: [7; 16],
            client: [9; 16],
            seq: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }

    #[test]
    fn a_result_answers_its_own_payload_and_an_old_result_answers_any() {
        let stored = MutationResult {
            payload_digest: vec![1; 32],
            ..MutationResult::default()
        };
        assert!(stored.answers(&[1; 32]));
        assert!(!stored.answers(&[2; 32]));
        assert!(MutationResult::default().answers(&[2; 32]));
    }
}
