//! Therapists' sessions and the pre-session digest.

use uuid::Uuid;

use super::{assessment_result, distortion_counts, micros, new_id, required, timestamp};
use crate::app::{ProgressReport, SessionDigest};
use crate::domain::digest::{Digest, EfficacyChange};
use crate::domain::{RatingTarget, Session, fields};
use crate::error::{Error, Result, Violations};
use crate::pb;

/// A new session from a `RecordSessionRequest`; its therapist is the
/// caller, filled in by the use case.
pub fn new_session(session: Option<pb::Session>, now_us: i64) -> Result<Session> {
    let api = required(session, "session")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "session.id", &mut check);
    let client_id = check.check("session.client_id", fields::id(&api.client_id));
    let session_time_us = match &api.session_time {
        Some(ts) => check.check(
            "session.session_time",
            micros(ts).and_then(|us| fields::rate_time(us, now_us)),
        ),
        None => {
            check.add("session.session_time", "is required");
            0
        }
    };
    let note = check.check("session.note", fields::note(&api.note));
    check.finish()?;
    Ok(Session {
        id,
        therapist_id: Uuid::nil(),
        client_id,
        session_time_us,
        note,
        create_time_us: 0,
    })
}

/// The start of a digest's period, not after `now_us`; unset means the
/// default.
pub fn since_time(value: Option<&prost_types::Timestamp>, now_us: i64) -> Result<Option<i64>> {
    value
        .map(|ts| {
            micros(ts)
                .and_then(|us| fields::past_time(us, now_us))
                .map_err(|e| Error::invalid("since_time", e))
        })
        .transpose()
}

impl From<Session> for pb::Session {
    fn from(session: Session) -> Self {
        let Session {
            id,
            therapist_id,
            client_id,
            session_time_us,
            note,
            create_time_us,
        } = session;
        pb::Session {
            id: id.to_string(),
            therapist_id: therapist_id.to_string(),
            client_id: client_id.to_string(),
            session_time: timestamp(session_time_us),
            note,
            create_time: timestamp(create_time_us),
        }
    }
}

fn snapshot(report: ProgressReport) -> pb::ProgressSnapshot {
    pb::ProgressSnapshot {
        as_of_date: fields::format_date(report.as_of),
        adherence_7d: report.stats.adherence_7d,
        adherence_28d: report.stats.adherence_28d,
        habit_strength: report.stats.habit_strength,
    }
}

impl From<EfficacyChange> for pb::EfficacyChange {
    fn from(change: EfficacyChange) -> Self {
        use pb::efficacy_change::Target;
        let EfficacyChange { target, then, now } = change;
        pb::EfficacyChange {
            target: Some(match target {
                RatingTarget::Goal(id) => Target::GoalId(id.to_string()),
                RatingTarget::ActionStep(id) => Target::ActionStepId(id.to_string()),
            }),
            score_then: then.map(i32::from),
            score_now: i32::from(now),
        }
    }
}

/// API form of a list of records.
fn api<T: Into<A>, A>(items: Vec<T>) -> Vec<A> {
    items.into_iter().map(Into::into).collect()
}

impl From<SessionDigest> for pb::SessionDigest {
    fn from(digest: SessionDigest) -> Self {
        let SessionDigest {
            client_id,
            period,
            since_session,
            digest,
            progress_then,
            progress_now,
        } = digest;
        let Digest {
            goals_created,
            goals_achieved,
            goals_archived,
            steps_created,
            steps_archived,
            efficacy_ratings,
            efficacy_changes,
            assessment_results,
            attainment_ratings,
            comments,
            skill_practices,
            mean_distress_drop,
            thought_records,
            distortions,
            journal_entries,
            truncated,
        } = digest;
        pb::SessionDigest {
            client_id: client_id.to_string(),
            since_time: timestamp(period.since_us),
            since_session_id: since_session.map(|id| id.to_string()).unwrap_or_default(),
            until_time: timestamp(period.until_us),
            goals_created: api(goals_created),
            goals_achieved: api(goals_achieved),
            goals_archived: api(goals_archived),
            steps_created: api(steps_created),
            steps_archived: api(steps_archived),
            progress_then: Some(snapshot(progress_then)),
            progress_now: Some(snapshot(progress_now)),
            efficacy_ratings: api(efficacy_ratings),
            efficacy_changes: api(efficacy_changes),
            assessment_results: assessment_results
                .into_iter()
                .map(assessment_result)
                .collect(),
            attainment_ratings: api(attainment_ratings),
            comments: api(comments),
            skill_practices: api(skill_practices),
            mean_distress_drop,
            thought_records: api(thought_records),
            distortions: distortion_counts(distortions),
            journal_entries: api(journal_entries),
            truncated,
        }
    }
}
