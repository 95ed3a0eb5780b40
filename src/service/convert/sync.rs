//! Sync: changes, mutations and their results.

use uuid::Uuid;

use super::{
    all, assessment_result, enum_conversions, enum_value, id, new_action_step, new_attainment,
    new_check_in, new_comment, new_goal, new_rating, new_skill, new_skill_practice,
    new_thought_record, result_draft, timestamp,
};
use crate::app::SyncEvent;
use crate::domain::{
    Cursor, Entity, Kind, Mutation, MutationOp, MutationResult, Outcome, Rejection, Tombstone,
};
use crate::error::{Error, FieldViolation, Result, Violations};
use crate::pb;

enum_conversions!(
    Kind,
    pb::EntityType {
        Goal,
        ActionStep,
        CheckIn,
        EfficacyRating,
        Assignment,
        AssessmentResult,
        AttainmentRating,
        Comment,
        Skill,
        SkillPractice,
        ThoughtRecord,
    }
);
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
    use pb::change::Entity as Api;
    let entity = match entity {
        Entity::Goal(r) => Api::Goal(r.into()),
        Entity::ActionStep(r) => Api::ActionStep(r.into()),
        Entity::CheckIn(r) => Api::CheckIn(r.into()),
        Entity::EfficacyRating(r) => Api::EfficacyRating(r.into()),
        Entity::Assignment(r) => Api::Assignment(r.into()),
        Entity::AssessmentResult(r) => Api::AssessmentResult(assessment_result(r)),
        Entity::AttainmentRating(r) => Api::AttainmentRating(r.into()),
        Entity::Comment(r) => Api::Comment(r.into()),
        Entity::Skill(r) => Api::Skill(r.into()),
        Entity::SkillPractice(r) => Api::SkillPractice(r.into()),
        Entity::ThoughtRecord(r) => Api::ThoughtRecord(r.into()),
        // Whether therapists see it was decided before it got here.
        Entity::Tombstone(Tombstone {
            kind,
            meta,
            hidden_from_therapists: _,
        }) => Api::Tombstone(pb::Tombstone {
            entity_type: pb::EntityType::from(kind) as i32,
            id: meta.id.to_string(),
            version: meta.version,
            client_id: meta.client_id.to_string(),
            delete_time: timestamp(meta.update_time_us),
        }),
    };
    pb::Change {
        entity: Some(entity),
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
    use pb::mutation::Op;
    Ok(match op {
        Some(Op::UpsertGoal(g)) => MutationOp::upsert(new_goal(caller, Some(g))?),
        Some(Op::UpsertActionStep(s)) => MutationOp::upsert(new_action_step(Some(s))?),
        Some(Op::UpsertCheckIn(c)) => MutationOp::upsert(new_check_in(Some(c))?.0),
        Some(Op::UpsertEfficacyRating(r)) => MutationOp::upsert(new_rating(Some(r), now_us)?),
        Some(Op::UpsertSkill(s)) => MutationOp::upsert(new_skill(caller, Some(s))?),
        Some(Op::UpsertSkillPractice(p)) => MutationOp::upsert(new_skill_practice(Some(p))?),
        Some(Op::UpsertThoughtRecord(t)) => {
            MutationOp::upsert(new_thought_record(caller, Some(t))?)
        }
        Some(Op::SubmitAssessmentResult(r)) => MutationOp::Submit(result_draft(Some(r))?),
        Some(Op::UpsertAttainmentRating(r)) => {
            // An app offline knows its day; the server would guess it.
            let dated = match r.local_date.as_str() {
                "" => Err(Error::invalid("rating.local_date", "is required in a push")),
                _ => Ok(()),
            };
            let ((rating, _), ()) = all((new_attainment(Some(r)), dated))?;
            MutationOp::upsert(rating)
        }
        Some(Op::UpsertComment(c)) => MutationOp::upsert(new_comment(Some(c))?),
        Some(Op::Delete(target)) => {
            let kind = enum_value::<pb::EntityType, Kind>(target.entity_type)
                .map_err(|e| Error::invalid("delete.entity_type", e));
            let (kind, id) = all((kind, id(&target.id, "delete.id")))?;
            MutationOp::Delete(kind, id)
        }
        None => {
            return Err(Error::invalid(
                "op",
                "set one of the upsert fields or delete",
            ));
        }
    })
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
        }
    }
}
