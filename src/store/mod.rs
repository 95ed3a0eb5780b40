//! The only code that knows sled: trees, key layout, value codec,
//! transactions and durability.
//!
//! Trees (one per keyspace):
//! - `entities`: id → [`StoredEntity`] (live record or tombstone; ids are
//!   never reused, so tombstones also keep deleted ids taken)
//! - `goals_by_client`: client | goal → ()
//! - `steps_by_goal`: goal | step → ()
//! - `check_ins_by_step`: step | local day → check-in id (one per day)
//! - `ratings_by_target`: target | rate time | rating → ()
//! - `changes`: client | seq → id. Exactly one entry per record and
//!   tombstone, at its current version: what sync reads.
//! - `sequences`: client → last seq. Every change takes the next one as the
//!   record's version.
//! - `generations`: parent → number of children ever created under it, so
//!   a cascading delete can tell that its list of children is complete
//! - `mutations`: account | mutation id → [`MutationResult`] with the
//!   digest of the mutation's payload, so a replayed push returns its first
//!   result and applies nothing, and a reused id is recognised
//! - `accounts`: id → [`Account`]; `token_hashes`: SHA-256(token) → id
//! - `invites`: code → [`Invite`]; `care_links`: id → [`CareLink`], listed
//!   by `links_by_client` and `links_by_therapist` (owner | link → ()) and
//!   found by `links_by_pair` (therapist | client → latest link id)
//! - `access_by_client`, `access_by_therapist`: owner | time | random →
//!   [`AccessEvent`], the append-only audit trail
//! - `admin_events`: time | random → [`AdminEvent`], the append-only audit
//!   trail of administrators (backups taken, accounts created), oldest
//!   first; random bytes keep events of the same microsecond apart
//! - `meta`: the store's random epoch, which cursors carry so a cursor from
//!   a wiped or restored store is recognised
//!
//! Secondary indexes hold live records only; they are written in the same
//! transaction as the record, so they are exact.
//!
//! [`AdminEvent`]: crate::domain::AdminEvent

mod accounts;
mod admin;
pub mod backup;
mod care;
mod commit;
mod family;
mod keys;
mod page_token;
mod tx;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use prost::Message;
use sled::Transactional;
use sled::transaction::TransactionError;
use tokio::sync::watch;

pub use care::Redeemer;
pub use family::Family;
pub use tx::{Tx, TxResult, abort};

use crate::domain::{
    ActionStep, CheckIn, Clock, EfficacyRating, Entity, EntityKind, Goal, Record, StoredEntity,
};
use crate::error::{Error, Result};
use commit::GroupCommit;
use keys::IdAt;
use page_token::KeyRange;

const EPOCH_KEY: &[u8] = b"epoch";

/// A list without a key range.
const ALL: (Vec<u8>, Option<Vec<u8>>) = (Vec::new(), None);

/// Default size of sled's page cache.
pub const DEFAULT_CACHE_BYTES: u64 = 128 * 1024 * 1024;

struct Trees {
    entities: sled::Tree,
    goals_by_client: sled::Tree,
    steps_by_goal: sled::Tree,
    check_ins_by_step: sled::Tree,
    ratings_by_target: sled::Tree,
    changes: sled::Tree,
    sequences: sled::Tree,
    accounts: sled::Tree,
    token_hashes: sled::Tree,
    mutations: sled::Tree,
    generations: sled::Tree,
    meta: sled::Tree,
    invites: sled::Tree,
    care_links: sled::Tree,
    links_by_pair: sled::Tree,
    links_by_client: sled::Tree,
    links_by_therapist: sled::Tree,
    access_by_client: sled::Tree,
    access_by_therapist: sled::Tree,
    admin_events: sled::Tree,
}

impl Trees {
    /// The trees a write transaction spans, in the order [`Tx::new`] reads.
    fn transactional(&self) -> [sled::Tree; 9] {
        [
            self.entities.clone(),
            self.goals_by_client.clone(),
            self.steps_by_goal.clone(),
            self.check_ins_by_step.clone(),
            self.ratings_by_target.clone(),
            self.changes.clone(),
            self.sequences.clone(),
            self.mutations.clone(),
            self.generations.clone(),
        ]
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::internal(e)
    }
}

