//! The pre-session digest: what changed in a client's records over a
//! period, for a therapist preparing a session.
//!
//! A [`Digest`] is collected from every live record of the client, each as
//! the therapist may see it (private thought records are never passed in).
//! Records keep no history of their fields, so the rules read what a record
//! is now and when it last changed:
//! - goals and steps *created* in the period by creation time; goals
//!   *achieved* or *archived* and steps *archived* when that is their status
//!   now and they last changed in the period;
//! - efficacy ratings *given* in the period by rate time; for each goal or
//!   step rated in the period, its latest score at the start (if any) and at
//!   the end;
//! - skill practices *logged* in the period by creation time, and their mean
//!   distress drop;
//! - thought records *created or changed* in the period, and the
//!   distortions they name (as the insight statistics count them).
//!
//! Each section is one arm of [`DigestBuilder::add`]; a new kind of record (an
//! assessment result, a comment) is one more section: a field, an arm, and
//! its place in [`DigestBuilder::finish`]. Every list keeps its [`MAX_ENTRIES`]
//! most recent entries, oldest first.

use std::collections::BTreeMap;

use super::skills::Practice;
use super::thoughts::{self, Distortion};
use super::{
    ActionStep, ActionStepStatus, AssessmentResult, AttainmentRating, Comment, EfficacyRating,
    Entity, Goal, GoalStatus, JournalEntry, RatingTarget, SkillPractice, ThoughtRecord,
};

/// Most entries per list.
pub const MAX_ENTRIES: usize = 200;

/// The period: after `since_us`, up to and including `until_us`
/// (microseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Start, exclusive.
    pub since_us: i64,
    /// End, inclusive.
    pub until_us: i64,
}

impl Period {
    /// Whether the time lies in the period.
    pub fn holds(&self, time_us: i64) -> bool {
        self.since_us < time_us && time_us <= self.until_us
    }
}

/// How self-efficacy about one goal or step moved over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EfficacyChange {
    /// What was rated.
    pub target: RatingTarget,
    /// The latest score given at or before the start, if any.
    pub then: Option<u8>,
    /// The latest score given at or before the end.
    pub now: u8,
}

/// What changed in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Digest {
    /// Goals created.
    pub goals_created: Vec<Goal>,
    /// Goals achieved.
    pub goals_achieved: Vec<Goal>,
    /// Goals archived.
    pub goals_archived: Vec<Goal>,
    /// Action steps created.
    pub steps_created: Vec<ActionStep>,
    /// Action steps archived.
    pub steps_archived: Vec<ActionStep>,
    /// Ratings given.
    pub efficacy_ratings: Vec<EfficacyRating>,
    /// For each goal or step rated, its score then and now.
    pub efficacy_changes: Vec<EfficacyChange>,
    /// Questionnaires answered.
    pub assessment_results: Vec<AssessmentResult>,
    /// Goal attainment ratings given.
    pub attainment_ratings: Vec<AttainmentRating>,
    /// Comments written or changed.
    pub comments: Vec<Comment>,
    /// Practices logged.
    pub skill_practices: Vec<SkillPractice>,
    /// Mean drop of the period's practices, in SUDS points.
    pub mean_distress_drop: Option<f64>,
    /// Thought records created or changed.
    pub thought_records: Vec<ThoughtRecord>,
    /// The distortions of those records, most frequent first.
    pub distortions: Vec<(Distortion, u32)>,
    /// Shared journal entries written or changed.
    pub journal_entries: Vec<JournalEntry>,
    /// Whether any list was cut at [`MAX_ENTRIES`].
    pub truncated: bool,
}

/// Collects a [`Digest`] from a client's records, one at a time.
#[derive(Debug)]
pub struct DigestBuilder {
    period: Period,
    digest: Digest,
    /// Every rating of every target, as (rate time, score), for the
    /// changes.
    ratings: BTreeMap<RatingTarget, Vec<(i64, u8)>>,
}

impl DigestBuilder {
    /// An empty digest of `period`.
    pub fn new(period: Period) -> Self {
        Self {
            period,
            digest: Digest::default(),
            ratings: BTreeMap::new(),
        }
    }

