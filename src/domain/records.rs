//! The records a client owns, as typed values, and what every kind of
//! record says about itself: where it hangs, how it is ordered among its
//! siblings, what a therapist may see of it, and which fields may change.
//!
//! A kind of record is one column of facts: its type here, its row in
//! [`records!`] (the [`Entity`] and [`Kind`] enums), its editable fields in
//! [`editable!`], its storage encoding declared on its type
//! (`#[derive(Stored)]`, [`crate::encoding`]: a field added to a kind is
//! stored with no other change), and its API conversions in
//! `crate::service::convert`. Each of those places matches
//! exhaustively, so a kind or field forgotten somewhere does not compile;
//! `tests::every_field_is_editable_or_immutable` catches a struct field
//! missing from the editable list.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use uuid::Uuid;

use super::assignments::AssignmentSchedule;
use super::attainment::{AttainmentLevel, AttainmentScale};
use super::instruments::{self, RankedBand};
use super::skills::SkillCategory;
use super::thoughts::{Distortion, Emotion};
use crate::encoding::Stored;

/// Fields every client-owned record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Meta {
    /// The record's id; ids are never reused, not even after a delete.
    pub id: Uuid,
    /// The client who owns the record.
    pub client_id: Uuid,
    /// The owner's sequence number at the record's last change.
    pub version: i64,
    /// Creation time, microseconds since the Unix epoch.
    pub create_time_us: i64,
    /// Time of the last change, microseconds since the Unix epoch.
    pub update_time_us: i64,
    /// The account that created the record (the client, or a therapist).
    pub created_by: Uuid,
    /// The account that last changed the record.
    pub updated_by: Uuid,
}

impl Meta {
    /// The fields of a record about to be created with `id` for `client_id`;
    /// the store stamps the rest.
    pub fn new(id: Uuid, client_id: Uuid) -> Self {
        Self {
            id,
            client_id,
            ..Self::default()
        }
    }
}

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
}

/// What happened to an action step on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub enum CheckInState {
    /// Done.
    #[default]
    Done = 1,
    /// Partly done.
    Partial = 2,
    /// Deliberately skipped.
    Skipped = 3,
}

/// One action step on one local day.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct CheckIn {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The step checked in.
    pub action_step_id: Uuid,
    /// The day, in the client's time zone.
    pub local_date: NaiveDate,
    /// What happened.
    pub state: CheckInState,
    /// How much, in the step's own unit.
    pub amount: f64,
    /// The client's words.
    pub note: String,
    /// The note is for the client only, not for therapists.
    pub private_note: bool,
}

/// What a self-efficacy rating is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Stored)]
#[repr(u8)]
pub enum RatingTarget {
    /// A goal.
    Goal(Uuid) = 1,
    /// An action step.
    ActionStep(Uuid) = 2,
}

impl RatingTarget {
    /// Id of the rated record.
    pub fn id(&self) -> Uuid {
        match self {
            RatingTarget::Goal(id) | RatingTarget::ActionStep(id) => *id,
        }
    }

    /// Kind of the rated record.
    pub fn kind(&self) -> Kind {
        match self {
            RatingTarget::Goal(_) => Kind::Goal,
            RatingTarget::ActionStep(_) => Kind::ActionStep,
        }
    }
}

impl Default for RatingTarget {
    fn default() -> Self {
        RatingTarget::Goal(Uuid::nil())
    }
}

/// A self-efficacy rating at one moment, on Bandura's 0 to 100 scale.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct EfficacyRating {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// What is rated.
    pub target: RatingTarget,
    /// 0 to 100.
    pub score: u8,
    /// The client's words.
    pub note: String,
    /// When the client gave the rating, microseconds since the Unix epoch.
    pub rate_time_us: i64,
}

/// A therapist's request that the client answer an instrument on a
/// schedule of local days (see [`super::assignments`]).
#[derive(Debug, Clone, PartialEq, Stored)]
pub struct Assignment {
    /// Common fields; `created_by` is the therapist who assigned it.
    #[stored(skip)]
    pub meta: Meta,
    /// The instrument to answer: a built-in one or the therapist's own.
    pub instrument_id: Uuid,
    /// Its due dates, and the day it was cancelled, if it was.
    pub schedule: AssignmentSchedule,
}

