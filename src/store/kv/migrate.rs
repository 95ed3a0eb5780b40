//! Brings a store that earlier versions of the key-value layout wrote up to
//! date, once, when it is first opened with a master key: their records'
//! text sections are plain, and this seals them with the clients' keys.
//!
//! It runs while the store has no key check (see [`super::seal`]): a new
//! store, an upgraded first-layout store, or one restored from a backup of
//! either. It writes in atomic batches, every step can run again, and the
//! key check is written only after the last batch, so a crash midway makes
//! the next start continue where it stopped.

use std::collections::HashMap;
use std::ops::Bound;

use uuid::Uuid;

use super::codec::{OpenText, decode_entity, encode_entity};
use super::engine::{Batch, Engine};
use super::keys;
use super::seal::{self, ClientKey, MasterKey};
use crate::error::Result;

/// Records read and rewritten per batch.
const BATCH: usize = 1000;

/// Runs every step; returns how many entries it rewrote.
pub(super) fn run<E: Engine>(engine: &E, master: &MasterKey) -> Result<u64> {
    let rewritten = seal_records(engine, master)?;
    if rewritten > 0 {
        tracing::info!(
            records = rewritten,
            "sealed the text of records stored in plain"
        );
    }
    Ok(rewritten)
}

/// Keys made during the run, before their batch is applied.
struct RunKeys<'a, E> {
    engine: &'a E,
    master: &'a MasterKey,
    made: HashMap<Uuid, ClientKey>,
}

impl<E: Engine> RunKeys<'_, E> {
    /// The client's key: stored, made earlier in this run, or new (its
    /// wrapped form goes into `batch`).
    fn key(&mut self, client: Uuid, batch: &mut Batch) -> Result<ClientKey> {
        if let Some(key) = self.made.get(&client) {
            return Ok(key.clone());
        }
        if let Some(wrapped) = self.engine.get(&keys::client_key(client))? {
            return self.master.unwrap_client_key(client, wrapped.as_ref());
        }
        let (key, wrapped) = self.master.new_client_key(client);
        batch.push((keys::client_key(client), Some(wrapped)));
        self.made.insert(client, key.clone());
        Ok(key)
    }
}

impl<E: Engine> OpenText for RunKeys<'_, E> {
    fn open_text(&self, client: Uuid, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if let Some(key) = self.made.get(&client) {
            return key.open(aad, sealed);
        }
        let wrapped = self.engine.get(&keys::client_key(client))?;
        let wrapped = wrapped.as_ref().map(AsRef::as_ref);
        seal::open_text(self.master, client, wrapped, aad, sealed)
    }
}

/// Rewrites every live record with its text sealed.
fn seal_records<E: Engine>(engine: &E, master: &MasterKey) -> Result<u64> {
    let mut keys_of = RunKeys {
        engine,
        master,
        made: HashMap::new(),
    };
    let prefix = [keys::RECORD];
    let end = [keys::RECORD + 1];
    let mut after: Option<Vec<u8>> = None;
    let mut rewritten = 0;
    loop {
        let mut chunk = Vec::with_capacity(BATCH);
        let start = after
            .as_deref()
            .map_or(Bound::Included(&prefix[..]), Bound::Excluded);
        engine.scan((start, Bound::Excluded(&end[..])), &mut |key, value| {
            chunk.push((key.to_vec(), value.to_vec()));
            Ok(chunk.len() < BATCH)
        })?;
        let Some((last, _)) = chunk.last() else {
            return Ok(rewritten);
        };
        after = Some(last.clone());
        let mut batch = Batch::new();
        for (key, value) in &chunk {
            let id = keys::child_id(key)
                .ok_or_else(|| crate::error::Error::internal("bad record key"))?;
            let entity = decode_entity(id, value, &keys_of)?;
            if entity.is_deleted() {
                continue;
            }
            let sealed = encode_entity(&entity).sealed(|client, aad, plain| {
                Ok(keys_of.key(client, &mut batch)?.seal(aad, plain))
            })?;
            batch.push((key.clone(), Some(sealed)));
            rewritten += 1;
        }
        engine.apply(batch)?;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::{Entity, Goal, ManualClock, Meta};
    use crate::store::Store;
    use crate::store::kv::KvStore;
    use crate::store::kv::memory::MemoryKv;

    #[tokio::test]
    async fn plain_text_of_an_older_store_is_sealed_when_it_is_first_opened() {
        let engine = MemoryKv::default();
        let goal = Entity::Goal(Goal {
            meta: Meta::new(Uuid::from_u128(1), Uuid::from_u128(2)),
            title: "Plain old title".into(),
            ..Goal::default()
        });
        let plain = encode_entity(&goal).plain();
        engine
            .apply(vec![(
                keys::record(Uuid::from_u128(1)),
                Some(plain.clone()),
            )])
            .expect("stored");

        let clock = Arc::new(ManualClock::starting_now());
        let store = KvStore::open(engine, clock, MasterKey::generate()).expect("opens");

        let stored = store
            .engine()
            .get(&keys::record(Uuid::from_u128(1)))
            .expect("read")
            .expect("still there");
        assert_ne!(stored, plain);
        assert!(!stored.windows(5).any(|w| w == b"Plain"), "sealed");
        assert!(
            store
                .engine()
                .get(&keys::client_key(Uuid::from_u128(2)))
                .expect("read")
                .is_some()
        );
        let read = store.entity(Uuid::from_u128(1)).await.expect("reads");
        assert_eq!(read, Some(goal));
    }
}
