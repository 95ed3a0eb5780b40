//! Sync: pull changes after a cursor, push offline edits idempotently, and
//! follow a client's changes live.
//!
//! Only durable changes are handed out: a pull reads, then waits until
//! everything committed by the end of its read is on disk. Otherwise a device
//! could see a change that a crash then loses (or skip a record that moved to
//! a later sequence number that a crash then undoes), and a later change
//! reusing its sequence number would be skipped by the device's cursor.

use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;

use super::App;
use super::delivery::{Delivery, Looks};
use super::{Action, Principal};
use crate::domain::Role;
use crate::domain::{
    Cursor, Entity, EntityKind, Mutation, MutationOp, MutationResult, Outcome, RatingTarget,
    replace_mutable_fields,
};
use crate::error::{Error, Result};
use crate::store::{Family, Tx, TxResult, abort};

/// Changes per pull when the request gives 0.
pub const DEFAULT_PULL_SIZE: usize = 500;
/// Most changes per pull.
pub const MAX_PULL_SIZE: usize = 5000;
/// A pull stops adding changes past this many encoded bytes, well inside
/// the 4 MiB gRPC message limit.
pub const MAX_PULL_BYTES: usize = 2 * 1024 * 1024;
/// Most mutations per push.
pub const MAX_PUSH_MUTATIONS: usize = 500;

/// One page of changes.
#[derive(Debug)]
pub struct PullPage {
    /// Records and tombstones, oldest change first.
    pub changes: Vec<Entity>,
    /// Cursor after these changes.
    pub next_cursor: String,
    /// Whether more changes are waiting.
    pub has_more: bool,
}

/// An event of a subscription.
#[derive(Debug)]
pub enum SyncEvent {
    /// A record changed; resume after it with the cursor.
    Change(Box<Entity>, String),
    /// Nothing changed lately: the unchanged cursor and the server's time.
    Heartbeat(String, i64),
}

impl App {
    /// The client's changes after `cursor` ("" for an initial sync).
    pub async fn pull(
        &self,
        principal: &Principal,
        client_id: &str,
        cursor: &str,
        size: usize,
    ) -> Result<PullPage> {
        self.sync_access(principal, client_id)?;
        let (after, initial) = self.resume_point(client_id, cursor)?;
        let head = self.store.head(client_id)?;
        crate::async_fail_point!("sync::pull_before_scan");
        let page = self
            .store
            .changes(client_id, (after, head), (size, MAX_PULL_BYTES), initial)?;
        // After the read: what it saw (including records it skipped because
        // they moved on) must be on disk before the cursor moves past it.
        self.store.durable().await?;
        Ok(PullPage {
            changes: page
                .entities
                .into_iter()
                .map(|e| as_seen_by(principal, e))
                .collect(),
            next_cursor: self.cursor(client_id, page.last_seq)?,
            has_more: page.has_more,
        })
    }

    /// Applies each mutation atomically and idempotently; all results are
    /// durable when this returns.
    pub async fn push(
        &self,
        principal: &Principal,
        mutations: Vec<Mutation>,
    ) -> Result<Vec<MutationResult>> {
        let mut results = Vec::with_capacity(mutations.len());
        for mutation in mutations {
            results.push(self.apply_mutation(principal, mutation)?);
        }
        self.store.durable().await?;
        Ok(results)
    }

    /// Checks access and the cursor, then streams the backlog and live
    /// changes into the returned channel until the receiver goes away or
    /// the server shuts down.
    pub fn subscribe(
        &self,
        principal: &Principal,
        client_id: &str,
        cursor: &str,
        heartbeat: Duration,
    ) -> Result<mpsc::Receiver<Result<SyncEvent>>> {
        self.read_access(principal, client_id)?;
        let (after, initial) = self.resume_point(client_id, cursor)?;
        let client_id = client_id.to_owned();
        let caller = principal.clone();
        self.spawn_stream(principal, move |app, events| async move {
            app.follow(&caller, &client_id, (after, initial), heartbeat, &events)
                .await
        })
    }