/// One page of a list, and the token for the next one (empty at the end).
#[derive(Debug)]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Opaque token for the next page; empty when there is none.
    pub next_page_token: String,
}

/// Changes of one client after a cursor (see [`Store::changes`]).
#[derive(Debug)]
pub struct ChangePage {
    /// Records and tombstones, in sequence order, each at its current
    /// version.
    pub entities: Vec<Entity>,
    /// Sequence number up to which the client has now seen everything.
    pub last_seq: i64,
    /// Whether changes up to the requested head remain.
    pub has_more: bool,
}

/// The embedded database.
pub struct Store {
    db: sled::Db,
    trees: Trees,
    transactional: [sled::Tree; 9],
    epoch: [u8; 16],
    /// Writers hold it shared; a backup holds it alone, so its snapshot is
    /// one consistent state.
    gate: std::sync::RwLock<()>,
    /// Per client, the latest committed sequence number, for subscribers.
    watchers: Mutex<HashMap<[u8; 16], watch::Sender<i64>>>,
    /// Stamps create and update times.
    clock: Arc<dyn Clock>,
    // Declared last: dropped after the trees, it flushes on the way out.
    commits: GroupCommit,
}

impl Store {
    /// Opens (or creates) the store in `dir` with a page cache of
    /// `cache_bytes`; `clock` stamps the times of changes.
    pub fn open(dir: &Path, cache_bytes: u64, clock: Arc<dyn Clock>) -> Result<Self> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            // Durability is the group commit's job alone: sled's own
            // periodic flush would make some unacknowledged writes durable
            // at random, which hides bugs from the crash tests.
            .flush_every_ms(None)
            .open()?;
        let tree = |name: &str| db.open_tree(name);
        let trees = Trees {
            entities: tree("entities")?,
            goals_by_client: tree("goals_by_client")?,
            steps_by_goal: tree("steps_by_goal")?,
            check_ins_by_step: tree("check_ins_by_step")?,
            ratings_by_target: tree("ratings_by_target")?,
            changes: tree("changes")?,
            sequences: tree("sequences")?,
            accounts: tree("accounts")?,
            token_hashes: tree("token_hashes")?,
            mutations: tree("mutations")?,
            generations: tree("generations")?,
            meta: tree("meta")?,
            invites: tree("invites")?,
            care_links: tree("care_links")?,
            links_by_pair: tree("links_by_pair")?,
            links_by_client: tree("links_by_client")?,
            links_by_therapist: tree("links_by_therapist")?,
            access_by_client: tree("access_by_client")?,
            access_by_therapist: tree("access_by_therapist")?,
            admin_events: tree("admin_events")?,
        };
        let epoch = match trees.meta.get(EPOCH_KEY)? {
            Some(epoch) => epoch
                .as_ref()
                .try_into()
                .map_err(|_| Error::internal("stored epoch is malformed"))?,
            None => {
                let epoch: [u8; 16] = rand::random();
                trees.meta.insert(EPOCH_KEY, &epoch)?;
                db.flush()?;
                epoch
            }
        };
        let commits = GroupCommit::start(db.clone(), &dir.join("db"))?;
        Ok(Self {
            db,
            transactional: trees.transactional(),
            trees,
            epoch,
            gate: std::sync::RwLock::default(),
            watchers: Mutex::default(),
            clock,
            commits,
        })
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// The store's epoch: random, made when the store was created.
    pub fn epoch(&self) -> [u8; 16] {
        self.epoch
    }

    /// Flushes everything to disk; used at shutdown.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Runs `change` as one atomic transaction on the client-owned records,
    /// on behalf of account `actor`, and returns once it is durable.
    ///
    /// `change` may run more than once (sled retries on conflicts), so it
    /// must have no effects outside `tx`. An aborted transaction writes
    /// nothing.
    pub async fn write<T>(&self, actor: &str, change: impl Fn(&Tx) -> TxResult<T>) -> Result<T> {
        let value = self.write_nowait(actor, change)?;
        self.durable().await?;
        Ok(value)
    }

    /// Like [`Store::write`], but returns once committed, before it is
    /// durable: for batches that await [`Store::durable`] once at the end.
    pub fn write_nowait<T>(&self, actor: &str, change: impl Fn(&Tx) -> TxResult<T>) -> Result<T> {
        let now_us = self.clock.now_micros();
        let (value, touched) = self.commit(|| {
            self.transactional[..].transaction(|trees| {
                let tx = Tx::new(trees, actor, now_us);
                let value = change(&tx)?;
                Ok((value, tx.into_touched()))
            })
        })?;
        self.notify(&touched);
        Ok(value)
    }

