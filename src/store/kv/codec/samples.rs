//! A representative sample of every stored kind of value, for the test
//! that the encoding is no larger than the hand-written codec it replaced
//! (format 3): every record kind with all its options set and none, short
//! and long texts, tombstones, and every other stored value.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::Value;
use crate::domain::assignments::AssignmentSchedule;
use crate::domain::attainment::{AttainmentLevel, AttainmentScale};
use crate::domain::instruments::{BandDraft, CustomInstrument, CustomInstrumentDraft, ItemDraft};
use crate::domain::skills::SkillCategory;
use crate::domain::thoughts::{Distortion, Emotion};
use crate::domain::{
    AccessEvent, Account, AccountState, ActionStep, ActionStepStatus, AdminAction, AdminEvent,
    AssessmentResult, Assignment, AttainmentRating, CareLink, CareLinkState, CheckIn, CheckInState,
    Comment, CommentTarget, EfficacyRating, Entity, Goal, GoalStatus, Invite, Kind, Meta,
    RatingTarget, Revocation, RevokeReason, Role, Schedule, Session, Skill, SkillPractice,
    StepTrack, ThoughtRecord, Token, Tombstone, TrackedAssignment, TrackedAttainment, TrackedDay,
    TrackedRating, TrackedResult, TrackedScale, TrackedStep,
};

/// Encodes a value, checking that it decodes to itself.
trait Kept: Value + PartialEq + std::fmt::Debug {
    fn kept(&self) -> Vec<u8> {
        let bytes = self.encode();
        assert_eq!(&Self::decode(&bytes).expect("decodes"), self);
        bytes
    }
}

impl<T: Value + PartialEq + std::fmt::Debug> Kept for T {}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

const NOW_US: i64 = 1_800_000_000_000_000;
const CLIENT: Uuid = Uuid::from_u128(0x0199_0000_0000_7000_8000_0000_0000_0002);
const THERAPIST: Uuid = Uuid::from_u128(0x0199_0000_0000_7000_8000_0000_0000_0003);

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0199_0000_0000_7000_8000_0000_0000_0000 + n)
}

/// A record the client made and last changed (the usual case).
fn own(n: u128) -> Meta {
    Meta {
        id: id(n),
        client_id: CLIENT,
        version: 1_234,
        create_time_us: NOW_US,
        update_time_us: NOW_US + 86_400_000_000,
        created_by: CLIENT,
        updated_by: CLIENT,
    }
}

/// A record a therapist made and the client changed.
fn shared(n: u128) -> Meta {
    Meta {
        created_by: THERAPIST,
        ..own(n)
    }
}

const LONG: &str = "A longer text, as people write when something matters to them: what \
    happened, what they felt, and what they will try next time. It runs to a few hundred \
    bytes, with ünïcode and punctuation — the kind of note a check-in or a thought record \
    holds when the client takes the time.";

fn emotion(name: &str, before: u8, after: Option<u8>) -> Emotion {
    Emotion {
        name: name.into(),
        before,
        after,
    }
}