    /// Takes one live record (as the reader may see it) into account.
    pub fn add(&mut self, entity: Entity) {
        let period = self.period;
        let changed = period.holds(entity.meta().update_time_us);
        let created = period.holds(entity.meta().create_time_us);
        let d = &mut self.digest;
        match entity {
            Entity::Goal(goal) => {
                if changed && goal.status == GoalStatus::Achieved {
                    d.goals_achieved.push(goal.clone());
                }
                if changed && goal.status == GoalStatus::Archived {
                    d.goals_archived.push(goal.clone());
                }
                if created {
                    d.goals_created.push(goal);
                }
            }
            Entity::ActionStep(step) => {
                if changed && step.status == ActionStepStatus::Archived {
                    d.steps_archived.push(step.clone());
                }
                if created {
                    d.steps_created.push(step);
                }
            }
            Entity::EfficacyRating(rating) => {
                self.ratings
                    .entry(rating.target)
                    .or_default()
                    .push((rating.rate_time_us, rating.score));
                if period.holds(rating.rate_time_us) {
                    d.efficacy_ratings.push(rating);
                }
            }
            Entity::AssessmentResult(result) if created => d.assessment_results.push(result),
            Entity::AttainmentRating(rating) if created => d.attainment_ratings.push(rating),
            Entity::Comment(comment) if changed => d.comments.push(comment),
            Entity::SkillPractice(practice) if created => d.skill_practices.push(practice),
            Entity::ThoughtRecord(record) if changed => d.thought_records.push(record),
            // Whatever the caller may see, a private entry is the client's.
            Entity::JournalEntry(entry) if changed && entry.shared => d.journal_entries.push(entry),
            // Nothing of check-ins (progress is computed from the
            // aggregates), of skills or of assignments themselves; records
            // outside the period, and tombstones, tell nothing.
            _ => {}
        }
    }

    /// The digest: summaries computed, lists in order and cut.
    pub fn finish(self) -> Digest {
        let Self {
            period,
            mut digest,
            ratings,
        } = self;
        let mut changes = Vec::new();
        for (target, mut scores) in ratings {
            scores.sort_unstable();
            let latest_at = |time_us: i64| {
                scores
                    .iter()
                    .rev()
                    .find(|(rated, _)| *rated <= time_us)
                    .map(|(_, score)| *score)
            };
            let rated_in_period = scores.iter().any(|(rated, _)| period.holds(*rated));
            if let (true, Some(now)) = (rated_in_period, latest_at(period.until_us)) {
                changes.push(EfficacyChange {
                    target,
                    then: latest_at(period.since_us),
                    now,
                });
            }
        }
        digest.efficacy_changes = changes;
        let practices: Vec<Practice> = digest.skill_practices.iter().map(Practice::from).collect();
        digest.mean_distress_drop = (!practices.is_empty()).then(|| {
            practices.iter().map(|p| f64::from(p.drop())).sum::<f64>() / practices.len() as f64
        });
        digest.distortions = thoughts::distortion_counts(digest.thought_records.iter());

        let d = &mut digest;
        let truncated = [
            arrange(&mut d.goals_created, |g| g.meta.create_time_us),
            arrange(&mut d.goals_achieved, |g| g.meta.update_time_us),
            arrange(&mut d.goals_archived, |g| g.meta.update_time_us),
            arrange(&mut d.steps_created, |s| s.meta.create_time_us),
            arrange(&mut d.steps_archived, |s| s.meta.update_time_us),
            arrange(&mut d.efficacy_ratings, |r| r.rate_time_us),
            arrange(&mut d.assessment_results, |r| r.meta.create_time_us),
            arrange(&mut d.attainment_ratings, |r| r.meta.create_time_us),
            arrange(&mut d.comments, |c| c.meta.update_time_us),
            arrange(&mut d.skill_practices, |p| p.meta.create_time_us),
            arrange(&mut d.thought_records, |r| r.meta.update_time_us),
            arrange(&mut d.journal_entries, |e| e.meta.update_time_us),
        ]
        .contains(&true);
        digest.truncated = truncated;
        digest
    }
}

