//! Upcoming reminders: the span and count of a listing, and each firing.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

use super::{micros, timestamp};
use crate::domain::reminders::{self, Firing, Span};
use crate::error::{Result, Violations};
use crate::pb;

/// The instant of an optional timestamp field.
fn instant(value: Option<&Timestamp>) -> Result<Option<DateTime<Utc>>, String> {
    value
        .map(|ts| {
            micros(ts).and_then(|us| {
                DateTime::from_timestamp_micros(us).ok_or_else(|| "is out of range".to_owned())
            })
        })
        .transpose()
}

/// The span and count of a `ListUpcomingRemindersRequest`; an unset start
/// is `now`.
pub fn upcoming_reminders(
    request: &pb::ListUpcomingRemindersRequest,
    now: DateTime<Utc>,
) -> Result<(Span, usize)> {
    let mut check = Violations::new();
    let start = check.ok("start_time", instant(request.start_time.as_ref()));
    let end = check.ok("end_time", instant(request.end_time.as_ref()));
    let span = match (start, end) {
        (Some(start), Some(end)) => {
            check.ok("end_time", reminders::span(start.unwrap_or(now), end))
        }
        _ => None,
    };
    let count = check.check("max_results", reminders::firing_count(request.max_results));
    check.finish()?;
    Ok((span.unwrap_or((now, now)), count))
}

impl From<Firing> for pb::UpcomingReminder {
    fn from(firing: Firing) -> Self {
        let Firing {
            step_id,
            reminder,
            at,
            local,
        } = firing;
        pb::UpcomingReminder {
            action_step_id: step_id.to_string(),
            reminder_index: i32::try_from(reminder).unwrap_or(i32::MAX),
            fire_time: timestamp(at.timestamp_micros()),
            local_time: local.format("%Y-%m-%dT%H:%M").to_string(),
        }
    }
}
