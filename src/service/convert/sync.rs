//! Sync: changes, mutations and their results.

use uuid::Uuid;

use super::{
    all, enum_conversions, enum_value, id, new_action_step, new_attainment, new_check_in,
    new_comment, new_goal, new_rating, new_skill, new_skill_practice, new_thought_record,
    result_draft, timestamp,
};
use crate::app::SyncEvent;
use crate::domain::crisis::CrisisList;
use crate::domain::{
    Cursor, Entity, Kind, Mutation, MutationOp, MutationResult, Outcome, Rejection, Tombstone,
};
use crate::error::{Error, FieldViolation, Result, Violations};
use crate::pb;

/// The API's names of the kinds, and a kind's record in a change.
macro_rules! api_kinds {
    ($($kind:ident($module:ident) = $byte:literal, $noun:literal, push [$($op:ident)?];)*) => {
        enum_conversions!(Kind, pb::EntityType { $($kind,)* });

        /// API form of any record or tombstone.
        fn api_entity(entity: Entity) -> pb::change::Entity {
            use pb::change::Entity as Api;
            match entity {
                $(Entity::$kind(r) => Api::$kind(r.into()),)*
                Entity::Tombstone(t) => Api::Tombstone(tombstone(t)),
            }
        }

        /// The edit a pushed op carries.
        fn upsert_op(op: pb::mutation::Op, caller: Uuid, now_us: i64) -> Result<MutationOp> {
            use pb::mutation::Op;
            match op {
                $($(Op::$op(api) => Pushed::mutation(api, caller, now_us),)?)*
                Op::Delete(target) => {
                    let kind = enum_value::<pb::EntityType, Kind>(target.entity_type)
                        .map_err(|e| Error::invalid("delete.entity_type", e));
                    let (kind, id) = all((kind, id(&target.id, "delete.id")))?;
                    Ok(MutationOp::Delete(kind, id))
                }
            }
        }
    };
}

record_kinds!(api_kinds);

/// An API message a device pushes a record with.
pub trait Pushed {
    /// The edit it carries, from `caller` at `now_us`.
    fn mutation(self, caller: Uuid, now_us: i64) -> Result<MutationOp>;
}

/// Implements [`Pushed`] for messages whose record is parsed by
/// `$parse(caller, now_us, Some(api))`.
macro_rules! pushed {
    ($($api:ident => |$message:ident, $caller:ident, $now:ident| $parse:expr;)*) => {$(
        impl Pushed for pb::$api {
            #[allow(unused_variables)]
            fn mutation(self, $caller: Uuid, $now: i64) -> Result<MutationOp> {
                let $message = Some(self);
                Ok(MutationOp::upsert($parse))
            }
        }
    )*};
}

pushed! {
    Goal => |g, caller, now| new_goal(caller, g)?;
    ActionStep => |s, caller, now| new_action_step(s)?;
    CheckIn => |c, caller, now| new_check_in(c)?.0;
    EfficacyRating => |r, caller, now| new_rating(r, now)?;
    Skill => |s, caller, now| new_skill(caller, s)?;
    SkillPractice => |p, caller, now| new_skill_practice(p)?;
    ThoughtRecord => |t, caller, now| new_thought_record(caller, t)?;
    Comment => |c, caller, now| new_comment(c)?;
}

impl Pushed for pb::AssessmentResult {
    fn mutation(self, _caller: Uuid, _now_us: i64) -> Result<MutationOp> {
        Ok(MutationOp::Submit(result_draft(Some(self))?))
    }
}

impl Pushed for pb::AttainmentRating {
    fn mutation(self, _caller: Uuid, _now_us: i64) -> Result<MutationOp> {
        // An app offline knows its day; the server would guess it.
        let dated = match self.local_date.as_str() {
            "" => Err(Error::invalid("rating.local_date", "is required in a push")),
            _ => Ok(()),
        };
        let ((rating, _), ()) = all((new_attainment(Some(self)), dated))?;
        Ok(MutationOp::upsert(rating))
    }
}

enum_conversions!(
    Outcome,
    pb::Outcome {
        Applied,
        Conflict,
        Gone,
        Rejected,
    }
);

/// API form of any record or tombstone.
pub fn change(entity: Entity) -> pb::Change {
    pb::Change {
        entity: Some(api_entity(entity)),
    }
}

/// API form of a tombstone; whether therapists see it was decided before
/// it got here.
fn tombstone(
    Tombstone {
        kind,
        meta,
        hidden_from_therapists: _,
    }: Tombstone,
) -> pb::Tombstone {
    pb::Tombstone {
        entity_type: pb::EntityType::from(kind) as i32,
        id: meta.id.to_string(),
        version: meta.version,
        client_id: meta.client_id.to_string(),
        delete_time: timestamp(meta.update_time_us),
    }
}

/// A heartbeat of a stream: the server's time.
pub fn heartbeat(now_us: i64) -> pb::Heartbeat {
    pb::Heartbeat {
        time: timestamp(now_us),
    }
}

