//! Aggregates kept up to date in the same transaction as the records they
//! summarise, so progress and dashboards read a few small values instead
//! of a client's whole history: per step, the state of each day it was
//! checked in ([`StepTrack`]); per client, the plan and the ratings that
//! progress is computed over ([`ClientTrack`]).
//!
//! Local days are fixed when a record is written, in the client's time zone
//! of that moment: a later change of time zone leaves recorded days as they
//! are.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::{ActionStepStatus, CheckIn, CheckInState, GoalStatus, RatingTarget, Schedule};

/// A step's check-ins, by local day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepTrack {
    /// Each day with a check-in.
    pub days: BTreeMap<NaiveDate, TrackedDay>,
}

/// What a day's check-in says about the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedDay {
    /// What happened.
    pub state: CheckInState,
    /// When the check-in was first logged, microseconds since the Unix
    /// epoch.
    pub logged_us: i64,
}

impl StepTrack {
    /// Takes a logged or changed check-in into account.
    pub fn set(&mut self, check_in: &CheckIn) {
        self.days.insert(
            check_in.local_date,
            TrackedDay {
                state: check_in.state,
                logged_us: check_in.meta.create_time_us,
            },
        );
    }

    /// Forgets the check-in of a day (it was deleted).
    pub fn remove(&mut self, day: NaiveDate) {
        self.days.remove(&day);
    }
}

/// A client's goals, steps and ratings, as progress needs them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientTrack {
    /// Live goals, by id.
    pub goals: BTreeMap<Uuid, TrackedGoal>,
    /// Live steps, by id.
    pub steps: BTreeMap<Uuid, TrackedStep>,
    /// Live ratings, by id.
    pub ratings: BTreeMap<Uuid, TrackedRating>,
}

/// A goal, as progress needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedGoal {
    /// Where it stands.
    pub status: GoalStatus,
}

/// A step, as progress needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedStep {
    /// Its goal.
    pub goal_id: Uuid,
    /// How often it is due.
    pub schedule: Schedule,
    /// Whether it is practised.
    pub status: ActionStepStatus,
    /// The client's local day on which it was created.
    pub start_day: NaiveDate,
}

/// A self-efficacy rating, as progress needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedRating {
    /// What is rated.
    pub target: RatingTarget,
    /// When it was given, microseconds since the Unix epoch.
    pub rate_time_us: i64,
    /// The client's local day when it was given.
    pub local_day: NaiveDate,
    /// 0 to 100.
    pub score: u8,
}

impl ClientTrack {
    /// The ratings of `target`, in the order they were given.
    pub fn ratings_of(&self, target: Uuid) -> Vec<TrackedRating> {
        let mut ratings: Vec<TrackedRating> = self
            .ratings
            .values()
            .filter(|r| r.target.id() == target)
            .copied()
            .collect();
        ratings.sort_by_key(|r| r.rate_time_us);
        ratings
    }

    /// The steps of `goal`, by id.
    pub fn steps_of(&self, goal: Uuid) -> impl Iterator<Item = (&Uuid, &TrackedStep)> {
        self.steps.iter().filter(move |(_, s)| s.goal_id == goal)
    }
}