/// A client's answers to an instrument on one local day. Checked against
/// the instrument when it was submitted, and never changed.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct AssessmentResult {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The instrument answered.
    pub instrument_id: Uuid,
    /// Its version when answered.
    pub instrument_version: u32,
    /// The day answered, in the client's time zone.
    pub local_date: NaiveDate,
    /// One answer per item, in item order, each within its item's range.
    /// Sealed with the client's text, as the band below: they tell how
    /// the client is.
    #[stored(sealed)]
    pub answers: Vec<u8>,
    /// The band of the total, fixed by the instrument's version when the
    /// answers were checked (kept, so a custom instrument need not be read
    /// to show it).
    #[stored(sealed)]
    pub severity: Option<RankedBand>,
}

impl AssessmentResult {
    /// The sum of the answers.
    pub fn total(&self) -> u32 {
        instruments::total(&self.answers)
    }

    /// Whether an answer signals a risk of self-harm (PHQ-9 item 9). Only
    /// built-in instruments have such an item, so the result alone tells.
    pub fn signals_self_harm(&self) -> bool {
        instruments::built_in(self.instrument_id)
            .is_some_and(|instrument| instrument.signals_self_harm(&self.answers))
    }
}

/// The level a goal reached on a local day, against its attainment scale.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct AttainmentRating {
    /// Common fields; `created_by` is the client or a therapist.
    #[stored(skip)]
    pub meta: Meta,
    /// The goal rated.
    pub goal_id: Uuid,
    /// The level reached.
    pub level: AttainmentLevel,
    /// The day rated, in the client's time zone.
    pub local_date: NaiveDate,
}

/// What a comment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
#[repr(u8)]
pub enum CommentTarget {
    /// A goal.
    Goal(Uuid) = 1,
    /// An action step.
    ActionStep(Uuid) = 2,
    /// A check-in.
    CheckIn(Uuid) = 3,
    /// An assessment result.
    AssessmentResult(Uuid) = 6,
}

impl CommentTarget {
    /// Id of the record commented on.
    pub fn id(&self) -> Uuid {
        match self {
            CommentTarget::Goal(id)
            | CommentTarget::ActionStep(id)
            | CommentTarget::CheckIn(id)
            | CommentTarget::AssessmentResult(id) => *id,
        }
    }

    /// Kind of the record commented on.
    pub fn kind(&self) -> Kind {
        match self {
            CommentTarget::Goal(_) => Kind::Goal,
            CommentTarget::ActionStep(_) => Kind::ActionStep,
            CommentTarget::CheckIn(_) => Kind::CheckIn,
            CommentTarget::AssessmentResult(_) => Kind::AssessmentResult,
        }
    }
}

impl Default for CommentTarget {
    fn default() -> Self {
        CommentTarget::Goal(Uuid::nil())
    }
}

/// Feedback between sessions, by the client or a linked therapist.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct Comment {
    /// Common fields; `created_by` is the author.
    #[stored(skip)]
    pub meta: Meta,
    /// The record commented on.
    pub target: CommentTarget,
    /// What the author wrote.
    pub text: String,
    /// Visible to its author only: it is on a check-in whose note is
    /// private, and may discuss it. Kept by the store's use cases (see
    /// `crate::app`), never sent by a caller.
    pub author_only: bool,
}

/// A coping skill the client practises (box breathing, 5-4-3-2-1
/// grounding), written by the client or a linked therapist.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct Skill {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// Its name.
    pub title: String,
    /// What kind of skill it is.
    pub category: SkillCategory,
    /// How to do it.
    pub instructions: String,
}

/// One time the client practised a skill, with their distress before and
/// after on the 0 to 100 SUDS scale (see [`super::skills`]).
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct SkillPractice {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The skill practised.
    pub skill_id: Uuid,
    /// The day, in the client's time zone.
    pub local_date: NaiveDate,
    /// Distress before practising, 0 to 100.
    pub distress_before: u8,
    /// Distress after practising, 0 to 100.
    pub distress_after: u8,
    /// How long it took, in minutes, if the client said.
    pub duration_minutes: Option<u32>,
    /// The client's words.
    pub note: String,
    /// The note is for the client only, not for therapists.
    pub private_note: bool,
}