    async fn follow(
        &self,
        principal: &Principal,
        client_id: &str,
        (mut seen, mut initial): (i64, bool),
        heartbeat: Duration,
        events: &mpsc::Sender<Result<SyncEvent>>,
    ) -> Result<()> {
        let mut commits = self.store.watch(client_id)?;
        let mut shutdown = self.shutdown.subscribe();
        if *shutdown.borrow_and_update() {
            return Err(Error::ShuttingDown);
        }
        let mut looks = Looks::new("stepwise.v1.SyncService/Subscribe");
        loop {
            // Marked seen before reading the head: a commit after this
            // point wakes the wait below.
            commits.borrow_and_update();
            let head = self.store.head(client_id)?;
            let delivery = self
                .deliver(
                    principal,
                    &mut looks,
                    client_id,
                    (seen, head),
                    initial,
                    events,
                    |entity| {
                        let cursor = self.cursor(client_id, entity.meta().version)?;
                        Ok(SyncEvent::Change(Box::new(entity), cursor))
                    },
                )
                .await?;
            match delivery {
                Delivery::Done => {}
                Delivery::ReceiverGone => return Ok(()),
                // A revoked link ends a therapist's stream at the next change.
                Delivery::AccessEnded => return self.read_access(principal, client_id),
            }
            (seen, initial) = (seen.max(head), false);
            tokio::select! {
                changed = commits.changed() => {
                    if changed.is_err() {
                        return Err(Error::internal("store stopped publishing commits"));
                    }
                }
                () = tokio::time::sleep(heartbeat) => {
                    let cursor = self.cursor(client_id, seen)?;
                    if events.send(Ok(SyncEvent::Heartbeat(cursor, self.now_micros()))).await.is_err() {
                        return Ok(());
                    }
                }
                // The flag only ever turns true.
                _ = shutdown.changed() => return Err(Error::ShuttingDown),
                () = events.closed() => return Ok(()),
            }
        }
    }

    /// [`App::read_access`] for a call that reads the client's data now,
    /// noted for the audit trail.
    fn sync_access(&self, principal: &Principal, client_id: &str) -> Result<()> {
        self.read_access(principal, client_id)?;
        if !principal.is_client(client_id) {
            principal.note_access(client_id);
        }
        Ok(())
    }

    /// `NOT_FOUND` unless the caller may read the client's data;
    /// `ACCESS_REVOKED` for a therapist whose link the client revoked, so
    /// the dashboard knows to delete its copy.
    fn read_access(&self, principal: &Principal, client_id: &str) -> Result<()> {
        principal.permit(Action::Read)?;
        if self.may_still_read(principal, client_id)? {
            return Ok(());
        }
        if principal.role == Role::Therapist
            && self
                .store
                .link_between(&principal.account_id, client_id)?
                .is_some()
        {
            return Err(Error::AccessRevoked);
        }
        Err(Error::NotFound("client"))
    }

    /// The sequence number after which to continue, and whether this is an
    /// initial sync.
    fn resume_point(&self, client_id: &str, cursor: &str) -> Result<(i64, bool)> {
        if cursor.is_empty() {
            return Ok((0, true));
        }
        // The epoch first: after a wipe or restore, even the client's id
        // may be new, and the device must resync rather than fix its input.
        let cursor = Cursor::decode(cursor).ok_or_else(|| {
            Error::invalid("cursor", "is not a cursor returned by Pull or Subscribe")
        })?;
        if cursor.epoch != self.store.epoch() {
            return Err(Error::ResyncRequired(
                "the cursor comes from another copy of the data (the server's store was replaced or restored)",
            ));
        }
        if cursor.client != client_bytes(client_id)? {
            return Err(Error::invalid("cursor", "belongs to another client"));
        }
        if cursor.seq > self.store.head(client_id)? {
            return Err(Error::ResyncRequired(
                "the cursor is ahead of the server's data",
            ));
        }
        Ok((cursor.seq, false))
    }

