//! Check-ins.

use uuid::Uuid;

use super::{
    EditableFields, editable_fields, enum_conversions, enum_value, new_id, new_meta, required,
    timestamp,
};
use crate::domain::{CheckIn, CheckInField, CheckInState, fields};
use crate::error::{Result, Violations};
use crate::pb;

enum_conversions!(
    CheckInState,
    pb::CheckInState {
        Done,
        Partial,
        Skipped,
    }
);

impl EditableFields<pb::CheckIn> for CheckIn {
    fn parse_field(
        api: &pb::CheckIn,
        field: CheckInField,
        into: &mut CheckIn,
        check: &mut Violations,
        (prefix, _creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        match field {
            CheckInField::State => {
                into.state =
                    check.check(path("state"), enum_value::<pb::CheckInState, _>(api.state))
            }
            CheckInField::Amount => {
                into.amount = check.check(path("amount"), fields::amount(api.amount))
            }
            CheckInField::Note => into.note = check.check(path("note"), fields::note(&api.note)),
            CheckInField::PrivateNote => into.private_note = api.private_note,
        }
    }
}

/// A check-in and its expected version from a `LogCheckInRequest` (or a
/// sync upsert); its client is the step's, filled in by the use case.
pub fn new_check_in(check_in: Option<pb::CheckIn>) -> Result<(CheckIn, i64)> {
    let api = required(check_in, "check_in")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "check_in.id", &mut check);
    let action_step_id = check.check("check_in.action_step_id", fields::id(&api.action_step_id));
    let local_date = check.check("check_in.local_date", fields::date(&api.local_date));
    let mut record = CheckIn {
        meta: new_meta(id, Uuid::nil()),
        action_step_id,
        local_date,
        ..CheckIn::default()
    };
    editable_fields(&api, "check_in", &mut check, &mut record);
    check.finish()?;
    Ok((record, api.version))
}

impl From<CheckIn> for pb::CheckIn {
    fn from(check_in: CheckIn) -> Self {
        let CheckIn {
            meta,
            action_step_id,
            local_date,
            state,
            amount,
            note,
            private_note,
        } = check_in;
        pb::CheckIn {
            id: meta.id.to_string(),
            action_step_id: action_step_id.to_string(),
            client_id: meta.client_id.to_string(),
            local_date: fields::format_date(local_date),
            state: pb::CheckInState::from(state) as i32,
            amount,
            note,
            private_note,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
        }
    }
}
