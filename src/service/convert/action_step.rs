//! Action steps.

use chrono::Weekday;
use uuid::Uuid;

use super::{
    EditableFields, editable_fields, enum_conversions, enum_or, enum_value, new_id, new_meta,
    required, timestamp, update,
};
use crate::domain::reminders::{QuietHours, Reminder, Repeat, TimeOfDay, Weekdays, reminder_count};
use crate::domain::{ActionStep, ActionStepField, ActionStepStatus, Patch, Schedule, fields};
use crate::error::{Result, Violations};
use crate::pb;

enum_conversions!(
    ActionStepStatus,
    pb::ActionStepStatus {
        Active,
        Paused,
        Archived,
    }
);

fn schedule(value: Option<&pb::Schedule>) -> Result<Schedule, String> {
    let value = value.ok_or("is required")?;
    Schedule::new(value.times, value.period_days)
}

/// The day of the week `raw` names; unspecified and unknown values are
/// refused.
fn day_of_week(raw: i32) -> Result<Weekday, String> {
    use pb::DayOfWeek as Api;
    match Api::try_from(raw) {
        Ok(Api::Monday) => Ok(Weekday::Mon),
        Ok(Api::Tuesday) => Ok(Weekday::Tue),
        Ok(Api::Wednesday) => Ok(Weekday::Wed),
        Ok(Api::Thursday) => Ok(Weekday::Thu),
        Ok(Api::Friday) => Ok(Weekday::Fri),
        Ok(Api::Saturday) => Ok(Weekday::Sat),
        Ok(Api::Sunday) => Ok(Weekday::Sun),
        Ok(Api::Unspecified) => Err("must be a day of the week, not unspecified".into()),
        Err(_) => Err(format!("unknown day of the week {raw}")),
    }
}

fn api_day_of_week(day: Weekday) -> pb::DayOfWeek {
    use pb::DayOfWeek as Api;
    match day {
        Weekday::Mon => Api::Monday,
        Weekday::Tue => Api::Tuesday,
        Weekday::Wed => Api::Wednesday,
        Weekday::Thu => Api::Thursday,
        Weekday::Fri => Api::Friday,
        Weekday::Sat => Api::Saturday,
        Weekday::Sun => Api::Sunday,
    }
}

/// One reminder at `path`, every violation named.
fn reminder(api: &pb::Reminder, path: &str, check: &mut Violations) -> Option<Reminder> {
    let time = check.ok(format!("{path}.time"), TimeOfDay::parse(&api.time));
    let repeat = match (api.days.is_empty(), api.every_days) {
        (true, 0) => {
            check.add(
                format!("{path}.days"),
                "name at least one day of the week, or set every_days",
            );
            None
        }
        (false, 0) => {
            let mut days = Vec::new();
            for (index, raw) in api.days.iter().enumerate() {
                let day = check.ok(format!("{path}.days[{index}]"), day_of_week(*raw));
                match day {
                    Some(day) if days.contains(&day) => {
                        check.add(format!("{path}.days[{index}]"), "named twice")
                    }
                    Some(day) => days.push(day),
                    None => {}
                }
            }
            Weekdays::of(days).ok().map(Repeat::On)
        }
        (true, every) => check.ok(format!("{path}.every_days"), Repeat::every(every)),
        (false, _) => {
            check.add(
                format!("{path}.every_days"),
                "set either days or every_days, not both",
            );
            None
        }
    };
    Some(Reminder {
        time: time?,
        repeat: repeat?,
    })
}

fn reminders(api: &[pb::Reminder], path: &str, check: &mut Violations) -> Vec<Reminder> {
    check.ok(path, reminder_count(api.len()));
    api.iter()
        .enumerate()
        .filter_map(|(index, one)| reminder(one, &format!("{path}[{index}]"), check))
        .collect()
}

fn quiet_hours(
    api: Option<&pb::QuietHours>,
    path: &str,
    check: &mut Violations,
) -> Option<QuietHours> {
    let api = api?;
    let start = check.ok(format!("{path}.start"), TimeOfDay::parse(&api.start));
    let end = check.ok(format!("{path}.end"), TimeOfDay::parse(&api.end));
    check.ok(path, QuietHours::new(start?, end?))
}

impl From<Reminder> for pb::Reminder {
    fn from(reminder: Reminder) -> Self {
        let (days, every_days) = match reminder.repeat {
            Repeat::On(days) => (days.days().map(|d| api_day_of_week(d) as i32).collect(), 0),
            Repeat::Every(every) => (Vec::new(), u32::from(every)),
        };
        pb::Reminder {
            time: reminder.time.to_string(),
            days,
            every_days,
        }
    }
}

impl From<QuietHours> for pb::QuietHours {
    fn from(quiet: QuietHours) -> Self {
        pb::QuietHours {
            start: quiet.start.to_string(),
            end: quiet.end.to_string(),
        }
    }
}

impl EditableFields<pb::ActionStep> for ActionStep {
    fn parse_field(
        api: &pb::ActionStep,
        field: ActionStepField,
        into: &mut ActionStep,
        check: &mut Violations,
        (prefix, creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        match field {
            ActionStepField::Title => {
                into.title = check.check(path("title"), fields::title(&api.title))
            }
            ActionStepField::Schedule => {
                into.schedule = check.check(path("schedule"), schedule(api.schedule.as_ref()))
            }
            ActionStepField::Status => {
                let parsed = if creating {
                    enum_or::<pb::ActionStepStatus, _>(api.status, ActionStepStatus::Active)
                } else {
                    enum_value::<pb::ActionStepStatus, _>(api.status)
                };
                into.status = check.check(path("status"), parsed);
            }
            ActionStepField::Reminders => {
                into.reminders = reminders(&api.reminders, &path("reminders"), check)
            }
            ActionStepField::QuietHours => {
                into.quiet_hours =
                    quiet_hours(api.quiet_hours.as_ref(), &path("quiet_hours"), check)
            }
        }
    }
}

/// A new action step; its client is the goal's, filled in by the use case.
pub fn new_action_step(step: Option<pb::ActionStep>) -> Result<ActionStep> {
    let api = required(step, "action_step")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "action_step.id", &mut check);
    let goal_id = check.check("action_step.goal_id", fields::id(&api.goal_id));
    let mut step = ActionStep {
        meta: new_meta(id, Uuid::nil()),
        goal_id,
        ..ActionStep::default()
    };
    editable_fields(&api, "action_step", &mut check, &mut step);
    check.finish()?;
    Ok(step)
}

/// The id, expected version and patch of an `UpdateActionStepRequest`.
pub fn action_step_update(
    request: pb::UpdateActionStepRequest,
) -> Result<(Uuid, i64, Patch<ActionStep>)> {
    update(request.action_step, &request.update_mask, "action_step")
}

impl From<ActionStep> for pb::ActionStep {
    fn from(step: ActionStep) -> Self {
        let ActionStep {
            meta,
            goal_id,
            title,
            schedule: Schedule { times, period_days },
            status,
            reminders,
            quiet_hours,
        } = step;
        pb::ActionStep {
            id: meta.id.to_string(),
            goal_id: goal_id.to_string(),
            client_id: meta.client_id.to_string(),
            title,
            schedule: Some(pb::Schedule { times, period_days }),
            status: pb::ActionStepStatus::from(status) as i32,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
            created_by: meta.created_by.to_string(),
            updated_by: meta.updated_by.to_string(),
            reminders: reminders.into_iter().map(Into::into).collect(),
            quiet_hours: quiet_hours.map(Into::into),
        }
    }
}
