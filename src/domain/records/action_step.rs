//! action step

use uuid::Uuid;

use super::record::{Authors, Editable, Kind, Meta, Parent, Record};
use crate::domain::reminders::{QuietHours, Reminder};
use crate::encoding::Stored;


/// Whether an action step is practised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub enum ActionStepStatus {
    /// Being practised.
    #[default]
    Active = 1,
    /// Temporarily not practised.
    Paused = 2,
    /// No longer practised.
    Archived = 3,
}

/// `times` per `period_days` local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct Schedule {
    /// How many times per period, at least 1 and at most `period_days`.
    pub times: u32,
    /// Length of the period in days.
    pub period_days: u32,
}

/// Longest schedule period, in days.
pub const MAX_PERIOD_DAYS: u32 = 366;

impl Schedule {
    /// A schedule of `times` per `period_days`, at most one per day.
    pub fn new(times: u32, period_days: u32) -> Result<Schedule, String> {
        if times == 0 || period_days == 0 {
            return Err("times and period_days must both be at least 1".into());
        }
        if period_days > MAX_PERIOD_DAYS {
            return Err(format!("period_days must be at most {MAX_PERIOD_DAYS}"));
        }
        if times > period_days {
            return Err(format!(
                "times ({times}) must not exceed period_days ({period_days}): one check-in per day counts"
            ));
        }
        Ok(Schedule { times, period_days })
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            times: 1,
            period_days: 1,
        }
    }
}

/// A habit practised towards a goal.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct ActionStep {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The goal the step belongs to.
    pub goal_id: Uuid,
    /// What to do.
    pub title: String,
    /// How often.
    pub schedule: Schedule,
    /// Whether it is practised.
    pub status: ActionStepStatus,
    /// When to remind the client (at most
    /// [`crate::domain::reminders::MAX_REMINDERS`]). Added after steps were
    /// stored, as were the quiet hours: a step stored before has none.
    #[stored(added)]
    pub reminders: Vec<Reminder>,
    /// Local hours in which no reminder fires.
    #[stored(added)]
    pub quiet_hours: Option<QuietHours>,
}

record!(ActionStep, authors: Authors::CarePlan, parent: |step| Parent::Record(Kind::Goal, step.goal_id));

editable! {
    ActionStep / ActionStepField {
        Title: "title" => title,
        Schedule: "schedule" => schedule,
        Status: "status" => status,
        Reminders: "reminders" => reminders,
        QuietHours: "quiet_hours" => quiet_hours,
    }
    immutable { goal_id: "goal_id", }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::Samples;
    use crate::domain::reminders::{Repeat, TimeOfDay};

    impl Samples for ActionStep {
        fn samples() -> (Self, Self) {
            let a = ActionStep {
                meta: Meta::default(),
                goal_id: Uuid::from_u128(1),
                title: "a".into(),
                schedule: Schedule {
                    times: 1,
                    period_days: 1,
                },
                status: ActionStepStatus::Active,
                reminders: Vec::new(),
                quiet_hours: None,
            };
            let b = ActionStep {
                meta: Meta::default(),
                goal_id: Uuid::from_u128(2),
                title: "b".into(),
                schedule: Schedule {
                    times: 3,
                    period_days: 7,
                },
                status: ActionStepStatus::Paused,
                reminders: vec![Reminder {
                    time: TimeOfDay::at(7, 30).expect("time"),
                    repeat: Repeat::every(3).expect("repeat"),
                }],
                quiet_hours: Some(
                    QuietHours::new(
                        TimeOfDay::at(22, 0).expect("time"),
                        TimeOfDay::at(7, 0).expect("time"),
                    )
                    .expect("quiet hours"),
                ),
            };
            (a, b)
        }
    }

    #[test]
    fn schedules_allow_at_most_one_check_in_per_day() {
        assert_eq!(
            Schedule::new(3, 7),
            Ok(Schedule {
                times: 3,
                period_days: 7
            })
        );
        assert!(Schedule::new(0, 7).is_err());
        assert!(Schedule::new(1, 0).is_err());
        assert!(Schedule::new(8, 7).is_err());
        assert!(Schedule::new(1, 367).is_err());
    }
}
