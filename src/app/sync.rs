//! Sync: pull changes after a cursor, push offline edits idempotently, and
//! follow a client's changes live.
//!
//! Only durable changes are handed out: a pull reads, then waits until
//! everything committed by the end of its read is on disk. Otherwise a device
//! could see a change that a crash then loses (or skip a record that moved to
//! a later sequence number that a crash then undoes), and a later change
//! reusing its sequence number would be skipped by the device's cursor.
//!
//! A push is one transaction of the store; each of its mutations runs in a
//! nested transaction of its own, so one that fails writes nothing while
//! its neighbours apply, and what each did is kept ([`Replay`]) so that a
//! replay is answered the same way and applies nothing.

use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;

use super::assessments::score;
use super::comments::target_field;
use super::delivery::{Delivery, Looks};
use super::safety_plan::superseded_by;
use super::{Action, App, Principal, action_for, records};
use crate::domain::{
    Cursor, Entity, IntoEntity, Kind, Mutation, MutationOp, MutationResult, Outcome, Parent,
    RecordVisitor, Rejection, Replay, Role,
};
use crate::error::{Error, Result, Violations};
use crate::store::Tx;

/// Changes per pull when the request gives 0.
pub const DEFAULT_PULL_SIZE: usize = 500;
/// Most changes per pull.
pub const MAX_PULL_SIZE: usize = 5000;
/// A pull stops adding changes past this many encoded bytes, well inside
/// the 4 MiB gRPC message limit.
pub(super) const MAX_PULL_BYTES: usize = 2 * 1024 * 1024;
/// Most mutations per push.
pub const MAX_PUSH_MUTATIONS: usize = 500;