/// A thought record of cognitive restructuring (see [`super::thoughts`]).
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct ThoughtRecord {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The day of the situation, in the client's time zone.
    pub local_date: NaiveDate,
    /// What happened.
    pub situation: String,
    /// The thought that went through the client's mind.
    pub automatic_thought: String,
    /// The emotions felt, in the client's order.
    pub emotions: Vec<Emotion>,
    /// The distortions the client sees in the thought.
    pub distortions: BTreeSet<Distortion>,
    /// Facts that support the thought.
    pub evidence_for: String,
    /// Facts that do not.
    pub evidence_against: String,
    /// A more balanced way to see it.
    pub balanced_thought: String,
    /// Belief in the automatic thought at first, 0 to 100, once rated.
    pub belief_before: Option<u8>,
    /// Belief after the balanced thought, 0 to 100, once re-rated.
    pub belief_after: Option<u8>,
    /// The client's alone: therapists never receive it, nor count it.
    pub private: bool,
}

/// What a record hangs under: its client (top-level records) or another
/// record, which it is deleted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// The client owns it directly.
    Client,
    /// Another record of `Kind`, by id.
    Record(Kind, Uuid),
}

/// How a record is ordered among its siblings of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Order {
    /// By id (ids made by the server are time-ordered UUIDs).
    Id,
    /// By local day, then id (check-ins keep one record per day and step).
    Day(NaiveDate),
    /// By time (microseconds since the Unix epoch), then id.
    Time(i64),
    /// By local day, then time (microseconds since the Unix epoch), then
    /// id; a day holds any number of records. A bound of [`Order::Day`]
    /// takes in the whole day.
    DayTime(NaiveDate, i64),
}

/// What every kind of client-owned record says about itself; its storage
/// encoding is declared with it (`#[derive(Stored)]`, `meta` skipped: the
/// store writes the fields every record has).
pub trait Record: Stored + Clone + Send + Sync + 'static {
    /// Its kind.
    const KIND: Kind;
    /// Common fields.
    fn meta(&self) -> &Meta;
    /// Common fields, for the store to stamp versions and times.
    fn meta_mut(&mut self) -> &mut Meta;
    /// What it hangs under.
    fn parent(&self) -> Parent;
    /// Its place among its siblings.
    fn order(&self) -> Order {
        Order::Id
    }
    /// The record as a linked therapist may see it; `None` hides it
    /// entirely.
    fn for_therapist(self) -> Option<Self> {
        Some(self)
    }
    /// Whether the account `viewer`, who may see the client's records, may
    /// see this one.
    fn visible_to(&self, _viewer: Uuid) -> bool {
        true
    }
    /// Wraps it.
    fn into_entity(self) -> Entity;
    /// The record inside `entity`, if it is one of this kind.
    fn from_entity(entity: Entity) -> Option<Self>;
    /// The record inside `entity`, if it is one of this kind, borrowed.
    fn in_entity(entity: &Entity) -> Option<&Self>;
}

/// Code generic over the kinds of records (the store's encoding of a
/// kind named by its byte), called by [`Kind::visit`].
pub trait KindVisitor {
    /// What the visit returns.
    type Output;
    /// Visits kind `R`.
    fn visit<R: Record>(self) -> Self::Output;
}

/// Code generic over the kinds of records, given a record, called by
/// [`Entity::visit_record`].
pub trait RecordVisitor {
    /// What the visit returns.
    type Output;
    /// Visits `record`.
    fn visit<R: Record>(self, record: &R) -> Self::Output;
}

