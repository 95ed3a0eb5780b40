//! Requests, as an app would build them.

use stepwise::pb;

/// A new client-generated id, as an app that works offline makes one.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A goal with just a title.
pub fn goal(title: &str) -> pb::Goal {
    pb::Goal {
        title: title.into(),
        ..Default::default()
    }
}

/// A 3-per-week action step under `goal_id`.
pub fn step(goal_id: &str, title: &str) -> pb::ActionStep {
    pb::ActionStep {
        goal_id: goal_id.into(),
        title: title.into(),
        schedule: Some(pb::Schedule {
            times: 3,
            period_days: 7,
        }),
        ..Default::default()
    }
}

/// A check-in of `step_id` on `date`.
pub fn check_in(step_id: &str, date: &str, state: pb::CheckInState) -> pb::CheckIn {
    pb::CheckIn {
        action_step_id: step_id.into(),
        local_date: date.into(),
        state: state as i32,
        ..Default::default()
    }
}

/// What a self-efficacy rating is about.
#[derive(Debug, Clone)]
pub enum Rated {
    /// A goal, by id.
    Goal(String),
    /// An action step, by id.
    Step(String),
}

impl Rated {
    /// The target of a rating.
    pub fn target(&self) -> pb::efficacy_rating::Target {
        use pb::efficacy_rating::Target;
        match self {
            Rated::Goal(id) => Target::GoalId(id.clone()),
            Rated::Step(id) => Target::ActionStepId(id.clone()),
        }
    }

    /// The target of a list request.
    pub fn list_target(&self) -> pb::list_efficacy_ratings_request::Target {
        use pb::list_efficacy_ratings_request::Target;
        match self {
            Rated::Goal(id) => Target::GoalId(id.clone()),
            Rated::Step(id) => Target::ActionStepId(id.clone()),
        }
    }
}

/// A rating of `of` with `score`, given now.
pub fn rating(of: &Rated, score: i32) -> pb::EfficacyRating {
    pb::EfficacyRating {
        target: Some(of.target()),
        score,
        ..Default::default()
    }
}

/// An update mask of `paths`.
pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A timestamp at `seconds` since the Unix epoch.
pub fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

/// Microseconds since the Unix epoch of a timestamp.
pub fn micros(ts: &Option<prost_types::Timestamp>) -> i64 {
    let ts = ts.as_ref().expect("timestamp is set");
    ts.seconds * 1_000_000 + i64::from(ts.nanos / 1000)
}

/// Microseconds since the Unix epoch, now, by the clock the server uses.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// What a change carries, named as the export names it, and the record's
/// id.
pub fn kind_and_id(change: &pb::Change) -> (&'static str, &str) {
    use pb::change::Entity;
    match change.entity.as_ref().expect("a record") {
        Entity::Goal(r) => ("goal", &r.id),
        Entity::ActionStep(r) => ("action step", &r.id),
        Entity::CheckIn(r) => ("check-in", &r.id),
        Entity::EfficacyRating(r) => ("rating", &r.id),
        Entity::Assignment(r) => ("assignment", &r.id),
        Entity::AssessmentResult(r) => ("assessment result", &r.id),
        Entity::AttainmentRating(r) => ("attainment rating", &r.id),
        Entity::Comment(r) => ("comment", &r.id),
        Entity::Skill(r) => ("skill", &r.id),
        Entity::SkillPractice(r) => ("skill practice", &r.id),
        Entity::ThoughtRecord(r) => ("thought record", &r.id),
        Entity::JournalEntry(r) => ("journal entry", &r.id),
        Entity::SafetyPlan(r) => ("safety plan", &r.id),
        Entity::RiskAlert(r) => ("risk alert", &r.id),
        Entity::Tombstone(r) => ("tombstone", &r.id),
    }
}