/// Why a cursor older than the sync window cannot be served.
const FORGOTTEN: &str = "the cursor is older than the server's sync window (deletions or push results after it were removed)";

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
    /// The client's changes after `cursor` (none for an initial sync).
    pub async fn pull(
        &self,
        principal: &Principal,
        client_id: Uuid,
        cursor: Option<Cursor>,
        size: usize,
    ) -> Result<PullPage> {
        self.sync_access(principal, client_id).await?;
        let (after, initial) = self.resume_point(client_id, cursor).await?;
        let head = self.store.head(client_id).await?;
        crate::async_fail_point!("sync::pull_before_scan");
        let page = self
            .store
            .changes(client_id, (after, head), (size, MAX_PULL_BYTES), initial)
            .await?;
        // After the read: retention may have taken a tombstone after
        // the cursor out of the index while it was read. (An initial sync
        // sends no tombstones.)
        if !initial {
            self.check_floor(client_id, after).await?;
        }
        Ok(PullPage {
            changes: page
                .entities
                .into_iter()
                .filter_map(|e| self.as_seen_by(principal, e))
                // An initial sync leaves out tombstones, also those of
                // records hidden from the caller.
                .filter(|e| !(initial && e.is_deleted()))
                .collect(),
            next_cursor: self.cursor(client_id, page.last_seq),
            has_more: page.has_more,
        })
    }

    /// Applies each mutation atomically and idempotently, in one
    /// transaction; all results are durable when this returns.
    ///
    /// `cursor` is the pushing device's (none before its first pull). When
    /// retention forgot push results of the caller's from after it, the
    /// device may be retrying a mutation whose result is gone: the whole
    /// push fails with `RESYNC_REQUIRED` and applies nothing, so no answer
    /// is made up for it; the device pulls from scratch and pushes again.
    pub async fn push(
        &self,
        principal: &Principal,
        cursor: Option<Cursor>,
        mutations: Vec<Mutation>,
    ) -> Result<Vec<MutationResult>> {
        let (seen, _) = self.resume_point(principal.account_id, cursor).await?;
        let caller = principal.clone();
        let results: Vec<MutationResult> = self
            .store
            .write(principal.account_id, move |tx| {
                // In the push's own transaction: no retention batch can
                // come between this check and the mutations.
                if tx.sync_floor(caller.account_id)? > seen {
                    return Err(Error::ResyncRequired(FORGOTTEN));
                }
                mutations
                    .iter()
                    .map(|mutation| apply_mutation(tx, &caller, mutation))
                    .collect()
            })
            .await?;
        // The records a push shows are the caller's own, but who may see
        // one that a replay shows can have changed since.
        Ok(results
            .into_iter()
            .map(|result| MutationResult {
                current: result.current.and_then(|e| self.as_seen_by(principal, e)),
                ..result
            })
            .collect())
    }

    /// Checks access and the cursor, then streams the backlog and live
    /// changes into the returned channel until the receiver goes away or
    /// the server shuts down.
    pub async fn subscribe(
        &self,
        principal: &Principal,
        client_id: Uuid,
        cursor: Option<Cursor>,
        heartbeat: Duration,
    ) -> Result<mpsc::Receiver<Result<SyncEvent>>> {
        self.read_access(principal, client_id).await?;
        let (after, initial) = self.resume_point(client_id, cursor).await?;
        let caller = principal.clone();
        self.spawn_stream(principal, move |app, events| async move {
            app.follow(&caller, client_id, (after, initial), heartbeat, &events)
                .await
        })
    }

    async fn follow(
        &self,
        principal: &Principal,
        client_id: Uuid,
        (mut seen, mut initial): (i64, bool),
        heartbeat: Duration,
        events: &mpsc::Sender<Result<SyncEvent>>,
    ) -> Result<()> {
        let mut commits = self.store.watch(client_id)?;
        let mut shutdown = self.shutdown.subscribe();
        if *shutdown.borrow_and_update() {
            return Err(Error::ShuttingDown);
        }
        let mut access = self.access.subscribe();
        let mut looks = Looks::new("stepwise.v1.SyncService/Subscribe");
        loop {
            // Marked seen before reading the head: a commit after this
            // point wakes the wait below.
            commits.borrow_and_update();
            let head = self.store.head(client_id).await?;
            let delivery = self
                .deliver(
                    principal,
                    &mut looks,
                    client_id,
                    (seen, head),
                    initial,
                    events,
                    |entity| {
                        let cursor = self.cursor(client_id, entity.meta().version);
                        Ok(SyncEvent::Change(Box::new(entity), cursor))
                    },
                )
                .await?;
            match delivery {
                Delivery::Done => {}
                Delivery::ReceiverGone => return Ok(()),
                // A revoked link ends a therapist's stream at the next change.
                Delivery::AccessEnded => return self.read_access(principal, client_id).await,
            }
            (seen, initial) = (seen.max(head), false);
            tokio::select! {
                changed = commits.changed() => {
                    if changed.is_err() {
                        return Err(Error::internal("store stopped publishing commits"));
                    }
                }
                // A token, account or link changed: end the stream if it
                // was the caller's (the change itself is no event).
                _ = access.changed() => {
                    self.still_authenticated(principal).await?;
                    self.read_access(principal, client_id).await?;
                }
                () = tokio::time::sleep(heartbeat) => {
                    // An expiry passes without any change: checked here.
                    self.still_authenticated(principal).await?;
                    let cursor = self.cursor(client_id, seen);
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
    async fn sync_access(&self, principal: &Principal, client_id: Uuid) -> Result<()> {
        self.read_access(principal, client_id).await?;
        if !principal.is_client(client_id) {
            principal.note_access(client_id)?;
        }
        Ok(())
    }

    /// `NOT_FOUND` unless the caller may read the client's data;
    /// `ACCESS_REVOKED` for a therapist whose link the client revoked, so
    /// the dashboard knows to delete its copy.
    async fn read_access(&self, principal: &Principal, client_id: Uuid) -> Result<()> {
        principal.permit(Action::Read)?;
        if self.may_still_read(principal, client_id).await? {
            return Ok(());
        }
        if principal.role == Role::Therapist
            && self
                .store
                .link_between(principal.account_id, client_id)
                .await?
                .is_some()
        {
            return Err(Error::AccessRevoked);
        }
        Err(Error::NotFound("client"))
    }

    /// The sequence number after which to continue, and whether this is an
    /// initial sync.
    async fn resume_point(&self, client_id: Uuid, cursor: Option<Cursor>) -> Result<(i64, bool)> {
        let Some(cursor) = cursor else {
            return Ok((0, true));
        };
        // The epoch first: after a wipe or restore, even the client's id
        // may be new, and the device must resync rather than fix its input.
        if cursor.epoch != self.store.epoch() {
            return Err(Error::ResyncRequired(
                "the cursor comes from another copy of the data (the server's store was replaced or restored)",
            ));
        }
        if cursor.client != client_id {
            return Err(Error::invalid("cursor", "belongs to another client"));
        }
        if cursor.seq > self.store.head(client_id).await? {
            return Err(Error::ResyncRequired(
                "the cursor is ahead of the server's data",
            ));
        }
        self.check_floor(client_id, cursor.seq).await?;
        Ok((cursor.seq, false))
    }

    /// `RESYNC_REQUIRED` when retention removed something of the client's
    /// after sequence number `seen` (a tombstone, or a push result), so
    /// that a device at `seen` can no longer be answered exactly.
    pub(super) async fn check_floor(&self, client_id: Uuid, seen: i64) -> Result<()> {
        if self.store.sync_floor(client_id).await? > seen {
            return Err(Error::ResyncRequired(FORGOTTEN));
        }
        Ok(())
    }

    fn cursor(&self, client_id: Uuid, seq: i64) -> String {
        Cursor {
            epoch: self.store.epoch(),
            client: client_id,
            seq,
        }
        .encode()
    }
}

/// Answers one mutation: from what it did before if it was seen (a
/// replay), else by applying it in a nested transaction and keeping what it
/// did. A seen id answers only a replay of the same payload; another edit
/// under it is rejected with `MUTATION_ID_REUSED` and not kept, so the
/// first result stays what every faithful replay gets.
fn apply_mutation(
    tx: &mut Tx<'_>,
    principal: &Principal,
    mutation: &Mutation,
) -> Result<MutationResult> {
    let id = mutation.mutation_id.as_str();
    if let Some(replay) = tx.replay(id)? {
        if !replay.answers(&mutation.payload_digest) {
            return Ok(MutationResult::rejected(id, &Error::MutationIdReused));
        }
        return Ok(MutationResult {
            mutation_id: id.to_owned(),
            outcome: replay.outcome,
            current: replay.current,
            rejection: replay.rejection,
        });
    }
    let decided = match &mutation.op {
        Ok(op) => {
            tx.begin_nested();
            let decided = apply(tx, principal, mutation.base_version, op);
            tx.end_nested(decided.is_ok());
            decided.map_err(|error| match error {
                Error::Internal(_) => Err(error),
                refused => Ok(Rejection::from(&refused)),
            })
        }
        Err(rejection) => Err(Ok(rejection.clone())),
    };
    let (outcome, current, rejection) = match decided {
        Ok((outcome, entity)) => (outcome, Some(entity), None),
        Err(Ok(rejection)) => (Outcome::Rejected, None, Some(rejection)),
        // The store failed: the whole push fails, and the device retries.
        Err(Err(internal)) => return Err(internal),
    };
    let replay = Replay {
        payload_digest: mutation.payload_digest,
        outcome,
        current,
        rejection,
    };
    tx.remember(id, &replay)?;
    Ok(MutationResult {
        mutation_id: id.to_owned(),
        outcome: replay.outcome,
        current: replay.current,
        rejection: replay.rejection,
    })
}

/// `PERMISSION_DENIED` unless the caller may delete or change `record` by
/// itself (beyond acting for its client): comments are their authors';
/// assignments (cancelled by therapists), assessment results and
/// attainment ratings are never deleted on their own.
fn may_alter(principal: &Principal, record: &Entity) -> Result<()> {
    struct Alteration(Uuid);
    impl RecordVisitor for Alteration {
        type Output = std::result::Result<(), &'static str>;
        fn visit<R: IntoEntity>(self, record: &R) -> Self::Output {
            record.alteration(self.0)
        }
    }
    record
        .visit_record(Alteration(principal.account_id))
        .unwrap_or(Ok(()))
        .map_err(Error::PermissionDenied)
}

/// Applies one mutation. Outcomes other than APPLIED are results, not
/// errors; an error undoes the mutation and becomes a REJECTED result.
fn apply(
    tx: &mut Tx<'_>,
    principal: &Principal,
    base_version: i64,
    op: &MutationOp,
) -> Result<(Outcome, Entity)> {
    let (kind, id, action) = match op {
        MutationOp::Upsert(entity) => (entity.kind(), entity.meta().id, action_for(entity.kind())),
        MutationOp::Delete(kind, id) => (*kind, *id, Action::Own),
        MutationOp::Submit(draft) => (Kind::AssessmentResult, draft.id, Action::Own),
    };
    principal.permit(action)?;
    // A submission with bad fields (a malformed date) is rejected whatever
    // record its id names, as one with bad answers would be on its own:
    // scoring it names both.
    if let MutationOp::Submit(draft) = op
        && !draft.violations.is_empty()
    {
        score(tx, principal.account_id, draft.clone())?;
    }
    // Records of clients the caller may not act for, or hidden from it (a
    // comment on a private note by someone else), do not exist for it.
    let existing = tx.entity(id)?.filter(|e| {
        e.kind() == kind
            && principal.is_client(e.meta().client_id)
            && e.visible_to(principal.account_id)
    });
    match (op, existing) {
        (_, Some(gone)) if gone.is_deleted() => Ok((Outcome::Gone, gone)),
        (MutationOp::Delete(..), None) => Err(Error::NotFound(kind.noun())),
        (_, None) if base_version != 0 => Err(Error::NotFound(kind.noun())),
        (_, Some(current)) if base_version != current.meta().version => {
            Ok((Outcome::Conflict, current))
        }
        (MutationOp::Delete(..), Some(current)) => {
            may_alter(principal, &current)?;
            Ok((Outcome::Applied, records::delete(tx, &current)?))
        }
        (MutationOp::Upsert(incoming), Some(current)) => {
            may_alter(principal, &current)?;
            let replaced = replace_editable(current, incoming)?;
            Ok((Outcome::Applied, records::update(tx, replaced)?))
        }
        (MutationOp::Submit(_), Some(_)) => Err(Error::invalid(
            "result",
            "an assessment result cannot be changed; submit a new one",
        )),
        (MutationOp::Upsert(incoming), None) => create(tx, principal, (**incoming).clone()),
        (MutationOp::Submit(draft), None) => {
            let result = score(tx, principal.account_id, draft.clone())?;
            create(tx, principal, result.into_entity())
        }
    }
}

/// `current` with every editable field of `incoming` (a full replacement,
/// as an offline edit sends the whole record); immutable fields must not
/// differ.
fn replace_editable(current: Entity, incoming: &Entity) -> Result<Entity> {
    // The current record is borrowed from the entity: one copy, the
    // replaced record. The request path is spelled only for a violation.
    fn replace<R: IntoEntity>(current: &R, incoming: &R) -> Result<Entity> {
        let path = |field: &str| format!("{}.{field}", record_path(R::KIND));
        if R::FIELDS.is_empty() {
            return Err(Error::invalid(
                record_path(R::KIND),
                format!(
                    "a {} cannot be changed; delete it and record a new one",
                    R::KIND.noun()
                ),
            ));
        }
        let mut check = Violations::new();
        for field in current.changed_immutable(incoming) {
            check.add(path(field), "cannot be changed");
        }
        let mut replaced = current.clone();
        replaced.replace_editable(incoming);
        if let Some((field, why)) = current.refused_change(&replaced) {
            check.add(path(field), why);
        }
        check.finish()?;
        Ok(replaced.into_entity())
    }
    struct Replace<'a>(&'a Entity);
    impl RecordVisitor for Replace<'_> {
        type Output = Result<Entity>;
        fn visit<R: IntoEntity>(self, current: &R) -> Result<Entity> {
            match R::in_entity(self.0) {
                Some(incoming) => replace(current, incoming),
                None => Err(Error::NotFound(R::KIND.noun())),
            }
        }
    }
    let kind = current.kind();
    current
        .visit_record(Replace(incoming))
        .unwrap_or(Err(Error::NotFound(kind.noun())))
}

/// The request field that carries a record of `kind`, which its
/// violations are named under (the noun in snake case, but for the
/// ratings and results, which the API calls `rating` and `result`).
fn record_path(kind: Kind) -> String {
    match kind {
        Kind::EfficacyRating | Kind::AttainmentRating => "rating".into(),
        Kind::AssessmentResult => "result".into(),
        _ => kind.noun().replace([' ', '-'], "_"),
    }
}

/// Creates a record whose id is unused, under a live parent of the caller.
fn create(tx: &mut Tx<'_>, principal: &Principal, mut entity: Entity) -> Result<(Outcome, Entity)> {
    match entity.parent() {
        Some(Parent::Record(kind, parent_id)) => {
            let parent = tx
                .entity(parent_id)?
                .filter(|p| p.kind() == kind && principal.is_client(p.meta().client_id));
            match parent {
                None => {
                    return Err(Error::invalid(
                        parent_field(&entity),
                        format!("no {} with this id", kind.noun()),
                    ));
                }
                // The record would hang under a deleted one.
                Some(gone) if gone.is_deleted() => return Ok((Outcome::Gone, gone)),
                Some(parent) => entity.meta_mut().client_id = parent.meta().client_id,
            }
        }
        Some(Parent::Client) if principal.is_client(entity.meta().client_id) => {}
        _ => return Err(Error::NotFound("client")),
    }
    if let Entity::SafetyPlan(plan) = &entity
        && let Some(current) = superseded_by(tx, plan)?
    {
        return Ok((Outcome::Conflict, current));
    }
    if let Entity::CheckIn(check_in) = &entity {
        let slot = tx.child_at(
            check_in.action_step_id,
            Kind::CheckIn,
            entity_order(&entity),
        )?;
        if let Some(taken) = slot {
            return Ok((Outcome::Conflict, records::live(tx, taken, Kind::CheckIn)?));
        }
    }
    Ok((Outcome::Applied, records::create(tx, entity)?))
}

fn entity_order(entity: &Entity) -> crate::domain::Order {
    entity.order().unwrap_or(crate::domain::Order::Id)
}

/// The request field naming a new record's parent.
fn parent_field(entity: &Entity) -> String {
    match entity {
        Entity::ActionStep(_) => "action_step.goal_id".into(),
        Entity::CheckIn(_) => "check_in.action_step_id".into(),
        Entity::EfficacyRating(rating) => match rating.target {
            crate::domain::RatingTarget::Goal(_) => "rating.goal_id".into(),
            crate::domain::RatingTarget::ActionStep(_) => "rating.action_step_id".into(),
        },
        Entity::AttainmentRating(_) => "rating.goal_id".into(),
        Entity::Comment(comment) => target_field(&comment.target).into(),
        Entity::SkillPractice(_) => "skill_practice.skill_id".into(),
        // Top-level records hang under their client.
        _ => "parent".into(),
    }
}