/// Defines the kinds of records: the [`Kind`] enum, the [`Entity`] sum of
/// every record and tombstone, and their dispatch.
macro_rules! records {
    ($($kind:ident: $noun:literal,)*) => {
        /// The kinds of client-owned records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $(
                #[doc = concat!("[`", stringify!($kind), "`]")]
                $kind,
            )*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$kind,)*];

            /// Name used in messages to people.
            pub fn noun(self) -> &'static str {
                match self {
                    $(Kind::$kind => $noun,)*
                }
            }

            /// Calls `visitor` with this kind's record type.
            pub fn visit<V: KindVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(Kind::$kind => visitor.visit::<$kind>(),)*
                }
            }
        }

        /// Any client-owned record, live or deleted.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Entity {
            $(
                #[doc = concat!("A live [`", stringify!($kind), "`].")]
                $kind($kind),
            )*
            /// A deleted record.
            Tombstone(Tombstone),
        }

        impl Entity {
            /// Common fields.
            pub fn meta(&self) -> &Meta {
                match self {
                    $(Entity::$kind(r) => &r.meta,)*
                    Entity::Tombstone(t) => &t.meta,
                }
            }

            /// Common fields, for the store to stamp versions and times.
            pub fn meta_mut(&mut self) -> &mut Meta {
                match self {
                    $(Entity::$kind(r) => &mut r.meta,)*
                    Entity::Tombstone(t) => &mut t.meta,
                }
            }

            /// Calls `visitor` with the live record; `None` for a tombstone.
            pub fn visit_record<V: RecordVisitor>(&self, visitor: V) -> Option<V::Output> {
                match self {
                    $(Entity::$kind(r) => Some(visitor.visit(r)),)*
                    Entity::Tombstone(_) => None,
                }
            }

            /// Kind of the record (of the deleted record, for a tombstone).
            pub fn kind(&self) -> Kind {
                match self {
                    $(Entity::$kind(_) => Kind::$kind,)*
                    Entity::Tombstone(t) => t.kind,
                }
            }

            /// What a live record hangs under; `None` for a tombstone.
            pub fn parent(&self) -> Option<Parent> {
                match self {
                    $(Entity::$kind(r) => Some(r.parent()),)*
                    Entity::Tombstone(_) => None,
                }
            }

            /// A live record's place among its siblings.
            pub fn order(&self) -> Option<Order> {
                match self {
                    $(Entity::$kind(r) => Some(r.order()),)*
                    Entity::Tombstone(_) => None,
                }
            }

            /// The entity as a linked therapist may see it; `None` hides it.
            pub fn for_therapist(self) -> Option<Entity> {
                match self {
                    $(Entity::$kind(r) => r.for_therapist().map(Entity::$kind),)*
                    Entity::Tombstone(t) if t.hidden_from_therapists => None,
                    tombstone @ Entity::Tombstone(_) => Some(tombstone),
                }
            }

            /// Whether the account `viewer`, who may see the client's
            /// records, may see this one (a tombstone: yes).
            pub fn visible_to(&self, viewer: Uuid) -> bool {
                match self {
                    $(Entity::$kind(r) => r.visible_to(viewer),)*
                    Entity::Tombstone(_) => true,
                }
            }
        }

        $(
            impl From<$kind> for Entity {
                fn from(record: $kind) -> Self {
                    Entity::$kind(record)
                }
            }
        )*
    };
}

records! {
    Goal: "goal",
    ActionStep: "action step",
    CheckIn: "check-in",
    EfficacyRating: "efficacy rating",
    Assignment: "assignment",
    AssessmentResult: "assessment result",
    AttainmentRating: "attainment rating",
    Comment: "comment",
    Skill: "skill",
    SkillPractice: "skill practice",
    ThoughtRecord: "thought record",
}

impl Entity {
    /// Whether this is a tombstone.
    pub fn is_deleted(&self) -> bool {
        matches!(self, Entity::Tombstone(_))
    }

    /// A tombstone of this record; one of a record therapists may not see
    /// is hidden from them too.
    pub fn tombstone(&self) -> Tombstone {
        Tombstone {
            kind: self.kind(),
            meta: *self.meta(),
            hidden_from_therapists: self.clone().for_therapist().is_none(),
        }
    }

    /// The entity as `viewer`, who may see the client's records, sees it in
    /// a change feed: itself, or a tombstone when it is hidden from them,
    /// so a replica that holds a copy drops it.
    pub fn seen_by(self, viewer: Uuid) -> Entity {
        if self.visible_to(viewer) {
            self
        } else {
            Entity::Tombstone(self.tombstone())
        }
    }
}

/// What remains of a deleted record: enough for sync to tell devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    /// Kind of the deleted record.
    pub kind: Kind,
    /// The record's common fields; `version` and `update_time_us` are the
    /// deletion's.
    pub meta: Meta,
    /// Therapists never saw the record (it was private when deleted, and
    /// never shared before): they get no tombstone either.
    pub hidden_from_therapists: bool,
}

