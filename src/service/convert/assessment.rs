//! Questionnaires: instruments, assignments, results and their summaries.

use std::borrow::Cow;

use uuid::Uuid;

use super::{enum_conversions, new_id, required, timestamp};
use crate::app::{AssessedResult, DueAssessment, InstrumentSummary, LatestResult, NewAssignment};
use crate::domain::assessment::{
    self, Assessed, ReliableChange, ResultChange, ResultDraft, ResultFlag,
};
use crate::domain::assignments;
use crate::domain::instruments::{
    self, AnyInstrument, BandDraft, ChangeRules, CustomInstrumentDraft, Instrument, ItemDraft,
    RankedBand,
};
use crate::domain::{AssessmentResult, Assignment, fields};
use crate::error::{Error, Result, Violations};
use crate::pb;

enum_conversions!(
    ResultFlag,
    pb::AssessmentFlag {
        SelfHarmRisk,
        ReliableDeterioration,
    }
);

impl From<ReliableChange> for pb::ReliableChange {
    fn from(change: ReliableChange) -> Self {
        match change {
            ReliableChange::NoReliableChange => pb::ReliableChange::None,
            ReliableChange::Improvement => pb::ReliableChange::Improvement,
            ReliableChange::Deterioration => pb::ReliableChange::Deterioration,
        }
    }
}

/// A custom instrument from a `CreateInstrumentRequest`, checked: every bad
/// field is named (`instrument.items[2].labels[0].value`).
pub fn new_instrument(instrument: Option<pb::Instrument>) -> Result<Instrument> {
    let api = required(instrument, "instrument")?;
    let mut check = Violations::new();
    let id = check.check(
        "instrument.id",
        fields::new_id(&api.id).and_then(instruments::custom_instrument_id),
    );
    let draft = CustomInstrumentDraft {
        short_name: api.short_name,
        title: api.title,
        instructions: api.instructions,
        items: api
            .items
            .into_iter()
            .map(|item| ItemDraft {
                text: item.text,
                min_value: item.min_value,
                max_value: item.max_value,
                labels: item
                    .labels
                    .into_iter()
                    .map(|l| (l.value, l.label))
                    .collect(),
            })
            .collect(),
        bands: api
            .bands
            .into_iter()
            .map(|band| BandDraft {
                min_score: band.min_score,
                max_score: band.max_score,
                label: band.label,
            })
            .collect(),
    };
    let instrument = match draft.check(id) {
        Ok(instrument) => Some(instrument),
        Err(violations) => {
            check.extend_under("instrument", violations);
            None
        }
    };
    check.finish()?;
    instrument.ok_or_else(|| crate::error::Error::internal("a checked instrument is missing"))
}

/// API form of an instrument.
pub fn instrument(any: AnyInstrument) -> pb::Instrument {
    let (owner, create_time_us) = match &any {
        AnyInstrument::BuiltIn(_) => (None, None),
        AnyInstrument::Custom(custom) => (Some(custom.owner), Some(custom.create_time_us)),
    };
    let Instrument {
        id,
        version,
        short_name,
        title,
        instructions,
        items,
        bands,
        change_rules,
        self_harm_item,
        attribution,
    } = match any {
        AnyInstrument::BuiltIn(built_in) => built_in.clone(),
        AnyInstrument::Custom(custom) => custom.instrument,
    };
    pb::Instrument {
        id: id.to_string(),
        version: i64::from(version),
        short_name: short_name.into_owned(),
        title: title.into_owned(),
        instructions: instructions.into_owned(),
        items: items
            .iter()
            .map(|item| pb::InstrumentItem {
                text: item.text.to_string(),
                min_value: i32::from(item.min_value),
                max_value: i32::from(item.max_value),
                labels: item
                    .labels
                    .iter()
                    .map(|l| pb::AnswerLabel {
                        value: i32::from(l.value),
                        label: l.label.to_string(),
                    })
                    .collect(),
            })
            .collect(),
        bands: bands
            .iter()
            .enumerate()
            .map(|(rank, band)| {
                severity_band(RankedBand {
                    rank: u32::try_from(rank).unwrap_or(u32::MAX),
                    band: band.clone(),
                })
            })
            .collect(),
        built_in: owner.is_none(),
        change_rules: change_rules.map(
            |ChangeRules {
                 reliable_change,
                 remission_below,
             }| pb::ChangeRules {
                reliable_change: saturate(reliable_change),
                remission_below: saturate(remission_below),
            },
        ),
        self_harm_item: self_harm_item.map(|i| i32::try_from(i).unwrap_or(i32::MAX)),
        attribution: attribution.into_owned(),
        created_by: owner.map(|o| o.to_string()).unwrap_or_default(),
        create_time: create_time_us.and_then(timestamp),
    }
}

/// A count or score as an API `int32`.
fn saturate(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn severity_band(ranked: RankedBand) -> pb::SeverityBand {
    let RankedBand { rank, band } = ranked;
    pb::SeverityBand {
        min_score: saturate(band.min_score),
        max_score: saturate(band.max_score),
        label: match band.label {
            Cow::Borrowed(label) => label.to_owned(),
            Cow::Owned(label) => label,
        },
        rank: saturate(rank),
    }
}

/// A new assignment from an `AssignAssessmentRequest`.
pub fn new_assignment(assignment: Option<pb::Assignment>) -> Result<NewAssignment> {
    let api = required(assignment, "assignment")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "assignment.id", &mut check);
    let client_id = check.check("assignment.client_id", fields::id(&api.client_id));
    let instrument_id = check.check("assignment.instrument_id", fields::id(&api.instrument_id));
    let every_days = check.check(
        "assignment.every_days",
        assignments::every_days(i64::from(api.every_days)),
    );
    let start = check.check(
        "assignment.start_date",
        fields::optional_date(&api.start_date),
    );
    check.finish()?;
    Ok(NewAssignment {
        id,
        client_id,
        instrument_id,
        every_days,
        start,
    })
}