    fn cursor(&self, client_id: &str, seq: i64) -> Result<String> {
        Ok(Cursor {
            epoch: self.store.epoch(),
            client: client_bytes(client_id)?,
            seq,
        }
        .encode())
    }

    /// Applies one mutation, or answers it from its recorded result: the
    /// first result for a replay, `MUTATION_ID_REUSED` for a different edit
    /// under a used id.
    fn apply_mutation(&self, principal: &Principal, mutation: Mutation) -> Result<MutationResult> {
        let Mutation {
            mutation_id,
            base_version,
            payload_digest,
            op,
        } = mutation;
        let actor = &principal.account_id;
        let once = (mutation_id.as_str(), &payload_digest);
        let error = match op {
            Ok(op) => {
                let attempt = |family: &Family| {
                    self.store.write_nowait(actor, |tx| {
                        answer_once(tx, once, || {
                            apply(tx, principal, &mutation_id, base_version, &op, family)
                        })
                    })
                };
                let applied = match &op {
                    MutationOp::Delete(kind, id) => self.store.with_family(id, *kind, attempt),
                    MutationOp::Upsert(_) => attempt(&Family::default()),
                };
                match applied {
                    Ok(result) => return Ok(result),
                    Err(error) => error,
                }
            }
            Err(error) => error,
        };
        if let Error::Internal(_) = error {
            return Err(error);
        }
        // Rejected: nothing of the mutation was written; remember the verdict
        // so a replay gets the same answer.
        self.store.write_nowait(actor, |tx| {
            answer_once(tx, once, || {
                Ok(MutationResult::rejected(&mutation_id, &error))
            })
        })
    }
}

/// The recorded answer to mutation `id` if it was seen before, else the
/// result of `decide`, recorded with the payload's `digest`.
///
/// A seen id answers only a replay of the same payload; another edit under
/// it is rejected with `MUTATION_ID_REUSED` and not recorded, so the first
/// result stays what every faithful replay gets.
fn answer_once(
    tx: &Tx,
    (id, digest): (&str, &[u8; 32]),
    decide: impl FnOnce() -> TxResult<MutationResult>,
) -> TxResult<MutationResult> {
    if let Some(previous) = tx.mutation_result(id)? {
        if previous.answers(digest) {
            return Ok(previous);
        }
        return Ok(MutationResult::rejected(id, &Error::MutationIdReused));
    }
    let result = MutationResult {
        payload_digest: digest.to_vec(),
        ..decide()?
    };
    tx.record_mutation(&result)?;
    Ok(result)
}

/// A record as `principal` may see it: therapists do not see private notes.
pub(super) fn as_seen_by(principal: &Principal, entity: Entity) -> Entity {
    match entity {
        Entity::CheckIn(check_in) if principal.role == Role::Therapist => {
            Entity::CheckIn(check_in.for_therapist())
        }
        other => other,
    }
}

fn client_bytes(client_id: &str) -> Result<[u8; 16]> {
    Uuid::try_parse(client_id)
        .map(Uuid::into_bytes)
        .map_err(|_| Error::invalid("client_id", "must be a UUID"))
}

/// The action a caller needs for a mutation of `kind`.
fn action_for(kind: EntityKind) -> Action {
    match kind {
        EntityKind::Goal | EntityKind::ActionStep => Action::Plan,
        _ => Action::Own,
    }
}