/// Sorts records by a time (then by id, so equal times keep a stable
/// order) and keeps the latest [`MAX_ENTRIES`]; whether any were cut.
fn arrange<R: super::Record>(list: &mut Vec<R>, time: impl Fn(&R) -> i64) -> bool {
    list.sort_by_key(|r| (time(r), r.meta().id));
    let excess = list.len().saturating_sub(MAX_ENTRIES);
    list.drain(..excess);
    excess > 0
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::Meta;

    const HOUR: i64 = 3_600_000_000;

    fn meta(n: u128, create: i64, update: i64) -> Meta {
        Meta {
            id: Uuid::from_u128(n),
            create_time_us: create * HOUR,
            update_time_us: update * HOUR,
            ..Meta::default()
        }
    }

    fn goal(n: u128, (create, update): (i64, i64), status: GoalStatus) -> Entity {
        Entity::Goal(Goal {
            meta: meta(n, create, update),
            status,
            ..Goal::default()
        })
    }

    fn rating(n: u128, goal: u128, hour: i64, score: u8) -> Entity {
        Entity::EfficacyRating(EfficacyRating {
            meta: meta(n, hour, hour),
            target: RatingTarget::Goal(Uuid::from_u128(goal)),
            score,
            rate_time_us: hour * HOUR,
            ..EfficacyRating::default()
        })
    }

    fn ids<R: crate::domain::Record>(list: &[R]) -> Vec<u128> {
        list.iter().map(|r| r.meta().id.as_u128()).collect()
    }

    /// The period is hours 10 (excluded) to 20 (included).
    fn period() -> Period {
        Period {
            since_us: 10 * HOUR,
            until_us: 20 * HOUR,
        }
    }

    #[test]
    fn goals_count_by_when_they_were_made_and_last_changed() {
        let mut b = DigestBuilder::new(period());
        b.add(goal(1, (5, 8), GoalStatus::Active)); // nothing in the period
        b.add(goal(2, (10, 10), GoalStatus::Active)); // made at the start: before
        b.add(goal(3, (11, 11), GoalStatus::Active)); // created
        b.add(goal(4, (5, 12), GoalStatus::Achieved)); // achieved
        b.add(goal(5, (15, 20), GoalStatus::Archived)); // created and archived
        b.add(goal(6, (5, 9), GoalStatus::Achieved)); // achieved before
        let d = b.finish();
        assert_eq!(ids(&d.goals_created), [3, 5]);
        assert_eq!(ids(&d.goals_achieved), [4]);
        assert_eq!(ids(&d.goals_archived), [5]);
    }

    #[test]
    fn efficacy_changes_compare_the_latest_scores_at_both_ends() {
        let mut b = DigestBuilder::new(period());
        // Goal 100: 40 at hour 2, 50 at hour 9, then 70 at 12 and 65 at 18.
        b.add(rating(1, 100, 2, 40));
        b.add(rating(2, 100, 18, 65));
        b.add(rating(3, 100, 9, 50));
        b.add(rating(4, 100, 12, 70));
        // Goal 200: rated only before the period: no change reported.
        b.add(rating(5, 200, 3, 30));
        // Goal 300: first rated in the period.
        b.add(rating(6, 300, 20, 80));
        let d = b.finish();
        assert_eq!(ids(&d.efficacy_ratings), [4, 2, 6]);
        let goal = |n| RatingTarget::Goal(Uuid::from_u128(n));
        assert_eq!(
            d.efficacy_changes,
            [
                EfficacyChange {
                    target: goal(100),
                    then: Some(50),
                    now: 65
                },
                EfficacyChange {
                    target: goal(300),
                    then: None,
                    now: 80
                },
            ]
        );
    }

    #[test]
    fn practices_are_averaged_and_lists_keep_their_latest_entries() {
        let mut b = DigestBuilder::new(period());
        // Drops 30, −10 and 10 in the period; one before it.
        for (n, hour, before, after) in [(1, 11, 70, 40), (2, 12, 50, 60), (3, 13, 30, 20)] {
            b.add(Entity::SkillPractice(SkillPractice {
                meta: meta(n, hour, hour),
                distress_before: before,
                distress_after: after,
                ..SkillPractice::default()
            }));
        }
        b.add(Entity::SkillPractice(SkillPractice {
            meta: meta(4, 9, 9),
            distress_before: 100,
            ..SkillPractice::default()
        }));
        // More goals than a list holds, made one second apart.
        for n in 0..(MAX_ENTRIES as u128 + 5) {
            let second = 11 * HOUR + n as i64 * 1_000_000;
            b.add(Entity::Goal(Goal {
                meta: Meta {
                    id: Uuid::from_u128(1000 + n),
                    create_time_us: second,
                    update_time_us: second,
                    ..Meta::default()
                },
                ..Goal::default()
            }));
        }
        let d = b.finish();
        assert_eq!(ids(&d.skill_practices), [1, 2, 3]);
        assert_eq!(d.mean_distress_drop, Some(10.0));
        assert!(d.truncated);
        assert_eq!(d.goals_created.len(), MAX_ENTRIES);
        assert_eq!(
            d.goals_created[0].meta.id.as_u128(),
            1005,
            "the oldest 5 cut"
        );
    }
}
