//! Writing client-owned records inside a transaction. Every use case that
//! creates, changes or deletes a record goes through here, so the
//! aggregates (`StepTrack`, `ClientTrack`) change in the same transaction
//! as the records they summarise, a delete takes everything under the
//! record with it, a comment on a check-in is visible to its author only
//! exactly while the check-in's note is private, and a PHQ-9 answer about
//! self-harm never goes without its risk alert (nor, with a webhook, without
//! the alert's delivery in the outbox).

use chrono_tz::Tz;
use uuid::Uuid;

use crate::domain::{
    AccountState, AlertDelivery, Comment, CommentTarget, Entity, Kind, Meta, RiskAlert,
    TrackedAssignment, TrackedAttainment, TrackedRating, TrackedResult, TrackedScale, TrackedStep,
    track_year,
};
use crate::error::{Error, Result};
use crate::store::Tx;

/// The live record of `kind` with `id`; `NOT_FOUND` otherwise.
pub(super) fn live(tx: &mut Tx<'_>, id: Uuid, kind: Kind) -> Result<Entity> {
    tx.entity(id)?
        .filter(|e| !e.is_deleted() && e.kind() == kind)
        .ok_or(Error::NotFound(kind.noun()))
}

/// Stores a new record, for a client whose account is still there: a call
/// that checked its access just before the client's erasure committed
/// must not leave a record of theirs behind. An attainment rating needs a
/// goal with an attainment scale.
pub(super) fn create(tx: &mut Tx<'_>, mut entity: Entity) -> Result<Entity> {
    let owner = tx.account(entity.meta().client_id)?;
    if owner.is_none_or(|account| account.state == AccountState::Deleted) {
        return Err(Error::NotFound("client"));
    }
    match &mut entity {
        Entity::Comment(comment) => comment.author_only = on_private_note(tx, comment.target)?,
        Entity::AttainmentRating(rating) => {
            let scaled = matches!(
                tx.entity(rating.goal_id)?,
                Some(Entity::Goal(goal)) if goal.attainment_scale.is_some()
            );
            if !scaled {
                return Err(Error::NoAttainmentScale);
            }
        }
        _ => {}
    }
    let created = tx.create(entity)?;
    track(tx, None, Some(&created))?;
    if let Entity::AssessmentResult(result) = &created
        && result.signals_self_harm()
    {
        // In the same write: a risk is never stored without its alert, nor
        // the alert without its delivery.
        let alert = RiskAlert {
            meta: Meta::new(Uuid::now_v7(), result.meta.client_id),
            result_id: result.meta.id,
            result_date: result.local_date,
            acknowledgement: None,
        };
        let opened = tx.create(Entity::RiskAlert(alert))?;
        let delivery = AlertDelivery::new(
            (opened.meta().id, result.meta.client_id),
            (result.meta.id, result.local_date),
            opened.meta().create_time_us,
        );
        tx.queue_alert_delivery(&delivery);
    }
    Ok(created)
}

/// Replaces a live record with a changed copy of itself.
pub(super) fn update(tx: &mut Tx<'_>, entity: Entity) -> Result<Entity> {
    let before = tx.entity(entity.meta().id)?;
    let updated = tx.update(entity)?;
    track(tx, before.as_ref(), Some(&updated))?;
    if let (Some(Entity::CheckIn(before)), Entity::CheckIn(after)) = (&before, &updated)
        && before.private_note != after.private_note
    {
        hide_comments(tx, after.meta.id, after.private_note)?;
    }
    Ok(updated)
}

/// Whether a comment on `target` is for its author only: the target is a
/// check-in with a private note, which the comment may discuss.
fn on_private_note(tx: &mut Tx<'_>, target: CommentTarget) -> Result<bool> {
    let CommentTarget::CheckIn(id) = target else {
        return Ok(false);
    };
    Ok(matches!(tx.entity(id)?, Some(Entity::CheckIn(check_in)) if check_in.private_note))
}