impl From<Assignment> for pb::Assignment {
    fn from(assignment: Assignment) -> Self {
        let Assignment {
            meta,
            instrument_id,
            schedule,
        } = assignment;
        let state = match schedule.cancelled_on {
            Some(_) => pb::AssignmentState::Cancelled,
            None => pb::AssignmentState::Active,
        };
        pb::Assignment {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            instrument_id: instrument_id.to_string(),
            every_days: i32::try_from(schedule.every()).unwrap_or(i32::MAX),
            start_date: fields::format_date(schedule.start),
            state: state as i32,
            cancel_date: schedule
                .cancelled_on
                .map(fields::format_date)
                .unwrap_or_default(),
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
            created_by: meta.created_by.to_string(),
            updated_by: meta.updated_by.to_string(),
        }
    }
}

/// The answers of a `SubmitAssessmentRequest` (or a sync submission),
/// before they are checked against the instrument. What is wrong with its
/// other fields goes with the draft, to be reported with the answers'
/// violations ([`ResultDraft::score`]); without an instrument id there is
/// nothing to check the answers against, so it fails at once.
pub fn result_draft(result: Option<pb::AssessmentResult>) -> Result<ResultDraft> {
    let api = required(result, "result")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "result.id", &mut check);
    if api.instrument_version < 0 {
        check.add(
            "result.instrument_version",
            format!("must not be negative, got {}", api.instrument_version),
        );
    }
    let local_date = check.check("result.local_date", fields::date(&api.local_date));
    match fields::id(&api.instrument_id) {
        Ok(instrument_id) => Ok(ResultDraft {
            id,
            instrument_id,
            instrument_version: api.instrument_version,
            local_date,
            answers: api.answers,
            violations: check.into_vec(),
        }),
        Err(description) => {
            check.add("result.instrument_id", description);
            Err(Error::InvalidFields(check.into_vec()))
        }
    }
}

impl From<AssessmentResult> for pb::AssessmentResult {
    fn from(result: AssessmentResult) -> Self {
        assessment_result(result)
    }
}

/// API form of a result as a change feed carries it: what follows from
/// its own answers (total, band, the self-harm flag), without the change
/// against the first result, which depends on the client's other results.
pub fn assessment_result(result: AssessmentResult) -> pb::AssessmentResult {
    let flags = assessment::own_flags(&result);
    result_message(
        result,
        Assessed {
            change: None,
            flags,
        },
    )
}

impl From<AssessedResult> for pb::AssessmentResult {
    fn from(assessed: AssessedResult) -> Self {
        result_message(assessed.result, assessed.assessed)
    }
}

fn result_message(result: AssessmentResult, assessed: Assessed) -> pb::AssessmentResult {
    let total = result.total();
    let AssessmentResult {
        meta,
        instrument_id,
        instrument_version,
        local_date,
        answers,
        severity,
    } = result;
    let Assessed { change, flags } = assessed;
    pb::AssessmentResult {
        id: meta.id.to_string(),
        client_id: meta.client_id.to_string(),
        instrument_id: instrument_id.to_string(),
        instrument_version: i64::from(instrument_version),
        local_date: fields::format_date(local_date),
        answers: answers.into_iter().map(i32::from).collect(),
        total: saturate(total),
        severity: severity.map(severity_band),
        change: change.map(|(first, change)| result_change(first, change)),
        flags: flags
            .into_iter()
            .map(|flag| pb::AssessmentFlag::from(flag) as i32)
            .collect(),
        create_time: timestamp(meta.create_time_us),
        update_time: timestamp(meta.update_time_us),
        version: meta.version,
        // Only the answer to a submission carries them.
        crisis_resources: Vec::new(),
    }
}

fn result_change(first: Uuid, change: ResultChange) -> pb::ResultChange {
    let ResultChange {
        first_total,
        difference,
        reliable_change,
        response,
        remission,
    } = change;
    pb::ResultChange {
        first_result_id: first.to_string(),
        first_total: saturate(first_total),
        difference: i32::try_from(difference).unwrap_or(i32::MAX),
        reliable_change: reliable_change.map_or(pb::ReliableChange::Unspecified, Into::into) as i32,
        response,
        remission,
    }
}

impl From<DueAssessment> for pb::DueAssessment {
    fn from(due: DueAssessment) -> Self {
        let DueAssessment {
            assignment,
            due_date,
            overdue,
            instrument_version,
        } = due;
        pb::DueAssessment {
            assignment: Some(assignment.into()),
            due_date: fields::format_date(due_date),
            overdue,
            instrument_version: i64::from(instrument_version),
        }
    }
}

impl From<InstrumentSummary> for pb::InstrumentSummary {
    fn from(summary: InstrumentSummary) -> Self {
        let InstrumentSummary {
            instrument_id,
            short_name,
            latest,
            overdue,
        } = summary;
        let mut api = pb::InstrumentSummary {
            instrument_id: instrument_id.to_string(),
            short_name,
            overdue,
            ..Default::default()
        };
        if let Some(LatestResult {
            id,
            local_date,
            total,
            severity,
            assessed: Assessed { change, flags },
        }) = latest
        {
            api.latest_result_id = id.to_string();
            api.latest_date = fields::format_date(local_date);
            api.latest_total = Some(saturate(total));
            api.severity = severity.map(severity_band);
            api.change = change.map(|(first, change)| result_change(first, change));
            api.flags = flags
                .into_iter()
                .map(|flag| pb::AssessmentFlag::from(flag) as i32)
                .collect();
        }
        api
    }
}
