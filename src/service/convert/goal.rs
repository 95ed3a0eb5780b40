//! Goals.

use uuid::Uuid;

use super::{
    EditableFields, attainment_scale, editable_fields, enum_conversions, enum_or, enum_value,
    id_or_caller, new_id, new_meta, required, timestamp, update,
};
use crate::domain::{Goal, GoalField, GoalStatus, Patch, fields};
use crate::error::{Result, Violations};
use crate::pb;

enum_conversions!(
    GoalStatus,
    pb::GoalStatus {
        Active,
        Achieved,
        Archived,
    }
);

impl EditableFields<pb::Goal> for Goal {
    fn parse_field(
        api: &pb::Goal,
        field: GoalField,
        into: &mut Goal,
        check: &mut Violations,
        (prefix, creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        match field {
            GoalField::Title => into.title = check.check(path("title"), fields::title(&api.title)),
            GoalField::Why => into.why = check.check(path("why"), fields::note(&api.why)),
            GoalField::TargetDate => {
                into.target_date =
                    check.check(path("target_date"), fields::optional_date(&api.target_date))
            }
            GoalField::Status => {
                let parsed = if creating {
                    enum_or::<pb::GoalStatus, _>(api.status, GoalStatus::Active)
                } else {
                    enum_value::<pb::GoalStatus, _>(api.status)
                };
                into.status = check.check(path("status"), parsed);
            }
            GoalField::AttainmentScale => {
                into.attainment_scale = attainment_scale(
                    api.attainment_scale.as_ref(),
                    &path("attainment_scale"),
                    check,
                )
            }
        }
    }
}

/// A new goal; its client defaults to `caller`.
pub fn new_goal(caller: Uuid, goal: Option<pb::Goal>) -> Result<Goal> {
    let api = required(goal, "goal")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "goal.id", &mut check);
    let client_id = check.check("goal.client_id", id_or_caller(&api.client_id, caller));
    let mut goal = Goal {
        meta: new_meta(id, client_id),
        ..Goal::default()
    };
    editable_fields(&api, "goal", &mut check, &mut goal);
    check.finish()?;
    Ok(goal)
}

/// The id, expected version and patch of an `UpdateGoalRequest`.
pub fn goal_update(request: pb::UpdateGoalRequest) -> Result<(Uuid, i64, Patch<Goal>)> {
    update(request.goal, &request.update_mask, "goal")
}

impl From<Goal> for pb::Goal {
    fn from(goal: Goal) -> Self {
        let Goal {
            meta,
            title,
            why,
            target_date,
            status,
            attainment_scale,
        } = goal;
        pb::Goal {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            title,
            why,
            target_date: target_date.map(fields::format_date).unwrap_or_default(),
            status: pb::GoalStatus::from(status) as i32,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
            created_by: meta.created_by.to_string(),
            updated_by: meta.updated_by.to_string(),
            attainment_scale: attainment_scale.map(Into::into),
        }
    }
}