    /// Runs one write (a sled transaction, never awaiting) while no backup
    /// is being taken, turns its failure into an [`Error`], and counts the
    /// commit for the group commit. Every write of the store goes through
    /// here.
    fn commit<T>(&self, write: impl FnOnce() -> Result<T, TransactionError<Error>>) -> Result<T> {
        let _shared = self
            .gate
            .read()
            .map_err(|_| Error::internal("write gate poisoned"))?;
        // Counted before it can become visible: a reader that sees the
        // change and then asks for durability must find it pending, never
        // take the fast path past it. An aborted write only costs a flush.
        self.commits.note_commit();
        let value = match write() {
            Ok(value) => value,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        };
        fail::fail_point!("store::committed");
        Ok(value)
    }

    /// Returns once everything committed before the call is on disk.
    pub async fn durable(&self) -> Result<()> {
        self.commits.durable().await
    }

    /// Follows a client's latest sequence number.
    pub fn watch(&self, client_id: &str) -> Result<watch::Receiver<i64>> {
        let client = keys::id(client_id)?;
        let mut watchers = self
            .watchers
            .lock()
            .map_err(|_| Error::internal("watchers poisoned"))?;
        if let Some(sender) = watchers.get(&client) {
            return Ok(sender.subscribe());
        }
        let (sender, receiver) = watch::channel(self.head(client_id)?);
        watchers.insert(client, sender);
        Ok(receiver)
    }

    fn notify(&self, touched: &[([u8; 16], i64)]) {
        let Ok(mut watchers) = self.watchers.lock() else {
            return;
        };
        for (client, seq) in touched {
            if let Some(sender) = watchers.get(client) {
                if sender.receiver_count() == 0 {
                    watchers.remove(client);
                } else {
                    sender.send_replace(*seq);
                }
            }
        }
    }

    /// The client's latest sequence number (0 before any change).
    pub fn head(&self, client_id: &str) -> Result<i64> {
        let client = keys::id(client_id)?;
        match self.trees.sequences.get(client)? {
            Some(bytes) => {
                Ok(i64::from_be_bytes(bytes.as_ref().try_into().map_err(
                    |_| Error::internal("stored sequence is malformed"),
                )?))
            }
            None => Ok(0),
        }
    }

    /// The client's records changed after sequence `after` up to `head`,
    /// each once at its current version, stopping after `max_items` or
    /// once `max_bytes` of encoded records are collected. Tombstones are
    /// left out when `skip_tombstones` (an initial sync).
    pub fn changes(
        &self,
        client_id: &str,
        (after, head): (i64, i64),
        (max_items, max_bytes): (usize, usize),
        skip_tombstones: bool,
    ) -> Result<ChangePage> {
        let client = keys::id(client_id)?;
        let start = keys::join(&[&client, &(after + 1).to_be_bytes()]);
        let end = keys::join(&[&client, &head.to_be_bytes()]);
        let mut page = ChangePage {
            entities: Vec::new(),
            last_seq: after,
            has_more: false,
        };
        let mut bytes = 0;
        for entry in self.trees.changes.range(start..=end) {
            let (key, id) = entry?;
            if page.entities.len() >= max_items || bytes >= max_bytes {
                page.has_more = true;
                return Ok(page);
            }
            let seq = i64::from_be_bytes(
                key[16..]
                    .try_into()
                    .map_err(|_| Error::internal("change key is malformed"))?,
            );
            page.last_seq = seq;
            let Some(stored) = self.trees.entities.get(&id)? else {
                return Err(Error::internal("change index points at a missing record"));
            };
            let entity = decode_entity(&stored)?;
            // A record changed again since this entry was read appears
            // later, at its new sequence number.
            if entity.meta().version != seq || (skip_tombstones && entity.is_deleted()) {
                continue;
            }
            bytes += stored.len();
            page.entities.push(entity);
        }
        page.last_seq = head.max(page.last_seq);
        Ok(page)
    }

