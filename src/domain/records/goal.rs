//! goal

use chrono::NaiveDate;

use super::record::{Authors, Editable, Kind, Meta, Parent, Record};
use crate::encoding::Stored;
use crate::domain::attainment::AttainmentScale;

/// Where a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub enum GoalStatus {
    /// Being worked on.
    #[default]
    Active = 1,
    /// Reached.
    Achieved = 2,
    /// Set aside; kept for history.
    Archived = 3,
}

/// A goal of a client.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct Goal {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// What the client wants to achieve.
    pub title: String,
    /// Why it matters to them.
    pub why: String,
    /// When they want to have reached it, if they set a date.
    pub target_date: Option<NaiveDate>,
    /// Where the goal stands.
    pub status: GoalStatus,
    /// How its attainment is rated, if it is (goal attainment scaling).
    pub attainment_scale: Option<AttainmentScale>,
}

record!(Goal, authors: Authors::CarePlan, parent: |_goal| Parent::Client);

editable! {
    Goal / GoalField {
        Title: "title" => title,
        Why: "why" => why,
        TargetDate: "target_date" => target_date,
        Status: "status" => status,
        AttainmentScale: "attainment_scale" => attainment_scale,
    }
    immutable {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day, scale};

    impl Samples for Goal {
        fn samples() -> (Self, Self) {
            let a = Goal {
                meta: Meta::default(),
                title: "a".into(),
                why: "a".into(),
                target_date: None,
                status: GoalStatus::Active,
                attainment_scale: None,
            };
            let b = Goal {
                meta: Meta::default(),
                title: "b".into(),
                why: "b".into(),
                target_date: Some(day("2026-01-01")),
                status: GoalStatus::Archived,
                attainment_scale: Some(scale()),
            };
            (a, b)
        }
    }
}