/// The message of a `Subscribe` event.
pub fn subscribe_response(event: SyncEvent) -> pb::SubscribeResponse {
    use pb::subscribe_response::Event;
    let (event, cursor) = match event {
        SyncEvent::Change(entity, cursor) => (Event::Change(change(*entity)), cursor),
        SyncEvent::Heartbeat(cursor, now_us) => (Event::Heartbeat(heartbeat(now_us)), cursor),
    };
    pb::SubscribeResponse {
        event: Some(event),
        cursor,
    }
}

/// The cursor of a sync request; none ("") for an initial sync.
pub fn cursor(value: &str) -> Result<Option<Cursor>> {
    match value {
        "" => Ok(None),
        given => Cursor::decode(given).map(Some).ok_or_else(|| {
            Error::invalid("cursor", "is not a cursor returned by Pull or Subscribe")
        }),
    }
}

/// Longest device or mutation id.
const MAX_SYNC_ID_CHARS: usize = 128;

fn sync_id(value: &str) -> Result<String, String> {
    match value.chars().count() {
        0 => Err("is required".into()),
        n if n > MAX_SYNC_ID_CHARS => {
            Err(format!("must be at most {MAX_SYNC_ID_CHARS} characters"))
        }
        _ => Ok(value.to_owned()),
    }
}

/// The mutations of a `PushRequest` by `caller`. Request-level problems
/// (ids, batch size) fail the whole push; bad content of one mutation
/// becomes its rejection.
pub fn push(
    caller: Uuid,
    request: pb::PushRequest,
    max: usize,
    now_us: i64,
) -> Result<Vec<Mutation>> {
    let mut check = Violations::new();
    check.check("device_id", sync_id(&request.device_id));
    if request.mutations.len() > max {
        check.add(
            "mutations",
            format!(
                "at most {max} mutations per push, got {}; split the batch",
                request.mutations.len()
            ),
        );
    }
    for (i, mutation) in request.mutations.iter().enumerate() {
        check.check(
            format!("mutations[{i}].mutation_id"),
            sync_id(&mutation.mutation_id),
        );
        if mutation.base_version < 0 {
            check.add(
                format!("mutations[{i}].base_version"),
                "must not be negative",
            );
        }
    }
    check.finish()?;
    Ok(request
        .mutations
        .into_iter()
        .map(|mut m| {
            let mutation_id = std::mem::take(&mut m.mutation_id);
            Mutation {
                mutation_id,
                base_version: m.base_version,
                payload_digest: payload_digest(&m),
                op: mutation_op(caller, m.op, now_us).map_err(|e| Rejection::from(&e)),
            }
        })
        .collect())
}

/// SHA-256 of a mutation whose id was cleared, in its canonical encoding:
/// the prost encoding of the decoded message.
///
/// The digest is of what the device sent, not of the parsed edit, so server
/// defaults (a rating's rate time is "now") cannot make a replay differ.
/// Re-encoding after decoding normalises how different client libraries
/// write the same message: prost writes fields in tag order, leaves out
/// proto3 defaults, drops fields the server does not know, and merges a
/// field sent twice as protobuf says (the last scalar wins), so field
/// order, defaults written out and unknown fields do not count; only what
/// the server acts on does.
fn payload_digest(mutation: &pb::Mutation) -> [u8; 32] {
    use prost::Message;
    use sha2::{Digest, Sha256};
    debug_assert!(mutation.mutation_id.is_empty(), "the id is not payload");
    Sha256::digest(mutation.encode_to_vec()).into()
}

fn mutation_op(caller: Uuid, op: Option<pb::mutation::Op>, now_us: i64) -> Result<MutationOp> {
    match op {
        Some(op) => upsert_op(op, caller, now_us),
        None => Err(Error::invalid(
            "op",
            "set one of the upsert fields or delete",
        )),
    }
}

/// The answer to one mutation; one that reported thoughts of self-harm
/// carries `crisis`.
pub fn push_result(result: MutationResult, crisis: &CrisisList) -> pb::MutationResult {
    let at_risk = result.reports_self_harm();
    let mut answer = pb::MutationResult::from(result);
    if at_risk {
        answer.crisis_resources = super::crisis_resources(crisis.clone());
    }
    answer
}

impl From<MutationResult> for pb::MutationResult {
    fn from(result: MutationResult) -> Self {
        let MutationResult {
            mutation_id,
            outcome,
            current,
            rejection,
        } = result;
        let Rejection {
            reason,
            message,
            violations,
        } = rejection.unwrap_or(Rejection {
            reason: String::new(),
            message: String::new(),
            violations: Vec::new(),
        });
        pb::MutationResult {
            mutation_id,
            outcome: pb::Outcome::from(outcome) as i32,
            current: current.map(change),
            error: message,
            reason,
            field_violations: violations
                .into_iter()
                .map(|FieldViolation { field, description }| pb::FieldViolation {
                    field,
                    description,
                })
                .collect(),
            crisis_resources: Vec::new(),
        }
    }
}
