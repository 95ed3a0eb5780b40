//! The records Stepwise keeps. They mirror the public API closely but are a
//! separate contract: the stored encoding can stay put while the API evolves.
//! Enum numbers match the API's, which keeps conversions trivial.

use prost::{Enumeration, Message, Oneof};

/// Fields every client-owned record has.
#[derive(Clone, PartialEq, Message)]
pub struct Meta {
    /// Canonical UUID of the record.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Account id of the client who owns the record.
    #[prost(string, tag = "2")]
    pub client_id: String,
    /// The owner's sequence number at the record's last change.
    #[prost(int64, tag = "3")]
    pub version: i64,
    /// Creation time, microseconds since the Unix epoch.
    #[prost(int64, tag = "4")]
    pub create_time_us: i64,
    /// Time of the last change, microseconds since the Unix epoch.
    #[prost(int64, tag = "5")]
    pub update_time_us: i64,
    /// Account that created the record (the client, or a therapist).
    #[prost(string, tag = "6")]
    pub created_by: String,
    /// Account that last changed the record.
    #[prost(string, tag = "7")]
    pub updated_by: String,
}

/// Where a goal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum GoalStatus {
    /// Not set.
    Unspecified = 0,
    /// Being worked on.
    Active = 1,
    /// Reached.
    Achieved = 2,
    /// Set aside.
    Archived = 3,
}

/// A goal of a client.
#[derive(Clone, PartialEq, Message)]
pub struct Goal {
    /// Common fields.
    #[prost(message, required, tag = "1")]
    pub meta: Meta,
    /// What the client wants to achieve.
    #[prost(string, tag = "2")]
    pub title: String,
    /// Why it matters to them.
    #[prost(string, tag = "3")]
    pub why: String,
    /// `YYYY-MM-DD`, or empty when there is no target date.
    #[prost(string, tag = "4")]
    pub target_date: String,
    /// Where the goal stands.
    #[prost(enumeration = "GoalStatus", tag = "5")]
    pub status: i32,
}

/// Whether an action step is practised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum ActionStepStatus {
    /// Not set.
    Unspecified = 0,
    /// Being practised.
    Active = 1,
    /// Temporarily not practised.
    Paused = 2,
    /// No longer practised.
    Archived = 3,
}

/// `times` per `period_days` local days.
#[derive(Clone, Copy, PartialEq, Message)]
pub struct Schedule {
    /// How many times per period.
    #[prost(uint32, tag = "1")]
    pub times: u32,
    /// Length of the period in days.
    #[prost(uint32, tag = "2")]
    pub period_days: u32,
}

/// A habit practised towards a goal.
#[derive(Clone, PartialEq, Message)]
pub struct ActionStep {
    /// Common fields.
    #[prost(message, required, tag = "1")]
    pub meta: Meta,
    /// The goal the step belongs to.
    #[prost(string, tag = "2")]
    pub goal_id: String,
    /// What to do.
    #[prost(string, tag = "3")]
    pub title: String,
    /// How often.
    #[prost(message, required, tag = "4")]
    pub schedule: Schedule,
    /// Whether it is practised.
    #[prost(enumeration = "ActionStepStatus", tag = "5")]
    pub status: i32,
}

/// What happened to an action step on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum CheckInState {
    /// Not set.
    Unspecified = 0,
    /// Done.
    Done = 1,
    /// Partly done.
    Partial = 2,
    /// Deliberately skipped.
    Skipped = 3,
}

/// One action step on one local day.
#[derive(Clone, PartialEq, Message)]
pub struct CheckIn {
    /// Common fields.
    #[prost(message, required, tag = "1")]
    pub meta: Meta,
    /// The step checked in.
    #[prost(string, tag = "2")]
    pub action_step_id: String,
    /// `YYYY-MM-DD` in the client's time zone.
    #[prost(string, tag = "3")]
    pub local_date: String,
    /// What happened.
    #[prost(enumeration = "CheckInState", tag = "4")]
    pub state: i32,
    /// How much, in the step's own unit.
    #[prost(double, tag = "5")]
    pub amount: f64,
    /// The client's words.
    #[prost(string, tag = "6")]
    pub note: String,
    /// The note is for the client only, not for therapists.
    #[prost(bool, tag = "7")]
    pub private_note: bool,
}

