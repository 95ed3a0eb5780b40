//! Progress and client summaries.

use super::{enum_conversions, id, timestamp};
use crate::app::{
    ClientSummary, Flag, ProgressReport, ProgressTarget, StepProgress, SummarySeverity,
};
use crate::domain::fields;
use crate::domain::progress::{Efficacy, Stats};
use crate::error::{Error, Result};
use crate::pb;

enum_conversions!(
    Flag,
    pb::Flag {
        Inactive,
        LowAdherence,
        EfficacyDrop,
        SelfHarmRisk,
        ReliableDeterioration,
        AssessmentOverdue,
        NoSafetyPlan,
    }
);
enum_conversions!(
    SummarySeverity,
    pb::SummarySeverity {
        None,
        Low,
        Medium,
        High,
        Critical,
    }
);

/// The target of a `GetProgressRequest`.
pub fn progress_target(target: Option<pb::get_progress_request::Target>) -> Result<ProgressTarget> {
    use pb::get_progress_request::Target;
    match target {
        Some(Target::ActionStepId(step)) => {
            Ok(ProgressTarget::ActionStep(id(&step, "action_step_id")?))
        }
        Some(Target::GoalId(goal)) => Ok(ProgressTarget::Goal(id(&goal, "goal_id")?)),
        Some(Target::ClientId(client)) => Ok(ProgressTarget::Client(id(&client, "client_id")?)),
        None => Err(Error::invalid(
            "target",
            "set action_step_id, goal_id or client_id",
        )),
    }
}

impl From<Stats> for pb::ProgressStats {
    fn from(stats: Stats) -> Self {
        pb::ProgressStats {
            current_streak: stats.current_streak as i32,
            best_streak: stats.best_streak as i32,
            adherence_7d: stats.adherence_7d,
            adherence_28d: stats.adherence_28d,
            habit_strength: stats.habit_strength,
        }
    }
}

impl From<Efficacy> for pb::EfficacyStats {
    fn from(efficacy: Efficacy) -> Self {
        pb::EfficacyStats {
            first: efficacy.first,
            latest: efficacy.latest,
            change_28d: efficacy.change_28d,
            count: efficacy.count as i32,
        }
    }
}

impl From<ProgressReport> for pb::Progress {
    fn from(report: ProgressReport) -> Self {
        let ProgressReport {
            as_of,
            stats,
            efficacy,
            steps,
            last_check_in: _,
            attainment,
        } = report;
        pb::Progress {
            as_of_date: fields::format_date(as_of),
            stats: Some(stats.into()),
            efficacy: Some(efficacy.into()),
            steps: steps
                .into_iter()
                .map(|step| {
                    let StepProgress {
                        id,
                        goal_id,
                        status,
                        stats,
                        efficacy,
                    } = step;
                    pb::StepProgress {
                        action_step_id: id.to_string(),
                        goal_id: goal_id.to_string(),
                        status: pb::ActionStepStatus::from(status) as i32,
                        stats: Some(stats.into()),
                        efficacy: Some(efficacy.into()),
                    }
                })
                .collect(),
            attainment: attainment.map(Into::into),
        }
    }
}

impl From<ClientSummary> for pb::ClientSummary {
    fn from(summary: ClientSummary) -> Self {
        let ClientSummary {
            client_id,
            display_name,
            progress,
            instruments,
            flags,
            severity,
            skill_practices_7d,
            thought_records_7d,
        } = summary;
        pb::ClientSummary {
            client_id: client_id.to_string(),
            display_name,
            last_check_in_time: progress.last_check_in.and_then(|(_, us)| timestamp(us)),
            last_check_in_date: progress
                .last_check_in
                .map(|(day, _)| fields::format_date(day))
                .unwrap_or_default(),
            adherence_7d: progress.stats.adherence_7d,
            adherence_28d: progress.stats.adherence_28d,
            habit_strength: progress.stats.habit_strength,
            efficacy_latest: progress.efficacy.latest,
            efficacy_change_28d: progress.efficacy.change_28d,
            flags: flags
                .into_iter()
                .map(|flag| pb::Flag::from(flag) as i32)
                .collect(),
            instruments: instruments.into_iter().map(Into::into).collect(),
            severity: pb::SummarySeverity::from(severity) as i32,
            skill_practices_7d: skill_practices_7d as i32,
            thought_records_7d: thought_records_7d as i32,
        }
    }
}