/// Makes the comments on a check-in visible to their authors only, or to
/// everyone again: each takes a new version, so every replica learns who
/// may see it.
fn hide_comments(tx: &mut Tx<'_>, check_in: Uuid, author_only: bool) -> Result<()> {
    for child in tx.children(check_in)? {
        if let Some(Entity::Comment(comment)) = tx.entity(child)? {
            let comment = Comment {
                author_only,
                ..comment
            };
            update(tx, Entity::Comment(comment))?;
        }
    }
    Ok(())
}

/// Deletes a live record and everything under it (a goal's steps and
/// ratings, a step's check-ins and ratings), leaving tombstones; returns
/// the record's.
pub(super) fn delete(tx: &mut Tx<'_>, entity: &Entity) -> Result<Entity> {
    for child in tx.children(entity.meta().id)? {
        if let Some(live) = tx.entity(child)?.filter(|e| !e.is_deleted()) {
            delete(tx, &live)?;
        }
    }
    let tombstone = tx.tombstone(entity)?;
    track(tx, Some(entity), None)?;
    Ok(tombstone)
}

/// The client's time zone, for the local days an aggregate fixes.
fn zone(tx: &mut Tx<'_>, client: Uuid) -> Result<Tz> {
    Ok(tx.account(client)?.map_or(chrono_tz::UTC, |a| a.time_zone))
}

/// Brings the aggregates up to date with a record going from `before` to
/// `after` (`None`: not there, or deleted).
fn track(tx: &mut Tx<'_>, before: Option<&Entity>, after: Option<&Entity>) -> Result<()> {
    let Some(record) = after.or(before) else {
        return Ok(());
    };
    let client = record.meta().client_id;
    match (record, after) {
        (Entity::CheckIn(check_in), now) => {
            let (step, day) = (check_in.action_step_id, check_in.local_date);
            let year = track_year(day);
            let mut days = tx.step_year(step, year)?;
            match now {
                Some(Entity::CheckIn(now)) => days.set(now),
                _ => days.remove(day),
            }
            tx.put_step_year(step, year, &days)
        }
        (Entity::ActionStep(step), Some(Entity::ActionStep(now))) => {
            let known = tx.tracked_step(client, step.meta.id)?;
            let tracked = TrackedStep::of(now, known, zone(tx, client)?);
            tx.put_tracked(client, now.meta.id, Some(&tracked))
        }
        (Entity::ActionStep(step), _) => {
            tx.put_tracked::<TrackedStep>(client, step.meta.id, None)?;
            tx.drop_step_track(step.meta.id)
        }
        (Entity::EfficacyRating(_), Some(Entity::EfficacyRating(now))) => {
            let tracked = TrackedRating::of(now, zone(tx, client)?);
            tx.put_tracked(client, now.meta.id, Some(&tracked))
        }
        (Entity::EfficacyRating(rating), _) => {
            tx.put_tracked::<TrackedRating>(client, rating.meta.id, None)
        }
        (Entity::Goal(goal), now) => {
            let scale = match now {
                Some(Entity::Goal(now)) => now.attainment_scale.as_ref(),
                _ => None,
            };
            let tracked = scale.map(|scale| TrackedScale {
                weight: scale.weight(),
            });
            tx.put_tracked(client, goal.meta.id, tracked.as_ref())
        }
        (Entity::Assignment(assignment), now) => {
            let tracked = match now {
                Some(Entity::Assignment(now)) => Some(TrackedAssignment::of(now)),
                _ => None,
            };
            tx.put_tracked(client, assignment.meta.id, tracked.as_ref())
        }
        (Entity::AssessmentResult(result), now) => {
            let tracked = match now {
                Some(Entity::AssessmentResult(now)) => Some(TrackedResult::of(now)),
                _ => None,
            };
            tx.put_tracked(client, result.meta.id, tracked.as_ref())
        }
        (Entity::AttainmentRating(rating), now) => {
            let tracked = match now {
                Some(Entity::AttainmentRating(now)) => Some(TrackedAttainment::of(now)),
                _ => None,
            };
            tx.put_tracked(client, rating.meta.id, tracked.as_ref())
        }
        // A kind that no aggregate summarises (comments, skills, thought
        // records…): nothing to keep up to date.
        _ => Ok(()),
    }
}
