//! Safety plans: each section's entries parsed and checked (every bad
//! entry named by its index), a save's base revision, and the API message.

use uuid::Uuid;

use super::{
    EditableFields, Pushed, editable_fields, masked, new_id, new_meta, patch, required, timestamp,
};
use crate::domain::{
    MutationOp, Patch, PlanAgency, PlanContact, SafetyPlan, SafetyPlanSection, plan_entries,
    plan_entry, plan_hours, plan_name, plan_phone,
};
use crate::error::{Result, Violations};
use crate::pb;

/// The request field that carries a plan.
pub const SAFETY_PLAN: &str = "safety_plan";

impl EditableFields<pb::SafetyPlan> for SafetyPlan {
    fn parse_field(
        api: &pb::SafetyPlan,
        field: SafetyPlanSection,
        into: &mut SafetyPlan,
        check: &mut Violations,
        (prefix, _creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        let texts = |name: &str, values: &[String], check: &mut Violations| {
            section(&path(name), values, check, |at, value, check| {
                check.check(at, plan_entry(value))
            })
        };
        let contacts = |name: &str, values: &[pb::SafetyPlanContact], check: &mut Violations| {
            section(&path(name), values, check, |at, contact, check| {
                PlanContact {
                    name: check.check(format!("{at}.name"), plan_name(&contact.name)),
                    phone: check.check(format!("{at}.phone"), plan_phone(&contact.phone)),
                }
            })
        };
        match field {
            SafetyPlanSection::WarningSigns => {
                into.warning_signs = texts("warning_signs", &api.warning_signs, check)
            }
            SafetyPlanSection::CopingStrategies => {
                into.coping_strategies = texts("coping_strategies", &api.coping_strategies, check)
            }
            SafetyPlanSection::Distractions => {
                into.distractions = contacts("distractions", &api.distractions, check)
            }
            SafetyPlanSection::PeopleToAsk => {
                into.people_to_ask = contacts("people_to_ask", &api.people_to_ask, check)
            }
            SafetyPlanSection::Professionals => {
                into.professionals = section(
                    &path("professionals"),
                    &api.professionals,
                    check,
                    |at, agency, check| PlanAgency {
                        name: check.check(format!("{at}.name"), plan_name(&agency.name)),
                        phone: check.check(format!("{at}.phone"), plan_phone(&agency.phone)),
                        hours: check.check(format!("{at}.hours"), plan_hours(&agency.hours)),
                    },
                )
            }
            SafetyPlanSection::SafeEnvironment => {
                into.safe_environment = texts("safe_environment", &api.safe_environment, check)
            }
            SafetyPlanSection::ReasonsForLiving => {
                into.reasons_for_living =
                    texts("reasons_for_living", &api.reasons_for_living, check)
            }
        }
    }
}

/// The entries of one section at `path`, each parsed by `entry` under
/// `path[i]`; too many entries are a violation of the section.
fn section<A, D>(
    path: &str,
    values: &[A],
    check: &mut Violations,
    entry: impl Fn(String, &A, &mut Violations) -> D,
) -> Vec<D> {
    check.check(path, plan_entries(values.len()));
    values
        .iter()
        .enumerate()
        .map(|(i, value)| entry(format!("{path}[{i}]"), value, check))
        .collect()
}

/// The revision in a message, as a domain revision: at least `least`.
fn revision(value: i64, least: u32, check: &mut Violations) -> u32 {
    check.check(
        format!("{SAFETY_PLAN}.revision"),
        u32::try_from(value)
            .ok()
            .filter(|revision| *revision >= least)
            .ok_or_else(|| format!("must be between {least} and {}", u32::MAX)),
    )
}

/// An `UpdateSafetyPlanRequest` of `caller`: the client, the revision the
/// edit started from, and the sections it changes.
pub fn safety_plan_update(
    request: pb::UpdateSafetyPlanRequest,
    caller: Uuid,
) -> Result<(Uuid, u32, Patch<SafetyPlan>)> {
    let api = required(request.safety_plan, SAFETY_PLAN)?;
    let mut check = Violations::new();
    let client = check.check(
        format!("{SAFETY_PLAN}.client_id"),
        super::id_or_caller(&api.client_id, caller),
    );
    // The revision the edit started from: 0 when there is no plan yet.
    let base = revision(api.revision, 0, &mut check);
    let chosen = masked(
        &request.update_mask,
        <SafetyPlan as crate::domain::Editable>::FIELDS,
        &mut check,
    );
    let edit = patch(&api, chosen, SAFETY_PLAN, &mut check);
    check.finish()?;
    Ok((client, base, edit))
}

impl Pushed for pb::SafetyPlan {
    fn mutation(self, caller: Uuid, _now_us: i64) -> Result<MutationOp> {
        let mut check = Violations::new();
        let id = new_id(&self.id, "safety_plan.id", &mut check);
        let mut plan = SafetyPlan {
            meta: new_meta(id, caller),
            // The new version's own revision: 1 for a first plan.
            revision: revision(self.revision, 1, &mut check),
            ..SafetyPlan::default()
        };
        editable_fields(&self, SAFETY_PLAN, &mut check, &mut plan);
        check.finish()?;
        Ok(MutationOp::upsert(plan))
    }
}

impl From<SafetyPlan> for pb::SafetyPlan {
    fn from(plan: SafetyPlan) -> Self {
        let SafetyPlan {
            meta,
            revision,
            warning_signs,
            coping_strategies,
            distractions,
            people_to_ask,
            professionals,
            safe_environment,
            reasons_for_living,
        } = plan;
        let contacts = |contacts: Vec<PlanContact>| {
            contacts
                .into_iter()
                .map(|PlanContact { name, phone }| pb::SafetyPlanContact { name, phone })
                .collect()
        };
        pb::SafetyPlan {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            revision: i64::from(revision),
            warning_signs,
            coping_strategies,
            distractions: contacts(distractions),
            people_to_ask: contacts(people_to_ask),
            professionals: professionals
                .into_iter()
                .map(|PlanAgency { name, phone, hours }| pb::SafetyPlanAgency {
                    name,
                    phone,
                    hours,
                })
                .collect(),
            safe_environment,
            reasons_for_living,
            saved_by: meta.created_by.to_string(),
            save_time: timestamp(meta.create_time_us),
            version: meta.version,
        }
    }
}
