//! Thought records and insight statistics.

use uuid::Uuid;

use super::{
    EditableFields, editable_fields, enum_conversions, enum_value, new_id, new_meta, required,
    timestamp, update,
};
use crate::app::InsightReport;
use crate::domain::thoughts::{self, Distortion, Emotion, InsightStats};
use crate::domain::{Patch, ThoughtRecord, ThoughtRecordField, fields};
use crate::error::{Result, Violations};
use crate::pb;

enum_conversions!(
    Distortion,
    pb::CognitiveDistortion {
        AllOrNothingThinking,
        Overgeneralisation,
        MentalFilter,
        DisqualifyingThePositive,
        JumpingToConclusions,
        MagnificationOrMinimisation,
        EmotionalReasoning,
        ShouldStatements,
        Labelling,
        Personalisation,
    }
);

impl EditableFields<pb::ThoughtRecord> for ThoughtRecord {
    fn parse_field(
        api: &pb::ThoughtRecord,
        field: ThoughtRecordField,
        into: &mut ThoughtRecord,
        check: &mut Violations,
        (prefix, _creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        let mut text = |name: &str, value: &str| check.check(path(name), fields::note(value));
        match field {
            ThoughtRecordField::Situation => into.situation = text("situation", &api.situation),
            ThoughtRecordField::AutomaticThought => {
                into.automatic_thought = text("automatic_thought", &api.automatic_thought)
            }
            ThoughtRecordField::EvidenceFor => {
                into.evidence_for = text("evidence_for", &api.evidence_for)
            }
            ThoughtRecordField::EvidenceAgainst => {
                into.evidence_against = text("evidence_against", &api.evidence_against)
            }
            ThoughtRecordField::BalancedThought => {
                into.balanced_thought = text("balanced_thought", &api.balanced_thought)
            }
            ThoughtRecordField::LocalDate => {
                into.local_date = check.check(path("local_date"), fields::date(&api.local_date))
            }
            ThoughtRecordField::Emotions => {
                into.emotions = emotions(&api.emotions, &path("emotions"), check)
            }
            ThoughtRecordField::Distortions => {
                for (i, raw) in api.distortions.iter().enumerate() {
                    let parsed = enum_value::<pb::CognitiveDistortion, Distortion>(*raw);
                    if let Some(distortion) =
                        check.check(path(&format!("distortions[{i}]")), parsed.map(Some))
                    {
                        into.distortions.insert(distortion);
                    }
                }
            }
            ThoughtRecordField::BeliefBefore => {
                into.belief_before = check.check(
                    path("belief_before"),
                    api.belief_before.map(thoughts::rating).transpose(),
                )
            }
            ThoughtRecordField::BeliefAfter => {
                into.belief_after = check.check(
                    path("belief_after"),
                    api.belief_after.map(thoughts::rating).transpose(),
                )
            }
            ThoughtRecordField::Private => into.private = api.private_record,
        }
    }
}

/// The emotions of a record at `path` (`thought_record.emotions`): each
/// checked, and the list as a whole.
fn emotions(api: &[pb::Emotion], path: &str, check: &mut Violations) -> Vec<Emotion> {
    let names: Vec<&str> = api.iter().map(|e| e.name.as_str()).collect();
    for (at, problem) in thoughts::emotion_list_problems(&names) {
        match at {
            Some(i) => check.add(format!("{path}[{i}].name"), problem),
            None => check.add(path, problem),
        }
    }
    api.iter()
        .enumerate()
        .map(|(i, e)| Emotion {
            name: check.check(format!("{path}[{i}].name"), thoughts::emotion_name(&e.name)),
            before: check.check(
                format!("{path}[{i}].intensity_before"),
                thoughts::rating(e.intensity_before),
            ),
            after: check.check(
                format!("{path}[{i}].intensity_after"),
                e.intensity_after.map(thoughts::rating).transpose(),
            ),
        })
        .collect()
}

/// A new thought record of `caller` (a record's client is always its
/// writer).
pub fn new_thought_record(
    caller: Uuid,
    record: Option<pb::ThoughtRecord>,
) -> Result<ThoughtRecord> {
    let api = required(record, "thought_record")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "thought_record.id", &mut check);
    let mut record = ThoughtRecord {
        meta: new_meta(id, caller),
        ..ThoughtRecord::default()
    };
    editable_fields(&api, "thought_record", &mut check, &mut record);
    check.finish()?;
    Ok(record)
}

/// The id, expected version and patch of an `UpdateThoughtRecordRequest`.
pub fn thought_record_update(
    request: pb::UpdateThoughtRecordRequest,
) -> Result<(Uuid, i64, Patch<ThoughtRecord>)> {
    update(
        request.thought_record,
        &request.update_mask,
        "thought_record",
    )
}

/// API form of distortion counts.
pub fn distortion_counts(counts: Vec<(Distortion, u32)>) -> Vec<pb::DistortionCount> {
    counts
        .into_iter()
        .map(|(distortion, count)| pb::DistortionCount {
            distortion: pb::CognitiveDistortion::from(distortion) as i32,
            count: count as i32,
        })
        .collect()
}

impl From<ThoughtRecord> for pb::ThoughtRecord {
    fn from(record: ThoughtRecord) -> Self {
        let ThoughtRecord {
            meta,
            local_date,
            situation,
            automatic_thought,
            emotions,
            distortions,
            evidence_for,
            evidence_against,
            balanced_thought,
            belief_before,
            belief_after,
            private,
        } = record;
        pb::ThoughtRecord {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            local_date: fields::format_date(local_date),
            situation,
            automatic_thought,
            emotions: emotions
                .into_iter()
                .map(
                    |Emotion {
                         name,
                         before,
                         after,
                     }| pb::Emotion {
                        name,
                        intensity_before: i32::from(before),
                        intensity_after: after.map(i32::from),
                    },
                )
                .collect(),
            distortions: distortions
                .into_iter()
                .map(|d| pb::CognitiveDistortion::from(d) as i32)
                .collect(),
            evidence_for,
            evidence_against,
            balanced_thought,
            belief_before: belief_before.map(i32::from),
            belief_after: belief_after.map(i32::from),
            private_record: private,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
        }
    }
}

impl From<InsightReport> for pb::InsightStats {
    fn from(report: InsightReport) -> Self {
        let InsightReport { start, end, stats } = report;
        let InsightStats {
            records,
            mean_emotion_change,
            mean_belief_change,
            distortions,
        } = stats;
        pb::InsightStats {
            start_date: fields::format_date(start),
            end_date: fields::format_date(end),
            records: records as i32,
            mean_emotion_change,
            mean_belief_change,
            distortions: distortion_counts(distortions),
        }
    }
}
