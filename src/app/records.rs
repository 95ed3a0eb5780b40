//! Writing client-owned records inside a transaction. Every use case that
//! creates, changes or deletes a record goes through here, so the
//! aggregates ([`StepTrack`], [`ClientTrack`]) change in the same
//! transaction as the records they summarise, and a delete takes
//! everything under the record with it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::domain::{
    ClientTrack, Entity, Kind, StepTrack, TrackedGoal, TrackedRating, TrackedStep,
};
use crate::error::{Error, Result};
use crate::store::Tx;

/// The live record of `kind` with `id`; `NOT_FOUND` otherwise.
pub(super) fn live(tx: &mut dyn Tx, id: Uuid, kind: Kind) -> Result<Entity> {
    tx.entity(id)?
        .filter(|e| !e.is_deleted() && e.kind() == kind)
        .ok_or(Error::NotFound(kind.noun()))
}

/// Stores a new record.
pub(super) fn create(tx: &mut dyn Tx, entity: Entity) -> Result<Entity> {
    let created = tx.create(entity)?;
    track(tx, None, Some(&created))?;
    Ok(created)
}

/// Replaces a live record with a changed copy of itself.
pub(super) fn update(tx: &mut dyn Tx, entity: Entity) -> Result<Entity> {
    let before = tx.entity(entity.meta().id)?;
    let updated = tx.update(entity)?;
    track(tx, before.as_ref(), Some(&updated))?;
    Ok(updated)
}

/// Deletes a live record and everything under it (a goal's steps and
/// ratings, a step's check-ins and ratings), leaving tombstones; returns
/// the record's.
pub(super) fn delete(tx: &mut dyn Tx, entity: &Entity) -> Result<Entity> {
    for child in tx.children(entity.meta().id)? {
        if let Some(live) = tx.entity(child)?.filter(|e| !e.is_deleted()) {
            delete(tx, &live)?;
        }
    }
    let tombstone = tx.tombstone(entity)?;
    track(tx, Some(entity), None)?;
    Ok(tombstone)
}

/// The local day in `zone` of a time in microseconds since the Unix epoch.
pub(super) fn local_day(micros: i64, zone: Tz) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

/// The client's time zone, for the local days an aggregate fixes.
fn zone(tx: &mut dyn Tx, client: Uuid) -> Result<Tz> {
    Ok(tx.account(client)?.map_or(chrono_tz::UTC, |a| a.time_zone))
}

/// Brings the aggregates up to date with a record going from `before` to
/// `after` (`None`: not there, or deleted).
fn track(tx: &mut dyn Tx, before: Option<&Entity>, after: Option<&Entity>) -> Result<()> {
    let Some(record) = after.or(before) else {
        return Ok(());
    };
    let client = record.meta().client_id;
    match record {
        Entity::CheckIn(check_in) => {
            let step = check_in.action_step_id;
            let mut steps = tx.step_track(step)?.unwrap_or_default();
            match after {
                Some(Entity::CheckIn(now)) => steps.set(now),
                _ => steps.remove(check_in.local_date),
            }
            tx.put_step_track(step, Some(&steps))
        }
        Entity::ActionStep(step) => {
            let mut plan = client_track(tx, client)?;
            match after {
                Some(Entity::ActionStep(now)) => {
                    let start_day = match plan.steps.get(&step.meta.id) {
                        Some(known) => known.start_day,
                        None => local_day(now.meta.create_time_us, zone(tx, client)?),
                    };
                    plan.steps.insert(
                        now.meta.id,
                        TrackedStep {
                            goal_id: now.goal_id,
                            schedule: now.schedule,
                            status: now.status,
                            start_day,
                        },
                    );
                }
                _ => {
                    plan.steps.remove(&step.meta.id);
                    tx.put_step_track(step.meta.id, None::<&StepTrack>)?;
                }
            }
            tx.put_client_track(client, &plan)
        }
        Entity::Goal(goal) => {
            let mut plan = client_track(tx, client)?;
            match after {
                Some(Entity::Goal(now)) => {
                    plan.goals
                        .insert(now.meta.id, TrackedGoal { status: now.status });
                }
                _ => {
                    plan.goals.remove(&goal.meta.id);
                }
            }
            tx.put_client_track(client, &plan)
        }
        Entity::EfficacyRating(rating) => {
            let mut plan = client_track(tx, client)?;
            match after {
                Some(Entity::EfficacyRating(now)) => {
                    let local_day = local_day(now.rate_time_us, zone(tx, client)?);
                    plan.ratings.insert(
                        now.meta.id,
                        TrackedRating {
                            target: now.target,
                            rate_time_us: now.rate_time_us,
                            local_day,
                            score: now.score,
                        },
                    );
                }
                _ => {
                    plan.ratings.remove(&rating.meta.id);
                }
            }
            tx.put_client_track(client, &plan)
        }
        Entity::Tombstone(_) => Ok(()),
    }
}

fn client_track(tx: &mut dyn Tx, client: Uuid) -> Result<ClientTrack> {
    Ok(tx.client_track(client)?.unwrap_or_default())
}