impl CheckIn {
    /// The check-in as a therapist may see it: a private note is blanked.
    pub fn for_therapist(mut self) -> Self {
        if self.private_note {
            self.note.clear();
        }
        self
    }
}

/// What a rating is about.
#[derive(Clone, PartialEq, Eq, Oneof)]
pub enum RatingTarget {
    /// A goal.
    #[prost(string, tag = "2")]
    GoalId(String),
    /// An action step.
    #[prost(string, tag = "3")]
    ActionStepId(String),
}

impl RatingTarget {
    /// Id of the rated record.
    pub fn id(&self) -> &str {
        match self {
            RatingTarget::GoalId(id) | RatingTarget::ActionStepId(id) => id,
        }
    }
}

/// A self-efficacy rating at one moment.
#[derive(Clone, PartialEq, Message)]
pub struct EfficacyRating {
    /// Common fields.
    #[prost(message, required, tag = "1")]
    pub meta: Meta,
    /// What is rated.
    #[prost(oneof = "RatingTarget", tags = "2, 3")]
    pub target: Option<RatingTarget>,
    /// 0 to 100.
    #[prost(int32, tag = "4")]
    pub score: i32,
    /// The client's words.
    #[prost(string, tag = "5")]
    pub note: String,
    /// When the client gave the rating, microseconds since the Unix epoch.
    #[prost(int64, tag = "6")]
    pub rate_time_us: i64,
}

/// The kinds of client-owned records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum EntityKind {
    /// Not set.
    Unspecified = 0,
    /// [`Goal`].
    Goal = 1,
    /// [`ActionStep`].
    ActionStep = 2,
    /// [`CheckIn`].
    CheckIn = 3,
    /// [`EfficacyRating`].
    EfficacyRating = 4,
}

impl EntityKind {
    /// Name used in error messages.
    pub fn noun(self) -> &'static str {
        match self {
            EntityKind::Unspecified => "record",
            EntityKind::Goal => "goal",
            EntityKind::ActionStep => "action step",
            EntityKind::CheckIn => "check-in",
            EntityKind::EfficacyRating => "efficacy rating",
        }
    }
}

/// What remains of a deleted record: enough for sync to tell devices.
#[derive(Clone, PartialEq, Message)]
pub struct Tombstone {
    /// Kind of the deleted record.
    #[prost(enumeration = "EntityKind", tag = "1")]
    pub kind: i32,
    /// The record's common fields; `version` and `update_time_us` are the
    /// deletion's.
    #[prost(message, required, tag = "2")]
    pub meta: Meta,
}

/// Any client-owned record, live or deleted.
#[derive(Clone, PartialEq, Oneof)]
pub enum Entity {
    /// A goal.
    #[prost(message, tag = "1")]
    Goal(Goal),
    /// An action step.
    #[prost(message, tag = "2")]
    ActionStep(ActionStep),
    /// A check-in.
    #[prost(message, tag = "3")]
    CheckIn(CheckIn),
    /// A rating.
    #[prost(message, tag = "4")]
    EfficacyRating(EfficacyRating),
    /// A deleted record.
    #[prost(message, tag = "5")]
    Tombstone(Tombstone),
}

impl Entity {
    /// Common fields.
    pub fn meta(&self) -> &Meta {
        match self {
            Entity::Goal(r) => &r.meta,
            Entity::ActionStep(r) => &r.meta,
            Entity::CheckIn(r) => &r.meta,
            Entity::EfficacyRating(r) => &r.meta,
            Entity::Tombstone(r) => &r.meta,
        }
    }

    /// Common fields, for the store to stamp versions and times.
    pub fn meta_mut(&mut self) -> &mut Meta {
        match self {
            Entity::Goal(r) => &mut r.meta,
            Entity::ActionStep(r) => &mut r.meta,
            Entity::CheckIn(r) => &mut r.meta,
            Entity::EfficacyRating(r) => &mut r.meta,
            Entity::Tombstone(r) => &mut r.meta,
        }
    }