/// Every record kind, named, with its options set and unset.
pub(super) fn records() -> Vec<(&'static str, Entity)> {
    let scale = AttainmentScale::restore(
        ["worse", "bit worse", "as hoped", "better", "much better"].map(String::from),
        3,
        AttainmentLevel::LessThanExpected,
    );
    let schedule = AssignmentSchedule::new(day("2026-03-02"), 14).expect("valid");
    let practice = SkillPractice {
        meta: own(11),
        skill_id: id(10),
        local_date: day("2026-03-02"),
        distress_before: 80,
        distress_after: 40,
        ..SkillPractice::default()
    };
    vec![
        (
            "goal, bare",
            Goal {
                meta: own(1),
                title: "Walk".into(),
                ..Goal::default()
            }
            .into(),
        ),
        (
            "goal, all set",
            Goal {
                meta: shared(1),
                title: "Walk more".into(),
                why: "Energy and mood".into(),
                target_date: Some(day("2026-12-31")),
                status: GoalStatus::Achieved,
                attainment_scale: Some(scale),
            }
            .into(),
        ),
        (
            "goal, long",
            Goal {
                meta: own(1),
                title: LONG.into(),
                why: LONG.into(),
                ..Goal::default()
            }
            .into(),
        ),
        (
            "action step",
            ActionStep {
                meta: own(2),
                goal_id: id(1),
                title: "Walk 20 minutes".into(),
                schedule: Schedule {
                    times: 3,
                    period_days: 7,
                },
                status: ActionStepStatus::Paused,
                ..ActionStep::default()
            }
            .into(),
        ),
        (
            "check-in, bare",
            CheckIn {
                meta: own(3),
                action_step_id: id(2),
                local_date: day("2026-03-02"),
                state: CheckInState::Done,
                ..CheckIn::default()
            }
            .into(),
        ),
        (
            "check-in, amount and note",
            CheckIn {
                meta: own(3),
                action_step_id: id(2),
                local_date: day("2026-03-02"),
                state: CheckInState::Partial,
                amount: 2.5,
                note: "Felt good".into(),
                private_note: true,
            }
            .into(),
        ),
        (
            "check-in, long note",
            CheckIn {
                meta: own(3),
                action_step_id: id(2),
                local_date: day("2026-03-02"),
                note: LONG.into(),
                ..CheckIn::default()
            }
            .into(),
        ),
        (
            "efficacy rating",
            EfficacyRating {
                meta: own(4),
                target: RatingTarget::ActionStep(id(2)),
                score: 70,
                note: "Mostly sure".into(),
                rate_time_us: NOW_US,
            }
            .into(),
        ),
        (
            "efficacy rating, bare",
            EfficacyRating {
                meta: own(4),
                target: RatingTarget::Goal(id(1)),
                score: 0,
                note: String::new(),
                rate_time_us: NOW_US,
            }
            .into(),
        ),
        (
            "assignment",
            Assignment {
                meta: shared(5),
                instrument_id: id(9),
                schedule,
            }
            .into(),
        ),
        (
            "assignment, cancelled",
            Assignment {
                meta: shared(5),
                instrument_id: id(9),
                schedule: schedule.cancelled(day("2026-06-01")),
            }
            .into(),
        ),
        (
            "assessment result",
            AssessmentResult {
                meta: own(6),
                instrument_id: id(9),
                instrument_version: 1,
                local_date: day("2026-03-02"),
                answers: vec![1, 2, 0, 3, 1, 0, 2, 1, 2],
                severity: crate::domain::instruments::PHQ9.ranked_band(12),
            }
            .into(),
        ),
        (
            "assessment result, no band",
            AssessmentResult {
                meta: own(6),
                instrument_id: id(9),
                instrument_version: 1,
                local_date: day("2026-03-02"),
                answers: vec![1, 2, 0, 3, 1, 0, 2],
                severity: None,
            }
            .into(),
        ),
        (
            "attainment rating",
            AttainmentRating {
                meta: own(7),
                goal_id: id(1),
                level: AttainmentLevel::MoreThanExpected,
                local_date: day("2026-03-02"),
            }
            .into(),
        ),
        (
            "comment",
            Comment {
                meta: shared(8),
                target: CommentTarget::CheckIn(id(3)),
                text: "Well done this week".into(),
                author_only: false,
            }
            .into(),
        ),
        (
            "comment, author only",
            Comment {
                meta: own(8),
                target: CommentTarget::AssessmentResult(id(6)),
                text: LONG.into(),
                author_only: true,
            }
            .into(),
        ),
        (
            "skill",
            Skill {
                meta: shared(10),
                title: "Box breathing".into(),
                category: SkillCategory::Breathing,
                instructions: "In 4, hold 4, out 4, hold 4".into(),
            }
            .into(),
        ),
        ("skill practice, bare", practice.clone().into()),
        (
            "skill practice, all set",
            SkillPractice {
                duration_minutes: Some(15),
                note: "calmer".into(),
                private_note: true,
                ..practice.clone()
            }
            .into(),
        ),
        (
            "thought record, bare",
            ThoughtRecord {
                meta: own(12),
                local_date: day("2026-03-02"),
                situation: "Meeting".into(),
                automatic_thought: "They think I'm useless".into(),
                emotions: vec![emotion("anxious", 80, None)],
                ..ThoughtRecord::default()
            }
            .into(),
        ),
        (
            "thought record, re-rated",
            ThoughtRecord {
                meta: own(12),
                local_date: day("2026-03-02"),
                situation: "Meeting".into(),
                automatic_thought: "They think I'm useless".into(),
                emotions: vec![
                    emotion("anxious", 80, Some(40)),
                    emotion("ashamed", 100, Some(0)),
                ],
                distortions: [
                    Distortion::Personalisation,
                    Distortion::AllOrNothingThinking,
                ]
                .into(),
                evidence_for: "I stumbled".into(),
                evidence_against: "They asked me to present".into(),
                balanced_thought: "One stumble is not the whole talk".into(),
                belief_before: Some(90),
                belief_after: Some(30),
                private: true,
            }
            .into(),
        ),
        (
            "thought record, long",
            ThoughtRecord {
                meta: shared(12),
                local_date: day("2026-03-02"),
                situation: LONG.into(),
                automatic_thought: LONG.into(),
                emotions: vec![emotion("sad", 50, None); 5],
                balanced_thought: LONG.into(),
                belief_before: Some(100),
                ..ThoughtRecord::default()
            }
            .into(),
        ),
        (
            "tombstone",
            Entity::Tombstone(Tombstone {
                kind: Kind::CheckIn,
                meta: own(3),
                hidden_from_therapists: false,
            }),
        ),
        (
            "tombstone, hidden",
            Entity::Tombstone(Tombstone {
                kind: Kind::ThoughtRecord,
                meta: shared(12),
                hidden_from_therapists: true,
            }),
        ),
    ]
}

