//! Typed operations inside one store transaction.
//!
//! Every change stamps the record with the owner's next sequence number as
//! its version and moves the record's entry in the `changes` index to it,
//! so the index holds each record exactly once, at its current version.
//!
//! sled's transactional trees cannot iterate, and plain reads inside a
//! transaction deadlock on sled's process-wide transaction lock. So a
//! cascading delete takes a [`Family`] read just before the transaction,
//! and the transaction checks that no child was added since: every child
//! creation bumps its parent's generation in the same transaction.

use std::cell::RefCell;

use prost::Message;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::family::{Family, decode_generation, parent_id};
use super::{decode_entity, encode_entity, keys};
use crate::domain::fields;
use crate::domain::{Entity, EntityKind, MutationResult, Tombstone};
use crate::error::Error;

/// Result of a step inside a transaction.
pub type TxResult<T> = Result<T, ConflictableTransactionError<Error>>;

/// Aborts the transaction with `error`; nothing is written.
pub fn abort<T>(error: Error) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(error))
}

fn internal<E: Into<Error>>(e: E) -> ConflictableTransactionError<Error> {
    ConflictableTransactionError::Abort(e.into())
}

/// A transaction on the client-owned records.
pub struct Tx<'a> {
    entities: &'a TransactionalTree,
    goals_by_client: &'a TransactionalTree,
    steps_by_goal: &'a TransactionalTree,
    check_ins_by_step: &'a TransactionalTree,
    ratings_by_target: &'a TransactionalTree,
    changes: &'a TransactionalTree,
    sequences: &'a TransactionalTree,
    mutations: &'a TransactionalTree,
    generations: &'a TransactionalTree,
    actor: &'a str,
    now_us: i64,
    /// Clients whose sequence advanced, with their latest number.
    touched: RefCell<Vec<([u8; 16], i64)>>,
}

impl<'a> Tx<'a> {
    /// Views `trees`, in the order of [`super::Store::transactional_trees`].
    pub(super) fn new(trees: &'a [TransactionalTree], actor: &'a str, now_us: i64) -> Self {
        Self {
            entities: &trees[0],
            goals_by_client: &trees[1],
            steps_by_goal: &trees[2],
            check_ins_by_step: &trees[3],
            ratings_by_target: &trees[4],
            changes: &trees[5],
            sequences: &trees[6],
            mutations: &trees[7],
            generations: &trees[8],
            actor,
            now_us,
            touched: RefCell::default(),
        }
    }

    /// The clients whose sequence this transaction advanced.
    pub(super) fn into_touched(self) -> Vec<([u8; 16], i64)> {
        self.touched.into_inner()
    }

    /// The recorded result of mutation `mutation_id` of account `actor`.
    pub fn mutation_result(&self, mutation_id: &str) -> TxResult<Option<MutationResult>> {
        let key = self.mutation_key(mutation_id)?;
        self.mutations
            .get(key)?
            .map(|bytes| {
                MutationResult::decode(bytes.as_ref()).map_err(|e| internal(Error::internal(e)))
            })
            .transpose()
    }

    /// Records the result of a mutation of the acting account.
    pub fn record_mutation(&self, result: &MutationResult) -> TxResult<()> {
        let key = self.mutation_key(&result.mutation_id)?;
        self.mutations.insert(key, result.encode_to_vec())?;
        Ok(())
    }

    fn mutation_key(&self, mutation_id: &str) -> TxResult<Vec<u8>> {
        let actor = keys::id(self.actor).map_err(internal)?;
        Ok(keys::join(&[&actor, mutation_id.as_bytes()]))
    }

    /// The record or tombstone with `id`, as this transaction sees it.
    pub fn get(&self, id: &str) -> TxResult<Option<Entity>> {
        let key = keys::id(id).map_err(internal)?;
        self.entities
            .get(key)?
            .map(|bytes| decode_entity(&bytes).map_err(internal))
            .transpose()
    }

    /// The live record of `kind` with `id`, or `NotFound`.
    pub fn live(&self, id: &str, kind: EntityKind) -> TxResult<Entity> {
        match self.get(id)? {
            Some(entity) if !entity.is_deleted() && entity.kind() == kind => Ok(entity),
            _ => abort(Error::NotFound(kind.noun())),
        }
    }

    /// Id of the check-in of `step_id` on `local_date`, if there is one.
    pub fn check_in_on(&self, step_id: &str, local_date: &str) -> TxResult<Option<String>> {
        let key = check_in_key(step_id, local_date).map_err(internal)?;
        self.check_ins_by_step
            .get(key)?
            .map(|id| keys::id_string(&id).map_err(internal))
            .transpose()
    }

    /// Stores a new record. `ALREADY_EXISTS` if its id was ever used.
    pub fn create(&self, mut entity: Entity) -> TxResult<Entity> {
        if self.get(&entity.meta().id)?.is_some() {
            return abort(Error::AlreadyExists(entity.kind().noun()));
        }
        let meta = entity.meta_mut();
        meta.create_time_us = self.now_us;
        meta.created_by = self.actor.to_owned();
        let (tree, key, value) = self.index_entry(&entity)?;
        tree.insert(key, value)?;
        if let Some(parent) = parent_id(&entity) {
            let parent = keys::id(parent).map_err(internal)?;
            let generation = self.generation(&parent)? + 1;
            self.generations
                .insert(&parent, &generation.to_be_bytes())?;
        }
        self.stamp_and_put(entity)
    }