    /// Kind of the record (of the deleted record, for a tombstone).
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Goal(_) => EntityKind::Goal,
            Entity::ActionStep(_) => EntityKind::ActionStep,
            Entity::CheckIn(_) => EntityKind::CheckIn,
            Entity::EfficacyRating(_) => EntityKind::EfficacyRating,
            Entity::Tombstone(t) => t.kind(),
        }
    }

    /// Whether this is a tombstone.
    pub fn is_deleted(&self) -> bool {
        matches!(self, Entity::Tombstone(_))
    }
}

/// The stored form of an [`Entity`] (prost needs a message around a oneof).
#[derive(Clone, PartialEq, Message)]
pub struct StoredEntity {
    /// The record.
    #[prost(oneof = "Entity", tags = "1, 2, 3, 4, 5")]
    pub entity: Option<Entity>,
}

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum Role {
    /// Not set.
    Unspecified = 0,
    /// Owns goals and progress.
    Client = 1,
    /// Supports linked clients.
    Therapist = 2,
    /// Manages accounts.
    Admin = 3,
}

/// A user of Stepwise.
#[derive(Clone, PartialEq, Message)]
pub struct Account {
    /// Canonical UUID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// What the account may do.
    #[prost(enumeration = "Role", tag = "2")]
    pub role: i32,
    /// Name shown to others.
    #[prost(string, tag = "3")]
    pub display_name: String,
    /// IANA time zone of the account's local days.
    #[prost(string, tag = "4")]
    pub time_zone: String,
    /// Creation time, microseconds since the Unix epoch.
    #[prost(int64, tag = "5")]
    pub create_time_us: i64,
    /// Time of the last change.
    #[prost(int64, tag = "6")]
    pub update_time_us: i64,
    /// Increases on every change.
    #[prost(int64, tag = "7")]
    pub version: i64,
}

/// A kind of client-owned record, convertible to and from [`Entity`].
pub trait Record: Sized {
    /// Its kind.
    const KIND: EntityKind;
    /// The record inside `entity`, if it is one of this kind.
    fn from_entity(entity: Entity) -> Option<Self>;
    /// Wraps the record.
    fn into_entity(self) -> Entity;
}

macro_rules! record {
    ($type:ident) => {
        impl Record for $type {
            const KIND: EntityKind = EntityKind::$type;
            fn from_entity(entity: Entity) -> Option<Self> {
                match entity {
                    Entity::$type(record) => Some(record),
                    _ => None,
                }
            }
            fn into_entity(self) -> Entity {
                Entity::$type(self)
            }
        }
    };
}

record!(Goal);
record!(ActionStep);
record!(CheckIn);
record!(EfficacyRating);

/// New values for some fields of a goal (`None` leaves a field as it is).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalPatch {
    /// New title.
    pub title: Option<String>,
    /// New reason.
    pub why: Option<String>,
    /// New target date (`Some("")` clears it).
    pub target_date: Option<String>,
    /// New status.
    pub status: Option<GoalStatus>,
}

impl GoalPatch {
    /// Applies the patch.
    pub fn apply(&self, goal: &mut Goal) {
        set(&mut goal.title, &self.title);
        set(&mut goal.why, &self.why);
        set(&mut goal.target_date, &self.target_date);
        if let Some(status) = self.status {
            goal.set_status(status);
        }
    }
}

/// New values for some fields of an action step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionStepPatch {
    /// New title.
    pub title: Option<String>,
    /// New schedule.
    pub schedule: Option<Schedule>,
    /// New status.
    pub status: Option<ActionStepStatus>,
}

impl ActionStepPatch {
    /// Applies the patch.
    pub fn apply(&self, step: &mut ActionStep) {
        set(&mut step.title, &self.title);
        set(&mut step.schedule, &self.schedule);
        if let Some(status) = self.status {
            step.set_status(status);
        }
    }
}

fn set<T: Clone>(field: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *field = value.clone();
    }
}