/// Every other stored value, named, encoded.
pub(super) fn values() -> Vec<(&'static str, Vec<u8>)> {
    let track = StepTrack {
        days: BTreeMap::from_iter((0..30).map(|n| {
            (
                day("2026-03-02") + chrono::Days::new(n),
                TrackedDay {
                    state: CheckInState::Done,
                    logged_us: NOW_US + n as i64,
                },
            )
        })),
    };
    let instrument = CustomInstrumentDraft {
        short_name: "SLEEP".into(),
        title: "Sleep check".into(),
        instructions: "Over the last week:".into(),
        items: vec![
            ItemDraft {
                text: "How rested?".into(),
                min_value: 1,
                max_value: 5,
                labels: vec![(1, "Not".into()), (3, "Some".into()), (5, "Fully".into())],
            };
            3
        ],
        bands: vec![
            BandDraft {
                min_score: 3,
                max_score: 8,
                label: "Poor".into(),
            },
            BandDraft {
                min_score: 9,
                max_score: 15,
                label: "Fine".into(),
            },
        ],
    }
    .check(id(77))
    .expect("valid");
    let token = |revoked| Token {
        id: id(20),
        hash: [7; 32],
        account_id: CLIENT,
        label: "Ada's iPhone".into(),
        create_time_us: NOW_US,
        last_use_time_us: Some(NOW_US + 5),
        expire_time_us: None,
        revoked,
    };
    let invite = |used_by| Invite {
        code: "ABCDEFGHJK".into(),
        therapist_id: THERAPIST,
        create_time_us: NOW_US,
        expire_time_us: NOW_US + 1,
        used_by,
    };
    vec![
        ("step track, 30 days", track.kept()),
        (
            "tracked step",
            TrackedStep {
                goal_id: id(1),
                schedule: Schedule {
                    times: 3,
                    period_days: 7,
                },
                status: ActionStepStatus::Active,
                start_day: day("2026-03-02"),
            }
            .kept(),
        ),
        (
            "tracked rating",
            TrackedRating {
                target: RatingTarget::Goal(id(1)),
                rate_time_us: NOW_US,
                local_day: day("2026-03-02"),
                score: 70,
            }
            .kept(),
        ),
        (
            "tracked assignment",
            TrackedAssignment {
                instrument_id: id(9),
                schedule: AssignmentSchedule::new(day("2026-03-02"), 7).expect("valid"),
            }
            .kept(),
        ),
        (
            "tracked result",
            TrackedResult {
                instrument_id: id(9),
                local_date: day("2026-03-02"),
                submitted_us: NOW_US,
                total: 12,
                self_harm: true,
            }
            .kept(),
        ),
        ("tracked scale", TrackedScale { weight: 3 }.kept()),
        (
            "tracked attainment",
            TrackedAttainment {
                goal_id: id(1),
                local_date: day("2026-03-02"),
                recorded_us: NOW_US,
                level: AttainmentLevel::Expected,
            }
            .kept(),
        ),
        (
            "custom instrument",
            CustomInstrument {
                owner: THERAPIST,
                create_time_us: NOW_US,
                instrument,
            }
            .kept(),
        ),
        (
            "account",
            Account {
                id: CLIENT,
                role: Role::Client,
                display_name: "Ada Lovelace".into(),
                time_zone: chrono_tz::Europe::Lisbon,
                create_time_us: NOW_US,
                update_time_us: NOW_US + 9,
                version: 3,
                state: AccountState::Active,
            }
            .kept(),
        ),
        ("token", token(None).kept()),
        (
            "token, revoked",
            token(Some(Revocation {
                time_us: NOW_US + 7,
                reason: RevokeReason::Revoked,
            }))
            .kept(),
        ),
        ("invite", invite(None).kept()),
        ("invite, used", invite(Some(CLIENT)).kept()),
        (
            "care link",
            CareLink {
                id: id(30),
                therapist_id: THERAPIST,
                client_id: CLIENT,
                state: CareLinkState::Active,
                create_time_us: NOW_US,
                revoke_time_us: None,
            }
            .kept(),
        ),
        (
            "care link, revoked",
            CareLink {
                id: id(30),
                therapist_id: THERAPIST,
                client_id: CLIENT,
                state: CareLinkState::Revoked,
                create_time_us: NOW_US,
                revoke_time_us: Some(NOW_US + 3),
            }
            .kept(),
        ),
        (
            "access event",
            AccessEvent {
                therapist_id: THERAPIST,
                client_id: CLIENT,
                method: "/stepwise.v1.GoalService/ListGoals".into(),
                time_us: NOW_US,
            }
            .kept(),
        ),
        (
            "admin event",
            AdminEvent {
                actor_id: THERAPIST,
                action: AdminAction::AccountCreated,
                target_id: CLIENT,
                size_bytes: 0,
                sha256: None,
                time_us: NOW_US,
            }
            .kept(),
        ),
        (
            "admin event, backup",
            AdminEvent {
                actor_id: THERAPIST,
                action: AdminAction::BackupCreated,
                target_id: id(40),
                size_bytes: 123_456_789,
                sha256: Some([9; 32]),
                time_us: NOW_US,
            }
            .kept(),
        ),
        (
            "session",
            Session {
                id: id(50),
                therapist_id: THERAPIST,
                client_id: CLIENT,
                session_time_us: NOW_US,
                note: "Talked about sleep".into(),
                create_time_us: NOW_US + 1,
            }
            .kept(),
        ),
    ]
}