/// Implements [`Record`] for a kind: its meta accessors and wrapping.
macro_rules! record {
    ($kind:ident, parent: |$record:ident| $parent:expr $(, $($rest:tt)*)?) => {
        impl Record for $kind {
            const KIND: Kind = Kind::$kind;
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
            fn parent(&self) -> Parent {
                let $record = self;
                $parent
            }
            fn into_entity(self) -> Entity {
                Entity::$kind(self)
            }
            fn from_entity(entity: Entity) -> Option<Self> {
                match entity {
                    Entity::$kind(record) => Some(record),
                    _ => None,
                }
            }
            fn in_entity(entity: &Entity) -> Option<&Self> {
                match entity {
                    Entity::$kind(record) => Some(record),
                    _ => None,
                }
            }
            $($($rest)*)?
        }
    };
}

record!(Goal, parent: |_goal| Parent::Client);
record!(ActionStep, parent: |step| Parent::Record(Kind::Goal, step.goal_id));
record!(
    CheckIn,
    parent: |check_in| Parent::Record(Kind::ActionStep, check_in.action_step_id),
    fn order(&self) -> Order {
        Order::Day(self.local_date)
    }
    fn for_therapist(mut self) -> Option<Self> {
        if self.private_note {
            self.note.clear();
        }
        Some(self)
    }
);
record!(
    EfficacyRating,
    parent: |rating| Parent::Record(rating.target.kind(), rating.target.id()),
    fn order(&self) -> Order {
        Order::Time(self.rate_time_us)
    }
);
record!(Assignment, parent: |_assignment| Parent::Client);
record!(
    AssessmentResult,
    parent: |_result| Parent::Client,
    fn order(&self) -> Order {
        Order::DayTime(self.local_date, self.meta.create_time_us)
    }
);
record!(
    AttainmentRating,
    parent: |rating| Parent::Record(Kind::Goal, rating.goal_id),
    fn order(&self) -> Order {
        Order::DayTime(self.local_date, self.meta.create_time_us)
    }
);
record!(
    Comment,
    parent: |comment| Parent::Record(comment.target.kind(), comment.target.id()),
    fn order(&self) -> Order {
        Order::Time(self.meta.create_time_us)
    }
    fn visible_to(&self, viewer: Uuid) -> bool {
        !self.author_only || self.meta.created_by == viewer
    }
);

record!(Skill, parent: |_skill| Parent::Client);
record!(
    SkillPractice,
    parent: |practice| Parent::Record(Kind::Skill, practice.skill_id),
    fn order(&self) -> Order {
        Order::Day(self.local_date)
    }
    fn for_therapist(mut self) -> Option<Self> {
        if self.private_note {
            self.note.clear();
        }
        Some(self)
    }
);
record!(
    ThoughtRecord,
    parent: |_record| Parent::Client,
    fn order(&self) -> Order {
        Order::Day(self.local_date)
    }
    fn for_therapist(self) -> Option<Self> {
        (!self.private).then_some(self)
    }
);

/// The fields of a kind that an update may change: the one list that the
/// update mask, a sync upsert (which replaces all of them) and a patch read.
pub trait Editable: Record {
    /// One editable field.
    type Field: Copy + Eq + std::fmt::Debug + Send + Sync + 'static;
    /// Every editable field with its API name (as update masks spell it).
    const FIELDS: &'static [(&'static str, Self::Field)];
    /// Copies `field` from `from`.
    fn copy_field(&mut self, from: &Self, field: Self::Field);
    /// The fields that differ from `other` but may never change (besides
    /// the id, client and meta), as API names.
    fn changed_immutable(&self, other: &Self) -> Vec<&'static str>;
    /// Why the record may not become `to` although only editable fields
    /// change: the field's API name and the reason.
    fn refused_change(&self, _to: &Self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// Copies every editable field from `from`: a full replacement, as an
    /// offline edit sends the whole record.
    fn replace_editable(&mut self, from: &Self) {
        for (_, field) in Self::FIELDS {
            self.copy_field(from, *field);
        }
    }
}

/// New values for some editable fields of a record: an update.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch<R: Editable> {
    /// The fields to change.
    pub fields: Vec<R::Field>,
    /// A record holding their new values (its other fields mean nothing).
    pub values: R,
}

impl<R: Editable> Patch<R> {
    /// Copies the patched fields onto `record`.
    pub fn apply(&self, record: &mut R) {
        for field in &self.fields {
            record.copy_field(&self.values, *field);
        }
    }
}

