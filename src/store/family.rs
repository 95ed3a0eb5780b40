//! A record's descendants, read before a cascading delete (see [`Tx::delete`]).
//!
//! [`Tx::delete`]: super::Tx::delete

use super::Store;
use super::keys::{self, IdAt};
use crate::domain::{Entity, EntityKind, RatingTarget};
use crate::error::{Error, Result};

/// The descendants of one record, and the child generations of every
/// record whose children were listed, as read outside the transaction.
#[derive(Debug, Default)]
pub struct Family {
    pub(super) root: String,
    pub(super) generations: Vec<([u8; 16], u64)>,
    pub(super) descendants: Vec<String>,
}

impl Store {
    /// Reads the descendants of record `id` of `kind`.
    pub fn family(&self, id: &str, kind: EntityKind) -> Result<Family> {
        let mut family = Family {
            root: id.to_owned(),
            ..Family::default()
        };
        match kind {
            EntityKind::Goal => {
                let steps =
                    self.children(&mut family, id, &self.trees.steps_by_goal, IdAt::Suffix)?;
                self.children(
                    &mut family,
                    id,
                    &self.trees.ratings_by_target,
                    IdAt::AfterTime,
                )?;
                for step in steps {
                    self.step_children(&mut family, &step)?;
                }
            }
            EntityKind::ActionStep => self.step_children(&mut family, id)?,
            _ => {}
        }
        Ok(family)
    }

    /// Runs `attempt` with the family of `id` until no child was added
    /// between reading the family and the attempt's transaction.
    pub fn with_family<T>(
        &self,
        id: &str,
        kind: EntityKind,
        mut attempt: impl FnMut(&Family) -> Result<T>,
    ) -> Result<T> {
        loop {
            let family = self.family(id, kind)?;
            match attempt(&family) {
                Err(Error::ConcurrentChange) => continue,
                other => return other,
            }
        }
    }

    fn step_children(&self, family: &mut Family, step: &str) -> Result<()> {
        self.children(family, step, &self.trees.check_ins_by_step, IdAt::Value)?;
        self.children(family, step, &self.trees.ratings_by_target, IdAt::AfterTime)?;
        Ok(())
    }

    /// Appends the ids of `parent`'s children in `index` to the family and
    /// returns them.
    fn children(
        &self,
        family: &mut Family,
        parent: &str,
        index: &sled::Tree,
        at: IdAt,
    ) -> Result<Vec<String>> {
        let key = keys::id(parent)?;
        if !family.generations.iter().any(|(p, _)| *p == key) {
            let generation = self
                .trees
                .generations
                .get(key)?
                .map_or(0, |bytes| decode_generation(&bytes));
            family.generations.push((key, generation));
        }
        let mut ids = Vec::new();
        for entry in index.scan_prefix(key) {
            let (entry_key, value) = entry?;
            ids.push(keys::id_string(at.id_in(key.len(), &entry_key, &value))?);
        }
        family.descendants.extend(ids.iter().cloned());
        Ok(ids)
    }
}

/// A stored generation counter.
pub(super) fn decode_generation(bytes: &[u8]) -> u64 {
    bytes.try_into().map_or(0, u64::from_be_bytes)
}

/// The record a new record hangs under, whose generation its creation bumps.
pub(super) fn parent_id(entity: &Entity) -> Option<&str> {
    match entity {
        Entity::ActionStep(step) => Some(&step.goal_id),
        Entity::CheckIn(check_in) => Some(&check_in.action_step_id),
        Entity::EfficacyRating(rating) => rating.target.as_ref().map(RatingTarget::id),
        Entity::Goal(_) | Entity::Tombstone(_) => None,
    }
}
