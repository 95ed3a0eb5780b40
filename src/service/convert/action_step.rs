//! Action steps.

use uuid::Uuid;

use super::{
    EditableFields, editable_fields, enum_conversions, enum_or, enum_value, new_id, new_meta,
    required, timestamp, update,
};
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
        }
    }
}