/// Implements [`Editable`]: `Kind / FieldEnum { Variant: "api_name" => field, ... }`,
/// the immutable fields after `immutable`, optionally the fields the
/// server derives after `derived` (never taken from an edit, nor compared
/// with one), and optionally after `refuse` the rule of
/// [`Editable::refused_change`].
macro_rules! editable {
    (
        $kind:ident / $field_enum:ident {
            $($variant:ident: $name:literal => $field:ident,)*
        }
        immutable { $($fixed:ident: $fixed_name:literal,)* }
        $(derived { $($derived:ident,)* })?
        $(refuse |$before:ident, $after:ident| $refuse:expr)?
    ) => {
        #[doc = concat!("An editable field of [`", stringify!($kind), "`].")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $field_enum {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Editable for $kind {
            type Field = $field_enum;
            const FIELDS: &'static [(&'static str, $field_enum)] =
                &[$(($name, $field_enum::$variant),)*];

            #[allow(unused_variables)] // a kind with no editable field
            fn copy_field(&mut self, from: &Self, field: $field_enum) {
                match field {
                    $($field_enum::$variant => self.$field.clone_from(&from.$field),)*
                }
            }

            fn changed_immutable(&self, _other: &Self) -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut changed = Vec::new();
                $(
                    if self.$fixed != _other.$fixed {
                        changed.push($fixed_name);
                    }
                )*
                changed
            }

            $(
                fn refused_change(&self, to: &Self) -> Option<(&'static str, &'static str)> {
                    let ($before, $after) = (self, to);
                    $refuse
                }
            )?
        }

        #[cfg(test)]
        impl $kind {
            /// Copies the immutable and derived fields, for the
            /// completeness test.
            fn copy_immutable(&mut self, _from: &Self) {
                $(self.$fixed.clone_from(&_from.$fixed);)*
                $($(self.$derived.clone_from(&_from.$derived);)*)?
            }
        }
    };
}

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

editable! {
    ActionStep / ActionStepField {
        Title: "title" => title,
        Schedule: "schedule" => schedule,
        Status: "status" => status,
    }
    immutable { goal_id: "goal_id", }
}

editable! {
    CheckIn / CheckInField {
        State: "state" => state,
        Amount: "amount" => amount,
        Note: "note" => note,
        PrivateNote: "private_note" => private_note,
    }
    immutable { action_step_id: "action_step_id", local_date: "local_date", }
}

editable! {
    EfficacyRating / EfficacyRatingField {}
    immutable { target: "target", score: "score", note: "note", rate_time_us: "rate_time", }
}

editable! {
    Assignment / AssignmentField {}
    immutable { instrument_id: "instrument_id", schedule: "schedule", }
}

editable! {
    AssessmentResult / AssessmentResultField {}
    immutable {
        instrument_id: "instrument_id",
        instrument_version: "instrument_version",
        local_date: "local_date",
        answers: "answers",
    }
    derived { severity, }
}

editable! {
    AttainmentRating / AttainmentRatingField {}
    immutable { goal_id: "goal_id", level: "level", local_date: "local_date", }
}

editable! {
    Comment / CommentField {
        Text: "text" => text,
    }
    immutable { target: "target", }
    derived { author_only, }
}

editable! {
    Skill / SkillField {
        Title: "title" => title,
        Category: "category" => category,
        Instructions: "instructions" => instructions,
    }
    immutable {}
}

editable! {
    SkillPractice / SkillPracticeField {}
    immutable {
        skill_id: "skill_id",
        local_date: "local_date",
        distress_before: "distress_before",
        distress_after: "distress_after",
        duration_minutes: "duration_minutes",
        note: "note",
        private_note: "private_note",
    }
}