/// Applies one mutation inside its transaction. Outcomes other than
/// APPLIED are results, not errors; an error aborts the transaction and
/// becomes a REJECTED result.
fn apply(
    tx: &Tx,
    principal: &Principal,
    mutation_id: &str,
    base_version: i64,
    op: &MutationOp,
    family: &Family,
) -> TxResult<MutationResult> {
    let (kind, id, action) = match op {
        MutationOp::Upsert(entity) => (
            entity.kind(),
            entity.meta().id.as_str(),
            action_for(entity.kind()),
        ),
        MutationOp::Delete(kind, id) => (*kind, id.as_str(), Action::Own),
    };
    if let Err(e) = principal.permit(action) {
        return abort(e);
    }
    let result = |outcome, entity| Ok(MutationResult::with_current(mutation_id, outcome, entity));
    // Records of clients the caller may not act for do not exist for it.
    let existing = tx
        .get(id)?
        .filter(|e| e.kind() == kind && principal.is_client(&e.meta().client_id));
    match (op, existing) {
        (_, Some(gone)) if gone.is_deleted() => result(Outcome::Gone, gone),
        (MutationOp::Delete(..), None) => abort(Error::NotFound(kind.noun())),
        (_, None) if base_version != 0 => abort(Error::NotFound(kind.noun())),
        (_, Some(current)) if base_version != current.meta().version => {
            result(Outcome::Conflict, current)
        }
        (MutationOp::Delete(..), Some(current)) => {
            result(Outcome::Applied, tx.delete(&current, family)?)
        }
        (MutationOp::Upsert(incoming), Some(mut current)) => {
            match replace_mutable_fields(&mut current, incoming) {
                Ok(()) => result(Outcome::Applied, tx.update(current)?),
                Err(e) => abort(e),
            }
        }
        (MutationOp::Upsert(incoming), None) => {
            create(tx, principal, mutation_id, incoming.clone())
        }
    }
}

/// Creates a record whose id is unused, under a live parent.
fn create(
    tx: &Tx,
    principal: &Principal,
    mutation_id: &str,
    mut entity: Entity,
) -> TxResult<MutationResult> {
    let parent = match &entity {
        Entity::Goal(_) => None,
        Entity::ActionStep(step) => Some((
            EntityKind::Goal,
            step.goal_id.clone(),
            "action_step.goal_id",
        )),
        Entity::CheckIn(check_in) => Some((
            EntityKind::ActionStep,
            check_in.action_step_id.clone(),
            "check_in.action_step_id",
        )),
        Entity::EfficacyRating(rating) => match &rating.target {
            Some(RatingTarget::GoalId(id)) => {
                Some((EntityKind::Goal, id.clone(), "rating.goal_id"))
            }
            Some(RatingTarget::ActionStepId(id)) => {
                Some((EntityKind::ActionStep, id.clone(), "rating.action_step_id"))
            }
            None => {
                return abort(Error::invalid(
                    "rating.target",
                    "set goal_id or action_step_id",
                ));
            }
        },
        Entity::Tombstone(_) => return abort(Error::internal("cannot create a tombstone")),
    };
    if let Some((kind, parent_id, field)) = parent {
        let parent = tx
            .get(&parent_id)?
            .filter(|p| p.kind() == kind && principal.is_client(&p.meta().client_id));
        match parent {
            None => {
                return abort(Error::invalid(
                    field,
                    format!("no {} with this id", kind.noun()),
                ));
            }
            // The record would hang under a deleted one.
            Some(gone) if gone.is_deleted() => {
                return Ok(MutationResult::with_current(
                    mutation_id,
                    Outcome::Gone,
                    gone,
                ));
            }
            Some(parent) => entity.meta_mut().client_id = parent.meta().client_id.clone(),
        }
    } else if !principal.is_client(&entity.meta().client_id) {
        return abort(Error::NotFound("client"));
    }
    if let Entity::CheckIn(check_in) = &entity
        && let Some(taken) = tx.check_in_on(&check_in.action_step_id, &check_in.local_date)?
    {
        let existing = tx.live(&taken, EntityKind::CheckIn)?;
        return Ok(MutationResult::with_current(
            mutation_id,
            Outcome::Conflict,
            existing,
        ));
    }
    let created = tx.create(entity)?;
    Ok(MutationResult::with_current(
        mutation_id,
        Outcome::Applied,
        created,
    ))
}