    fn generation(&self, parent: &[u8; 16]) -> TxResult<u64> {
        Ok(self
            .generations
            .get(parent)?
            .map_or(0, |bytes| decode_generation(&bytes)))
    }

    /// Replaces a live record with a changed copy of itself.
    pub fn update(&self, entity: Entity) -> TxResult<Entity> {
        self.stamp_and_put(entity)
    }

    /// Deletes a live record and everything under it (a goal's steps and
    /// ratings, a step's check-ins and ratings), leaving tombstones.
    /// `family` must be [`super::Store::family`] of the record, read just
    /// before; if a child was added since, this aborts with
    /// `Error::ConcurrentChange` and the caller reads the family again.
    pub fn delete(&self, entity: &Entity, family: &Family) -> TxResult<Entity> {
        if family.root != entity.meta().id {
            return abort(Error::internal("family of another record"));
        }
        for (parent, generation) in &family.generations {
            if self.generation(parent)? != *generation {
                return abort(Error::ConcurrentChange);
            }
        }
        for id in &family.descendants {
            if let Some(child) = self.get(id)?.filter(|c| !c.is_deleted()) {
                self.tombstone(&child)?;
            }
        }
        self.tombstone(entity)
    }

    fn tombstone(&self, entity: &Entity) -> TxResult<Entity> {
        let (tree, index_key, _) = self.index_entry(entity)?;
        tree.remove(index_key)?;
        let tombstone = Entity::Tombstone(Tombstone {
            kind: entity.kind() as i32,
            meta: entity.meta().clone(),
        });
        self.stamp_and_put(tombstone)
    }

    /// Gives the record the owner's next version, moves its `changes` entry
    /// there, and writes it.
    fn stamp_and_put(&self, mut entity: Entity) -> TxResult<Entity> {
        let client = keys::id(&entity.meta().client_id).map_err(internal)?;
        let previous = entity.meta().version;
        if previous > 0 {
            self.changes
                .remove(keys::join(&[&client, &previous.to_be_bytes()]))?;
        }
        let version = self.next_version(&client)?;
        let meta = entity.meta_mut();
        meta.version = version;
        meta.update_time_us = self.now_us;
        meta.updated_by = self.actor.to_owned();
        let id = keys::id(&meta.id).map_err(internal)?;
        self.changes
            .insert(keys::join(&[&client, &version.to_be_bytes()]), &id)?;
        self.entities.insert(&id, encode_entity(&entity))?;
        Ok(entity)
    }

    fn next_version(&self, client: &[u8; 16]) -> TxResult<i64> {
        let last = match self.sequences.get(client)? {
            Some(bytes) => i64::from_be_bytes(
                bytes
                    .as_ref()
                    .try_into()
                    .map_err(|_| internal(Error::internal("bad sequence")))?,
            ),
            None => 0,
        };
        let next = last + 1;
        self.sequences.insert(client, &next.to_be_bytes())?;
        let mut touched = self.touched.borrow_mut();
        match touched.iter_mut().find(|(c, _)| c == client) {
            Some(entry) => entry.1 = next,
            None => touched.push((*client, next)),
        }
        Ok(next)
    }

    /// The secondary index entry that lists a live record under its parent.
    fn index_entry(&self, entity: &Entity) -> TxResult<(&TransactionalTree, Vec<u8>, Vec<u8>)> {
        let id = keys::id(&entity.meta().id).map_err(internal)?;
        let parent = |parent_id: &str| keys::id(parent_id).map_err(internal);
        Ok(match entity {
            Entity::Goal(goal) => (
                self.goals_by_client,
                keys::join(&[&parent(&goal.meta.client_id)?, &id]),
                Vec::new(),
            ),
            Entity::ActionStep(step) => (
                self.steps_by_goal,
                keys::join(&[&parent(&step.goal_id)?, &id]),
                Vec::new(),
            ),
            Entity::CheckIn(check_in) => (
                self.check_ins_by_step,
                check_in_key(&check_in.action_step_id, &check_in.local_date).map_err(internal)?,
                id.to_vec(),
            ),
            Entity::EfficacyRating(rating) => {
                let target = rating.target.as_ref().map(|t| t.id()).unwrap_or_default();
                (
                    self.ratings_by_target,
                    keys::join(&[
                        &parent(target)?,
                        &keys::ordered_i64(rating.rate_time_us),
                        &id,
                    ]),
                    Vec::new(),
                )
            }
            Entity::Tombstone(_) => return abort(Error::internal("tombstones are not indexed")),
        })
    }
}

fn check_in_key(step_id: &str, local_date: &str) -> Result<Vec<u8>, Error> {
    let date = fields::canonical_date(local_date).map_err(Error::internal)?;
    Ok(keys::join(&[&keys::id(step_id)?, &keys::day(date)]))
}