editable! {
    ThoughtRecord / ThoughtRecordField {
        LocalDate: "local_date" => local_date,
        Situation: "situation" => situation,
        AutomaticThought: "automatic_thought" => automatic_thought,
        Emotions: "emotions" => emotions,
        Distortions: "distortions" => distortions,
        EvidenceFor: "evidence_for" => evidence_for,
        EvidenceAgainst: "evidence_against" => evidence_against,
        BalancedThought: "balanced_thought" => balanced_thought,
        BeliefBefore: "belief_before" => belief_before,
        BeliefAfter: "belief_after" => belief_after,
        Private: "private_record" => private,
    }
    immutable {}
    refuse |before, after| (!before.private && after.private).then_some((
        "private_record",
        "a shared thought record cannot be made private again: your therapists may have \
         seen it; delete it instead",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// Two records of a kind differing in every field but meta; built with
    /// struct literals, so a new field must be added here to compile.
    trait Samples: Sized {
        fn samples() -> (Self, Self);
    }

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
            };
            (a, b)
        }
    }

    impl Samples for CheckIn {
        fn samples() -> (Self, Self) {
            let a = CheckIn {
                meta: Meta::default(),
                action_step_id: Uuid::from_u128(1),
                local_date: day("2026-01-01"),
                state: CheckInState::Done,
                amount: 0.0,
                note: "a".into(),
                private_note: false,
            };
            let b = CheckIn {
                meta: Meta::default(),
                action_step_id: Uuid::from_u128(2),
                local_date: day("2026-01-02"),
                state: CheckInState::Skipped,
                amount: 2.0,
                note: "b".into(),
                private_note: true,
            };
            (a, b)
        }
    }

    impl Samples for EfficacyRating {
        fn samples() -> (Self, Self) {
            let a = EfficacyRating {
                meta: Meta::default(),
                target: RatingTarget::Goal(Uuid::from_u128(1)),
                score: 10,
                note: "a".into(),
                rate_time_us: 1,
            };
            let b = EfficacyRating {
                meta: Meta::default(),
                target: RatingTarget::ActionStep(Uuid::from_u128(2)),
                score: 90,
                note: "b".into(),
                rate_time_us: 2,
            };
            (a, b)
        }
    }

    fn scale() -> AttainmentScale {
        crate::domain::attainment::AttainmentScaleDraft {
            much_less_than_expected: "a".into(),
            less_than_expected: "b".into(),
            expected: "c".into(),
            more_than_expected: "d".into(),
            much_more_than_expected: "e".into(),
            weight: 2,
            baseline_level: Some(AttainmentLevel::LessThanExpected),
        }
        .check()
        .expect("valid scale")
    }

    impl Samples for Assignment {
        fn samples() -> (Self, Self) {
            let schedule =
                |start, every| AssignmentSchedule::new(day(start), every).expect("valid");
            let a = Assignment {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(1),
                schedule: schedule("2026-01-01", 7),
            };
            let b = Assignment {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(2),
                schedule: schedule("2026-02-01", 14).cancelled(day("2026-03-01")),
            };
            (a, b)
        }
    }

    impl Samples for Skill {
        fn samples() -> (Self, Self) {
            let a = Skill {
                meta: Meta::default(),
                title: "a".into(),
                category: SkillCategory::Breathing,
                instructions: "a".into(),
            };
            let b = Skill {
                meta: Meta::default(),
                title: "b".into(),
                category: SkillCategory::Grounding,
                instructions: "b".into(),
            };
            (a, b)
        }
    }

    impl Samples for AssessmentResult {
        fn samples() -> (Self, Self) {
            let a = AssessmentResult {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(1),
                instrument_version: 1,
                local_date: day("2026-01-01"),
                answers: vec![0, 1],
                severity: None,
            };
            let b = AssessmentResult {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(2),
                instrument_version: 2,
                local_date: day("2026-01-02"),
                answers: vec![3],
                severity: instruments::PHQ9.ranked_band(3),
            };
            (a, b)
        }
    }

    impl Samples for SkillPractice {
        fn samples() -> (Self, Self) {
            let a = SkillPractice {
                meta: Meta::default(),
                skill_id: Uuid::from_u128(1),
                local_date: day("2026-01-01"),
                distress_before: 70,
                distress_after: 40,
                duration_minutes: None,
                note: "a".into(),
                private_note: false,
            };
            let b = SkillPractice {
                meta: Meta::default(),
                skill_id: Uuid::from_u128(2),
                local_date: day("2026-01-02"),
                distress_before: 60,
                distress_after: 65,
                duration_minutes: Some(10),
                note: "b".into(),
                private_note: true,
            };
            (a, b)
        }
    }

    impl Samples for AttainmentRating {
        fn samples() -> (Self, Self) {
            let a = AttainmentRating {
                meta: Meta::default(),
                goal_id: Uuid::from_u128(1),
                level: AttainmentLevel::LessThanExpected,
                local_date: day("2026-01-01"),
            };
            let b = AttainmentRating {
                meta: Meta::default(),
                goal_id: Uuid::from_u128(2),
                level: AttainmentLevel::MoreThanExpected,
                local_date: day("2026-01-02"),
            };
            (a, b)
        }
    }

    impl Samples for Comment {
        fn samples() -> (Self, Self) {
            let a = Comment {
                meta: Meta::default(),
                target: CommentTarget::Goal(Uuid::from_u128(1)),
                text: "a".into(),
                author_only: false,
            };
            let b = Comment {
                meta: Meta::default(),
                target: CommentTarget::CheckIn(Uuid::from_u128(2)),
                text: "b".into(),
                author_only: true,
            };
            (a, b)
        }
    }

    impl Samples for ThoughtRecord {
        fn samples() -> (Self, Self) {
            let a = ThoughtRecord {
                meta: Meta::default(),
                local_date: day("2026-01-01"),
                situation: "a".into(),
                automatic_thought: "a".into(),
                emotions: vec![],
                distortions: BTreeSet::new(),
                evidence_for: "a".into(),
                evidence_against: "a".into(),
                balanced_thought: "a".into(),
                belief_before: None,
                belief_after: None,
                private: false,
            };
            let b = ThoughtRecord {
                meta: Meta::default(),
                local_date: day("2026-01-02"),
                situation: "b".into(),
                automatic_thought: "b".into(),
                emotions: vec![Emotion {
                    name: "sad".into(),
                    before: 80,
                    after: Some(40),
                }],
                distortions: BTreeSet::from([Distortion::Labelling]),
                evidence_for: "b".into(),
                evidence_against: "b".into(),
                balanced_thought: "b".into(),
                belief_before: Some(90),
                belief_after: Some(50),
                private: true,
            };
            (a, b)
        }
    }

    /// Copying every editable and every immutable field of `b` onto `a`
    /// must give `b`: a field in neither list (forgotten when it was
    /// added) keeps `a`'s value and fails this.
    macro_rules! check {
        ($kind:ident) => {{
            let (mut a, b) = $kind::samples();
            assert!(a != b);
            a.replace_editable(&b);
            a.copy_immutable(&b);
            assert_eq!(
                a,
                b,
                "{:?}: a field is neither editable nor immutable",
                $kind::KIND
            );
        }};
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

    #[test]
    fn every_field_is_editable_or_immutable() {
        check!(Goal);
        check!(ActionStep);
        check!(CheckIn);
        check!(EfficacyRating);
        check!(Skill);
        check!(SkillPractice);
        check!(ThoughtRecord);
        check!(Assignment);
        check!(AssessmentResult);
        check!(AttainmentRating);
        check!(Comment);
    }

    #[test]
    fn a_comment_on_a_private_note_is_seen_by_its_author_only() {
        let (_, comment) = Comment::samples();
        let author = Uuid::from_u128(7);
        let comment = Comment {
            meta: Meta {
                created_by: author,
                ..comment.meta
            },
            ..comment
        };
        let entity = Entity::Comment(comment.clone());
        assert_eq!(entity.clone().seen_by(author), entity);
        assert!(entity.clone().seen_by(Uuid::from_u128(8)).is_deleted());
        let open = Entity::Comment(Comment {
            author_only: false,
            ..comment
        });
        assert_eq!(open.clone().seen_by(Uuid::from_u128(8)), open);
    }

    #[test]
    fn a_therapist_sees_a_private_note_blank() {
        let (_, check_in) = CheckIn::samples();
        let seen = check_in.for_therapist().expect("visible");
        assert_eq!((seen.note.as_str(), seen.private_note), ("", true));
        let (_, practice) = SkillPractice::samples();
        let seen = practice.for_therapist().expect("visible");
        assert_eq!((seen.note.as_str(), seen.private_note), ("", true));
    }

    #[test]
    fn a_private_thought_record_and_its_tombstone_stay_hidden_from_therapists() {
        let (shared, private) = ThoughtRecord::samples();
        assert!(private.clone().for_therapist().is_none());
        let tombstone = Entity::ThoughtRecord(private).tombstone();
        assert!(tombstone.hidden_from_therapists);
        assert_eq!(Entity::Tombstone(tombstone).for_therapist(), None);
        let tombstone = Entity::ThoughtRecord(shared.clone()).tombstone();
        assert!(Entity::Tombstone(tombstone).for_therapist().is_some());
        let mut made_private = shared.clone();
        made_private.private = true;
        assert!(shared.refused_change(&made_private).is_some());
        assert!(made_private.refused_change(&shared).is_none());
    }
}
