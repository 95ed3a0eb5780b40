//! Brings a store that earlier versions of the key-value layout wrote up to
//! date, once, when it is first opened with a master key:
//! - their records' text sections are plain: they are sealed with the
//!   clients' keys;
//! - their tokens are bare account ids under the token's hash: each
//!   becomes a [`Token`] (with an id derived from its hash, no label, made
//!   when its account was) listed under its account;
//! - their therapists' unused invites get the index that lists them.
//!
//! It runs while the store has no key check (see [`super::seal`]): a new
//! store, an upgraded first-layout store, or one restored from a backup of
//! either. It writes in atomic batches, every step can run again, and the
//! key check is written only after the last batch, so a crash midway makes
//! the next start continue where it stopped.

use std::collections::HashMap;
use std::ops::Bound;

use uuid::Uuid;

use sha2::{Digest, Sha256};

use super::codec::{OpenText, Value, decode_entity, encode_entity};
use super::engine::{Batch, Engine};
use super::keys;
use super::seal::{self, ClientKey, MasterKey, SealedText};
use crate::domain::{Account, Invite, Token};
use crate::error::{Error, Result};

/// Records read and rewritten per batch.
const BATCH: usize = 1000;

/// Runs every step; returns how many entries it rewrote.
pub(super) fn run<E: Engine>(engine: &E, master: &MasterKey) -> Result<u64> {
    let records = seal_records(engine, master)?;
    let tokens = rewrite(engine, keys::TOKEN, bare_token)?;
    let invites = rewrite(engine, keys::INVITE, list_invite)?;
    if records + tokens + invites > 0 {
        tracing::info!(
            records,
            tokens,
            invites,
            "upgraded the store: sealed records' text, listed tokens and invites"
        );
    }
    Ok(records + tokens + invites)
}

/// Calls `upgrade` on every entry under `prefix` and applies what it
/// returns; returns how many entries it upgraded.
fn rewrite<E: Engine>(
    engine: &E,
    prefix: u8,
    upgrade: impl Fn(&E, &[u8], &[u8]) -> Result<Batch>,
) -> Result<u64> {
    let mut batch = Batch::new();
    let mut upgraded = 0;
    let (start, end) = ([prefix], [prefix + 1]);
    engine.scan(
        (Bound::Included(&start[..]), Bound::Excluded(&end[..])),
        &mut |key, value| {
            let writes = upgrade(engine, key, value)?;
            if !writes.is_empty() {
                upgraded += 1;
                batch.extend(writes);
            }
            Ok(true)
        },
    )?;
    // Tokens and invites are few next to records: one batch.
    engine.apply(batch)?;
    Ok(upgraded)
}

/// A token stored as its bare account id, as a [`Token`] and its index
/// entry; nothing for one already upgraded.
fn bare_token<E: Engine>(engine: &E, key: &[u8], value: &[u8]) -> Result<Batch> {
    if value.len() != 16 {
        return Ok(Batch::new());
    }
    let bad = || Error::internal("bad token entry");
    let hash: [u8; 32] = key[1..].try_into().map_err(|_| bad())?;
    let account_id = Uuid::from_slice(value).map_err(|_| bad())?;
    let made = engine
        .get(&keys::account(account_id))?
        .map(|account| Account::decode(account.as_ref()))
        .transpose()?
        .map_or(0, |account| account.create_time_us);
    // Derived from the hash, so that a run cut short and run again makes
    // the same token.
    let digest = Sha256::new()
        .chain_update(b"stepwise token id")
        .chain_update(hash)
        .finalize();
    let id_bytes: [u8; 16] = digest[..16].try_into().map_err(|_| bad())?;
    let token = Token {
        id: uuid::Builder::from_random_bytes(id_bytes).into_uuid(),
        hash,
        account_id,
        label: String::new(),
        create_time_us: made,
        last_use_time_us: None,
        expire_time_us: None,
        revoked: None,
    };
    Ok(vec![
        (key.to_vec(), Some(token.encode())),
        (keys::token_of(account_id, token.id), Some(hash.to_vec())),
    ])
}

/// The index entry of an unused invite.
fn list_invite<E: Engine>(_: &E, _: &[u8], value: &[u8]) -> Result<Batch> {
    let invite = Invite::decode(value)?;
    if invite.used_by.is_some() {
        return Ok(Batch::new());
    }
    let listed = keys::invite_of(invite.therapist_id, invite.create_time_us, &invite.code);
    Ok(vec![(listed, Some(Vec::new()))])
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
    fn open_text(&self, text: &SealedText<'_>) -> Result<Vec<u8>> {
        if let Some(key) = self.made.get(&text.client) {
            return key.open(text);
        }
        let wrapped = self.engine.get(&keys::client_key(text.client))?;
        seal::open_text(self.master, wrapped.as_ref().map(AsRef::as_ref), text)
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
    use crate::store::kv::engine::KvRead;
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