    /// A record or tombstone by id.
    pub fn entity(&self, id: &str) -> Result<Option<Entity>> {
        let Ok(key) = keys::id(id) else {
            return Ok(None);
        };
        self.trees
            .entities
            .get(key)?
            .map(|bytes| decode_entity(&bytes))
            .transpose()
    }

    /// A live record of `kind`; `NotFound` for a missing, deleted or
    /// different kind of record.
    pub fn live(&self, id: &str, kind: EntityKind) -> Result<Entity> {
        match self.entity(id)? {
            Some(entity) if !entity.is_deleted() && entity.kind() == kind => Ok(entity),
            _ => Err(Error::NotFound(kind.noun())),
        }
    }

    /// A client's goals, by id.
    pub fn list_goals(&self, client_id: &str, size: usize, token: &str) -> Result<Page<Goal>> {
        let index = &self.trees.goals_by_client;
        self.page(index, client_id, ALL, IdAt::Suffix, (size, token))
    }

    /// A goal's action steps, by id.
    pub fn list_action_steps(
        &self,
        goal_id: &str,
        size: usize,
        token: &str,
    ) -> Result<Page<ActionStep>> {
        let index = &self.trees.steps_by_goal;
        self.page(index, goal_id, ALL, IdAt::Suffix, (size, token))
    }

    /// A step's check-ins from `start` to `end` (inclusive), by date.
    pub fn list_check_ins(
        &self,
        step_id: &str,
        (start, end): (Option<NaiveDate>, Option<NaiveDate>),
        size: usize,
        token: &str,
    ) -> Result<Page<CheckIn>> {
        let from = start.map(|d| keys::day(d).to_vec()).unwrap_or_default();
        let to = end.map(|d| keys::day(d).to_vec());
        let index = &self.trees.check_ins_by_step;
        self.page(index, step_id, (from, to), IdAt::Value, (size, token))
    }

    /// The ratings of a goal or step, by rate time.
    pub fn list_ratings(
        &self,
        target_id: &str,
        size: usize,
        token: &str,
    ) -> Result<Page<EfficacyRating>> {
        let index = &self.trees.ratings_by_target;
        self.page(index, target_id, ALL, IdAt::AfterTime, (size, token))
    }

    /// Reads one page of the live records listed in `index` under `parent`,
    /// within the inclusive key-suffix range `within` (empty start: from
    /// the first), after the key in the page token.
    fn page<R: Record>(
        &self,
        index: &sled::Tree,
        parent: &str,
        within: (Vec<u8>, Option<Vec<u8>>),
        at: IdAt,
        page: (usize, &str),
    ) -> Result<Page<R>> {
        let prefix = keys::id(parent)?;
        self.page_with(index, &prefix, within, page, |key, value| {
            let id = keys::id_string(at.id_in(prefix.len(), key, value))?;
            Ok(self.entity(&id)?.and_then(R::from_entity))
        })
    }

    /// Reads one page of the entries of `index` under `prefix` (see
    /// [`Store::page`]), turning each into an item with `load` (`None`
    /// skips it). Every paged list of the store reads through here, so
    /// every page token is checked against its request the same way (see
    /// [`page_token`]).
    fn page_with<T>(
        &self,
        index: &sled::Tree,
        prefix: &[u8],
        within: (Vec<u8>, Option<Vec<u8>>),
        (size, token): (usize, &str),
        load: impl Fn(&[u8], &[u8]) -> Result<Option<T>>,
    ) -> Result<Page<T>> {
        let range = KeyRange::new(index, prefix, within);
        let mut items = Vec::with_capacity(size);
        let mut last_key = Vec::new();
        for entry in index.range(range.page_bounds(token)?) {
            let (key, value) = entry?;
            if items.len() == size {
                return Ok(Page {
                    items,
                    next_page_token: range.token_after(&last_key),
                });
            }
            if let Some(item) = load(&key, &value)? {
                items.push(item);
            }
            last_key = key.to_vec();
        }
        Ok(Page {
            items,
            next_page_token: String::new(),
        })
    }
}

fn decode_entity(bytes: &[u8]) -> Result<Entity> {
    StoredEntity::decode(bytes)
        .map_err(Error::internal)?
        .entity
        .ok_or_else(|| Error::internal("stored entity is empty"))
}

fn encode_entity(entity: &Entity) -> Vec<u8> {
    StoredEntity {
        entity: Some(entity.clone()),
    }
    .encode_to_vec()
}
