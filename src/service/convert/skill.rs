//! Coping skills, their practices and statistics.

use uuid::Uuid;

use super::{
    EditableFields, client_or_caller, editable_fields, enum_conversions, enum_value, id,
    id_or_caller, new_id, new_meta, required, timestamp, update,
};
use crate::app::{SkillStatsReport, SkillStatsTarget};
use crate::domain::skills::{self, SkillCategory, SkillStats, Trend};
use crate::domain::{Patch, Skill, SkillField, SkillPractice, fields};
use crate::error::{Result, Violations};
use crate::pb;

enum_conversions!(
    SkillCategory,
    pb::SkillCategory {
        Breathing,
        Mindfulness,
        Grounding,
        Relaxation,
        Communication,
        ProblemSolving,
        Other,
    }
);

impl From<Trend> for pb::SkillTrend {
    fn from(trend: Trend) -> Self {
        match trend {
            Trend::InsufficientData => pb::SkillTrend::InsufficientData,
            Trend::Improving => pb::SkillTrend::Improving,
            Trend::Steady => pb::SkillTrend::Steady,
            Trend::Worsening => pb::SkillTrend::Worsening,
        }
    }
}

impl EditableFields<pb::Skill> for Skill {
    fn parse_field(
        api: &pb::Skill,
        field: SkillField,
        into: &mut Skill,
        check: &mut Violations,
        (prefix, _creating): (&str, bool),
    ) {
        let path = |name: &str| format!("{prefix}.{name}");
        match field {
            SkillField::Title => into.title = check.check(path("title"), fields::title(&api.title)),
            SkillField::Category => {
                into.category = check.check(
                    path("category"),
                    enum_value::<pb::SkillCategory, _>(api.category),
                )
            }
            SkillField::Instructions => {
                into.instructions =
                    check.check(path("instructions"), fields::note(&api.instructions))
            }
        }
    }
}

/// A new skill; its client defaults to `caller`.
pub fn new_skill(caller: Uuid, skill: Option<pb::Skill>) -> Result<Skill> {
    let api = required(skill, "skill")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "skill.id", &mut check);
    let client_id = check.check("skill.client_id", id_or_caller(&api.client_id, caller));
    let mut skill = Skill {
        meta: new_meta(id, client_id),
        ..Skill::default()
    };
    editable_fields(&api, "skill", &mut check, &mut skill);
    check.finish()?;
    Ok(skill)
}

/// The id, expected version and patch of an `UpdateSkillRequest`.
pub fn skill_update(request: pb::UpdateSkillRequest) -> Result<(Uuid, i64, Patch<Skill>)> {
    update(request.skill, &request.update_mask, "skill")
}

/// A new practice from a `LogSkillPracticeRequest` (or a sync upsert); its
/// client is the skill's, filled in by the use case.
pub fn new_skill_practice(practice: Option<pb::SkillPractice>) -> Result<SkillPractice> {
    let api = required(practice, "skill_practice")?;
    let mut check = Violations::new();
    let practice = SkillPractice {
        meta: new_meta(
            new_id(&api.id, "skill_practice.id", &mut check),
            Uuid::nil(),
        ),
        skill_id: check.check("skill_practice.skill_id", fields::id(&api.skill_id)),
        local_date: check.check("skill_practice.local_date", fields::date(&api.local_date)),
        distress_before: check.check(
            "skill_practice.distress_before",
            skills::suds(api.distress_before),
        ),
        distress_after: check.check(
            "skill_practice.distress_after",
            skills::suds(api.distress_after),
        ),
        duration_minutes: check.check(
            "skill_practice.duration_minutes",
            skills::duration(api.duration_minutes),
        ),
        note: check.check("skill_practice.note", fields::note(&api.note)),
        private_note: api.private_note,
    };
    check.finish()?;
    Ok(practice)
}

/// The target of a `GetSkillStatsRequest`: none means the caller's own
/// statistics, as an empty `client_id` does elsewhere.
pub fn skill_stats_target(
    target: Option<pb::get_skill_stats_request::Target>,
    caller: Uuid,
) -> Result<SkillStatsTarget> {
    use pb::get_skill_stats_request::Target;
    match target {
        Some(Target::SkillId(skill)) => Ok(SkillStatsTarget::Skill(id(&skill, "skill_id")?)),
        Some(Target::ClientId(client)) => Ok(SkillStatsTarget::Client(client_or_caller(
            &client,
            "client_id",
            caller,
        )?)),
        None => Ok(SkillStatsTarget::Client(caller)),
    }
}

impl From<Skill> for pb::Skill {
    fn from(skill: Skill) -> Self {
        let Skill {
            meta,
            title,
            category,
            instructions,
        } = skill;
        pb::Skill {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            title,
            category: pb::SkillCategory::from(category) as i32,
            instructions,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
            created_by: meta.created_by.to_string(),
            updated_by: meta.updated_by.to_string(),
        }
    }
}

impl From<SkillPractice> for pb::SkillPractice {
    fn from(practice: SkillPractice) -> Self {
        let SkillPractice {
            meta,
            skill_id,
            local_date,
            distress_before,
            distress_after,
            duration_minutes,
            note,
            private_note,
        } = practice;
        pb::SkillPractice {
            id: meta.id.to_string(),
            skill_id: skill_id.to_string(),
            client_id: meta.client_id.to_string(),
            local_date: fields::format_date(local_date),
            distress_before: i32::from(distress_before),
            distress_after: i32::from(distress_after),
            duration_minutes: duration_minutes.unwrap_or(0),
            note,
            private_note,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
        }
    }
}

/// API form of one target's statistics.
fn stats(skill_id: Option<Uuid>, as_of: &str, stats: SkillStats) -> pb::SkillStats {
    let SkillStats {
        practices_7d,
        practices_28d,
        mean_drop_28d,
        lowered_share_28d,
        recent_mean_drop,
        earlier_mean_drop,
        trend,
    } = stats;
    pb::SkillStats {
        skill_id: skill_id.map(|id| id.to_string()).unwrap_or_default(),
        as_of_date: as_of.to_owned(),
        practices_7d: practices_7d as i32,
        practices_28d: practices_28d as i32,
        mean_distress_drop_28d: mean_drop_28d,
        lowered_share_28d,
        recent_mean_drop,
        earlier_mean_drop,
        trend: pb::SkillTrend::from(trend) as i32,
    }
}

impl From<SkillStatsReport> for pb::GetSkillStatsResponse {
    fn from(report: SkillStatsReport) -> Self {
        let SkillStatsReport {
            as_of,
            overall: (skill_id, overall),
            skills,
        } = report;
        let as_of = fields::format_date(as_of);
        pb::GetSkillStatsResponse {
            stats: Some(stats(skill_id, &as_of, overall)),
            skills: skills
                .into_iter()
                .map(|(id, each)| stats(Some(id), &as_of, each))
                .collect(),
            as_of_date: as_of,
        }
    }
}
