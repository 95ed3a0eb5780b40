//! The storage boundary: what the use cases keep, in the store's terms
//! (records, their indexes and sequences, replays, aggregates, accounts,
//! the care team and the audit trails), and nothing of any engine. The use
//! cases ([`crate::app`]) talk only to [`Store`] and [`Tx`].
//!
//! Rules the store keeps, on every engine:
//! - **Versions.** Each client has a sequence; every change to one of the
//!   client's records (a create, an update, a tombstone) takes the next
//!   number as the record's `version`.
//! - **The change index is exact.** It holds every record and tombstone of
//!   a client once, at its current version, so [`Store::changes`] hands a
//!   device every change after its cursor exactly once. Retention
//!   ([`Tx::purge`]) takes old tombstones out of it and forgets old push
//!   results; each client's *sync floor* ([`Store::sync_floor`]) rises to
//!   the highest sequence number so removed, so that a cursor below it is
//!   recognised as one the store can no longer answer exactly.
//! - **Ids are never reused**, not even after a delete: a tombstone keeps
//!   its id taken.
//! - **Writes are atomic and durable.** [`Store::write`] runs a
//!   transaction that writes all or nothing and returns once it is on disk.
//! - **Nothing is visible before it is durable**: no read sees a write
//!   that a crash could still undo, so no answer carries one (and a later
//!   change could not reuse its version).
//! - **What clients write is never stored in plain.** The text of a
//!   client's records is kept sealed with a key of that client's own, and
//!   [`Tx::erase_client`] destroys the key with the records: without the
//!   store's master key nothing of it can be read, and with it, only from
//!   copies made before the erasure (see [`kv::seal`]). Reads hand out
//!   plain records: the use cases never see ciphertext.
//!
//! [`Store`] runs over an ordered key-value engine ([`kv::engine::Engine`],
//! the one seam): [`kv::sled::SledKv`] (the embedded default),
//! [`kv::postgres::PgKv`] (PostgreSQL, for several servers on one database)
//! or [`kv::memory::MemoryKv`] (in memory, for the use-case tests).
//!
//! Writes go through the commit pipeline ([`pipeline`]): one writer thread,
//! groups applied in atomic, durable batches (sled: through a write-ahead
//! log, one `fdatasync` per group; PostgreSQL: one serializable
//! transaction per group), each write in its own [`Tx`]. Reads go to the
//! engine directly, without locks of their own. Where other servers write
//! too, a poller ([`poller`]) tells this one's watchers ([`watchers`]) of
//! their changes.

pub mod kv;
mod page_token;
mod pipeline;
mod poller;
mod retention;
mod signin;
mod tx;
mod types;
mod watchers;

pub use page_token::{check_page_token, page_of};
pub use tx::Tx;
pub use types::{
    ChangePage, PAGE_BYTES, Page, PageRequest, Purged, SeenBy, Side, SnapshotInfo, day_bound,
};

use std::ops::Bound;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use self::kv::codec::{OpenText, Value, decode_entity, decode_id, decode_seq};
use self::kv::engine::{Engine, KvRead};
use self::kv::keys::{self, Tracked};
use self::kv::seal::{self, MasterKey, SealedText};
use self::kv::{format, snapshot};
use self::page_token::KeyRange;
use self::pipeline::{Command, Pipeline, Touched};
use self::watchers::{Watchers, notify};
use crate::data_dir::ScratchFile;
use crate::domain::instruments::CustomInstrument;
use crate::domain::{
    AccessEvent, AccessToken, Account, AccountRecoveryCode, AdminEvent, AlertDelivery, CareLink,
    ClientTrack, Clock, Credential, DeviceSession, Entity, Invite, Kind, Order, SecurityEvent,
    Session, SetupCode, StepTrack, Token, TotpFactor, TrackedAssignment, TrackedAttainment,
    TrackedRating, TrackedResult, TrackedScale, TrackedStep,
};
use crate::error::{Error, Result};

/// The store: what the use cases keep, over an ordered key-value engine
/// (see [`crate::store`] for the rules it keeps).
pub struct Store {
    engine: Arc<dyn Engine>,
    epoch: [u8; 16],
    watchers: Watchers,
    access: Arc<watch::Sender<u64>>,
    pipeline: Pipeline,
    master: Arc<MasterKey>,
    /// Where snapshots are written before they are sent: in the data dir,
    /// never a shared temporary dir (see [`crate::data_dir`]); `None` until
    /// [`Store::with_scratch_dir`] names it.
    scratch_dir: Option<PathBuf>,
    /// Follows other processes' writes, when the engine has any.
    _poller: Option<poller::Poller>,
}

impl Store {
    /// Whether the store in `engine` holds text sealed by a master key
    /// (then only that key opens it).
    pub fn is_sealed(engine: &dyn Engine) -> Result<bool> {
        Ok(engine.get(&keys::key_check())?.is_some())
    }

    /// The store over `engine` (new or existing); `clock` stamps the times
    /// of changes; `master` wraps the keys that seal clients' text. A store
    /// of another on-disk format ([`format`]), or sealed by another master
    /// key, is refused.
    pub fn open(engine: impl Engine, clock: Arc<dyn Clock>, master: MasterKey) -> Result<Self> {
        Self::open_with_outbox(engine, clock, master, false)
    }

    /// [`Store::open`], queuing each new risk alert's delivery to the
    /// webhook in the write that opens it when `alert_outbox` says
    /// ([`Tx::queue_alert_delivery`]).
    pub fn open_with_outbox(
        engine: impl Engine,
        clock: Arc<dyn Clock>,
        master: MasterKey,
        alert_outbox: bool,
    ) -> Result<Self> {
        let engine: Arc<dyn Engine> = Arc::new(engine);
        // Claimed in a group: servers starting together on one database
        // agree on one format mark, key check and epoch.
        let marked = claim_if(
            &*engine,
            keys::format(),
            format::mark(format::CURRENT),
            |reader| {
                // A store with entries but no mark was written before stores
                // were marked.
                let mut empty = true;
                reader.scan((Bound::Unbounded, Bound::Unbounded), &mut |_, _| {
                    empty = false;
                    Ok(false)
                })?;
                Ok(empty)
            },
        )?;
        format::check(
            marked
                .as_deref()
                .map_or(format::UNMARKED, format::read_mark),
        )?;
        let check = claim(&*engine, keys::key_check(), master.key_check())?;
        if !master.matches(&check) {
            return Err(Error::internal(
                "the master key does not open this store (it is another store's key); \
                 start the server with the key this store was sealed with",
            ));
        }
        let epoch = claim(&*engine, keys::epoch(), rand::random::<[u8; 16]>().to_vec())?
            .try_into()
            .map_err(|_| Error::internal("stored epoch is malformed"))?;
        engine.flush()?;
        let master = Arc::new(master);
        let watchers = Watchers::default();
        let notify = {
            let watchers = watchers.clone();
            move |heads: Touched| notify(&watchers, heads)
        };
        let pipeline = Pipeline::start(
            engine.clone(),
            (clock, master.clone(), alert_outbox),
            notify,
            |engine: &dyn Engine, client| read_head(engine, client),
        )?;
        let access = Arc::new(watch::channel(0).0);
        let poller = engine
            .poll_interval()
            .map(|every| {
                poller::Poller::start(engine.clone(), (watchers.clone(), access.clone()), every)
            })
            .transpose()?;
        Ok(Self {
            engine,
            epoch,
            watchers,
            access,
            pipeline,
            master,
            scratch_dir: None,
            _poller: poller,
        })
    }

    /// The same store, writing its snapshots to `scratch_dir` (the data
    /// dir's, which the server empties at each start).
    pub fn with_scratch_dir(self, scratch_dir: PathBuf) -> Self {
        Self {
            scratch_dir: Some(scratch_dir),
            ..self
        }
    }

    /// Reads one page of `range`, turning entries into items with `load`
    /// (`None` skips an entry), each with the size of the value it was
    /// read from. The page ends after `page.size` items, or once they were
    /// read from [`PAGE_BYTES`]. The token continues after the page's last
    /// item, and only when another item follows: skipped entries neither
    /// end up in a token nor make an empty last page.
    fn page<T>(
        &self,
        range: &KeyRange,
        page: PageRequest<'_>,
        mut load: impl FnMut(&[u8], &[u8]) -> Result<Option<(T, usize)>>,
    ) -> Result<Page<T>> {
        let (start, end) = range.page_bounds(page.token)?;
        let mut items = Vec::with_capacity(page.size.min(1024));
        let mut bytes = 0;
        let mut last_key = Vec::new();
        let mut more = false;
        self.engine
            .scan((as_ref(&start), as_ref(&end)), &mut |key, value| {
                let Some((item, size)) = load(key, value)? else {
                    return Ok(true);
                };
                if items.len() == page.size || bytes >= PAGE_BYTES {
                    more = true;
                    return Ok(false);
                }
                items.push(item);
                bytes += size;
                last_key.clear();
                last_key.extend_from_slice(key);
                Ok(true)
            })?;
        Ok(Page {
            items,
            next_page_token: if more {
                range.token_after(&last_key)
            } else {
                String::new()
            },
        })
    }

    /// Calls `visit` on every entry under `prefix`.
    fn scan_prefix(
        &self,
        prefix: &[u8],
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        let end = keys::prefix_end(prefix);
        let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        self.engine
            .scan((Bound::Included(prefix), upper), &mut |key, value| {
                visit(key, value)?;
                Ok(true)
            })
    }

    /// `Ok` while the engine answers a read; a database that went away
    /// fails it.
    pub fn check_reachable(&self) -> Result<()> {
        self.engine.get(&keys::format()).map(drop)
    }

    fn value<T: Value>(&self, key: &[u8]) -> Result<Option<T>> {
        Ok(self.sized_value(key)?.map(|(value, _)| value))
    }

    /// A value, and the size it is stored in, for a page.
    fn sized_value<T: Value>(&self, key: &[u8]) -> Result<Option<(T, usize)>> {
        self.engine
            .get(key)?
            .map(|bytes| Ok((T::decode(&bytes)?, bytes.len())))
            .transpose()
    }

    fn entity_now(&self, id: Uuid) -> Result<Option<Entity>> {
        self.entity_with(id, self)
    }

    /// A record as stored now, its text opened by `keys`.
    fn entity_with(&self, id: Uuid, keys: &dyn OpenText) -> Result<Option<Entity>> {
        Ok(self.sized_entity(id, keys)?.map(|(entity, _)| entity))
    }

    /// [`Store::entity_with`], and the size the record is stored in.
    fn sized_entity(&self, id: Uuid, keys: &dyn OpenText) -> Result<Option<(Entity, usize)>> {
        self.engine
            .get(&keys::record(id))?
            .map(|bytes| Ok((decode_entity(id, &bytes, keys)?, bytes.len())))
            .transpose()
    }

    fn care_link_now(&self, id: Uuid) -> Result<Option<CareLink>> {
        self.value(&keys::key(keys::LINK, &[id.as_bytes()]))
    }
}

impl OpenText for Store {
    fn open_text(&self, text: &SealedText<'_>) -> Result<Vec<u8>> {
        let wrapped = self.engine.get(&keys::client_key(text.client))?;
        seal::open_text(&self.master, wrapped.as_ref().map(AsRef::as_ref), text)
    }
}

/// Opens text for one read of many records (a page), unwrapping each
/// client's key once rather than once per record. It lives as long as the
/// read: a key destroyed meanwhile took its records with it.
struct ReadKeys<'a> {
    store: &'a Store,
    last: std::cell::RefCell<Option<(Uuid, seal::ClientKey)>>,
}

impl<'a> ReadKeys<'a> {
    fn new(store: &'a Store) -> Self {
        Self {
            store,
            last: std::cell::RefCell::new(None),
        }
    }
}

impl OpenText for ReadKeys<'_> {
    fn open_text(&self, text: &SealedText<'_>) -> Result<Vec<u8>> {
        if let Some((known, key)) = &*self.last.borrow()
            && *known == text.client
        {
            return key.open(text);
        }
        let wrapped = self.store.engine.get(&keys::client_key(text.client))?;
        let wrapped = wrapped.as_ref().map(AsRef::as_ref);
        let key = seal::text_key(&self.store.master, text.client, wrapped)?;
        let plain = key.open(text);
        *self.last.borrow_mut() = Some((text.client, key));
        plain
    }
}

fn as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key),
        Bound::Excluded(key) => Bound::Excluded(key),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn read_head(engine: &dyn KvRead, client: Uuid) -> Result<i64> {
    match engine.get(&keys::sequence(client))? {
        Some(bytes) => decode_seq(bytes.as_ref()),
        None => Ok(0),
    }
}

/// Writes `value` under `key` unless a value is there already, in one
/// group; returns the value stored.
fn claim(engine: &dyn Engine, key: Vec<u8>, value: Vec<u8>) -> Result<Vec<u8>> {
    let stored = claim_if(engine, key, value, |_| Ok(true))?;
    stored.ok_or_else(|| Error::internal("a claimed value is missing"))
}

/// Like [`claim`], but writes `value` only where `may_write` (reading the
/// group) allows; returns the value stored, if any.
fn claim_if(
    engine: &dyn Engine,
    key: Vec<u8>,
    value: Vec<u8>,
    may_write: impl Fn(&dyn KvRead) -> Result<bool>,
) -> Result<Option<Vec<u8>>> {
    let mut stored = None;
    engine.run_group(&mut |reader| {
        if let Some(found) = reader.get(&key)? {
            stored = Some(found);
            return Ok(Vec::new());
        }
        if !may_write(reader)? {
            stored = None;
            return Ok(Vec::new());
        }
        stored = Some(value.clone());
        Ok(vec![(key.clone(), Some(value.clone()))])
    })?;
    Ok(stored)
}

impl Store {
    /// The store's epoch: random, made when the store was created (or
    /// restored), so cursors of another copy of the data are recognised.
    pub fn epoch(&self) -> [u8; 16] {
        self.epoch
    }

    /// Runs `write` as one atomic transaction on behalf of account `actor`
    /// and returns its value once it is durable. A backend may run it more
    /// than once (retrying after a conflict), so it must have no effect
    /// outside its transaction; an error writes nothing.
    pub async fn write<T: Send + 'static>(
        &self,
        actor: Uuid,
        write: impl Fn(&mut Tx<'_>) -> Result<T> + Send + Sync + 'static,
    ) -> Result<T> {
        self.pipeline.write(actor, write).await
    }

    /// Counts changes to tokens, accounts and links that may end streams:
    /// the use cases count their own; a store that other servers write too
    /// counts theirs as it notices them.
    pub fn access_changes(&self) -> Arc<watch::Sender<u64>> {
        self.access.clone()
    }

    /// Follows a client's latest sequence number (also as other servers
    /// on the same database advance it).
    pub fn watch(&self, client: Uuid) -> Result<watch::Receiver<i64>> {
        let mut watchers = self
            .watchers
            .lock()
            .map_err(|_| Error::internal("watchers poisoned"))?;
        if let Some(sender) = watchers.get(&client) {
            return Ok(sender.subscribe());
        }
        let (sender, receiver) = watch::channel(read_head(&*self.engine, client)?);
        watchers.insert(client, sender);
        Ok(receiver)
    }

    /// The client's latest sequence number (0 before any change).
    pub async fn head(&self, client: Uuid) -> Result<i64> {
        read_head(&*self.engine, client)
    }

    /// The client's sync floor: the lowest cursor position the store can
    /// still answer exactly (0 until retention removed something of the
    /// client's). Changes and push results up to it may be gone.
    pub async fn sync_floor(&self, client: Uuid) -> Result<i64> {
        match self.engine.get(&keys::sync_floor(client))? {
            Some(bytes) => decode_seq(bytes.as_ref()),
            None => Ok(0),
        }
    }

    /// The client's records changed in `range` (after sequence `after` up
    /// to `head`), each once at its current version, stopping (`limits`)
    /// after `max_items` or once `max_bytes` of records are collected. Tombstones are left out when
    /// `skip_tombstones` (an initial sync).
    pub async fn changes(
        &self,
        client: Uuid,
        (after, head): (i64, i64),
        (max_items, max_bytes): (usize, usize),
        skip_tombstones: bool,
    ) -> Result<ChangePage> {
        let mut page = ChangePage {
            entities: Vec::new(),
            last_seq: after,
            has_more: false,
        };
        if after >= head {
            return Ok(page);
        }
        let start = keys::change(client, after + 1);
        let end = keys::change(client, head);
        let mut bytes = 0;
        let mut ids = Vec::new();
        let text_keys = ReadKeys::new(self);
        self.engine.scan(
            (Bound::Included(&start), Bound::Included(&end)),
            &mut |key, id| {
                if ids.len() >= max_items {
                    page.has_more = true;
                    return Ok(false);
                }
                let seq = decode_seq(&key[key.len() - 8..])? ^ i64::MIN;
                ids.push((seq, decode_id(id)?));
                Ok(true)
            },
        )?;
        let mut records = ids.iter().map(|(_, id)| keys::record(*id));
        let mut next = ids.iter();
        self.engine.get_each(&mut records, &mut |stored| {
            let Some(&(seq, id)) = next.next() else {
                return Ok(false);
            };
            if bytes >= max_bytes {
                page.has_more = true;
                return Ok(false);
            }
            let Some(stored) = stored else {
                return Err(Error::internal("change index points at a missing record"));
            };
            page.last_seq = seq;
            let entity = decode_entity(id, stored, &text_keys)?;
            // A record changed again since its entry was read appears later,
            // at its new sequence number.
            if entity.meta().version != seq || (skip_tombstones && entity.is_deleted()) {
                return Ok(true);
            }
            bytes += stored.len();
            page.entities.push(entity);
            Ok(true)
        })?;
        if !page.has_more {
            page.last_seq = head.max(page.last_seq);
        }
        Ok(page)
    }

    /// A record or tombstone by id.
    pub async fn entity(&self, id: Uuid) -> Result<Option<Entity>> {
        self.entity_now(id)
    }

    /// A live record of `kind`; `None` for a missing, deleted or different
    /// kind of record.
    pub async fn live(&self, id: Uuid, kind: Kind) -> Result<Option<Entity>> {
        Ok(self
            .entity_now(id)?
            .filter(|entity| !entity.is_deleted() && entity.kind() == kind))
    }

    /// Whether the therapist and the client are actively linked.
    pub async fn link_active(&self, therapist: Uuid, client: Uuid) -> Result<bool> {
        Ok(self
            .link_between(therapist, client)
            .await?
            .is_some_and(|link| link.is_active()))
    }

    /// A page of the live records of `kind` under `parent` (a client for
    /// top-level records, else a record), in order, within the inclusive
    /// order bounds `within`, each as `seen` turns it. A record `seen`
    /// hides neither counts towards the page nor ends up in its token, so
    /// a reader learns nothing of what it may not see.
    pub async fn children(
        &self,
        parent: Uuid,
        kind: Kind,
        (from, to): (Option<Order>, Option<Order>),
        page: PageRequest<'_>,
        seen: SeenBy<'_>,
    ) -> Result<Page<Entity>> {
        let prefix = keys::children_of(parent, kind);
        let from = from.map(keys::order_bytes).unwrap_or_default();
        let to = to.map(keys::order_bytes);
        let range = KeyRange::new(&prefix, (from, to));
        let text_keys = ReadKeys::new(self);
        self.page(&range, page, |key, _| {
            let id = keys::child_id(key).ok_or_else(|| Error::internal("bad index key"))?;
            Ok(self
                .sized_entity(id, &text_keys)?
                .filter(|(e, _)| !e.is_deleted())
                .and_then(|(e, size)| Some((seen(e)?, size))))
        })
    }

    /// A custom instrument by id.
    pub async fn instrument(&self, id: Uuid) -> Result<Option<CustomInstrument>> {
        self.value(&keys::instrument(id))
    }

    /// The ids of the custom instruments a therapist wrote, in id order.
    pub async fn instrument_ids(&self, owner: Uuid) -> Result<Vec<Uuid>> {
        let mut ids = Vec::new();
        self.scan_prefix(&keys::instruments_of(owner), |key, _| {
            ids.push(keys::child_id(key).ok_or_else(|| Error::internal("bad index key"))?);
            Ok(())
        })?;
        Ok(ids)
    }

    /// A step's check-ins, as its aggregate keeps them.
    pub async fn step_track(&self, step: Uuid) -> Result<StepTrack> {
        let mut track = StepTrack::default();
        self.scan_prefix(&keys::step_years(step), |_, value| {
            track.days.extend(StepTrack::decode(value)?.days);
            Ok(())
        })?;
        Ok(track)
    }

    /// A client's steps and ratings, as their aggregate keeps them.
    pub async fn client_track(&self, client: Uuid) -> Result<ClientTrack> {
        let prefix = keys::client_track(client);
        let mut track = ClientTrack::default();
        self.scan_prefix(&prefix, |key, value| {
            let id = keys::child_id(key).ok_or_else(|| Error::internal("bad track key"))?;
            let tracked = |byte| Tracked::ALL.into_iter().find(|t| t.byte() == byte);
            match key.get(prefix.len()).copied() {
                Some(b's') => {
                    track.steps.insert(id, TrackedStep::decode(value)?);
                }
                Some(b'r') => {
                    track.ratings.insert(id, TrackedRating::decode(value)?);
                }
                Some(byte) => match tracked(byte) {
                    Some(Tracked::Assignment) => {
                        track
                            .assignments
                            .insert(id, TrackedAssignment::decode(value)?);
                    }
                    Some(Tracked::Result) => {
                        track.results.insert(id, TrackedResult::decode(value)?);
                    }
                    Some(Tracked::Scale) => {
                        track.scales.insert(id, TrackedScale::decode(value)?);
                    }
                    Some(Tracked::Attainment) => {
                        track
                            .attainments
                            .insert(id, TrackedAttainment::decode(value)?);
                    }
                    None => return Err(Error::internal("bad track key")),
                },
                None => return Err(Error::internal("bad track key")),
            }
            Ok(())
        })?;
        Ok(track)
    }

    /// Up to `limit` risk alerts waiting for their delivery to the webhook,
    /// by alert id (which is time-ordered: the oldest first).
    pub async fn alert_deliveries(&self, limit: usize) -> Result<Vec<AlertDelivery>> {
        let range = KeyRange::new(&[keys::ALERT_DELIVERY], (Vec::new(), None));
        let page = PageRequest {
            size: limit,
            token: "",
        };
        let page = self.page(&range, page, |_, value| {
            Ok(Some((AlertDelivery::decode(value)?, value.len())))
        })?;
        Ok(page.items)
    }

    /// The account with `id`.
    pub async fn account(&self, id: Uuid) -> Result<Option<Account>> {
        self.value(&keys::account(id))
    }

    /// The token whose secret hashes to `token_hash`.
    pub async fn token(&self, token_hash: &[u8; 32]) -> Result<Option<Token>> {
        self.value(&keys::token(token_hash))
    }

    /// An account's tokens, oldest first.
    pub async fn tokens(&self, account: Uuid, page: PageRequest<'_>) -> Result<Page<Token>> {
        let prefix = keys::key(keys::TOKEN_BY_ACCOUNT, &[account.as_bytes()]);
        let range = KeyRange::new(&prefix, (Vec::new(), None));
        self.page(&range, page, |_, hash| {
            self.sized_value(&keys::key(keys::TOKEN, &[hash]))
        })
    }

    /// Whether any account exists (a new store has none).
    pub async fn has_accounts(&self) -> Result<bool> {
        let mut found = false;
        self.engine.scan(keys::accounts(), &mut |_, _| {
            found = true;
            Ok(false)
        })?;
        Ok(found)
    }

    /// Every account (deleted ones as their receipts), oldest first.
    pub async fn accounts(&self, page: PageRequest<'_>) -> Result<Page<Account>> {
        let range = KeyRange::new(&[keys::ACCOUNT], (Vec::new(), None));
        self.page(&range, page, |_, value| {
            Ok(Some((Account::decode(value)?, value.len())))
        })
    }

    /// A care link by id.
    pub async fn care_link(&self, id: Uuid) -> Result<Option<CareLink>> {
        self.care_link_now(id)
    }

    /// The latest link between a therapist and a client, if any.
    pub async fn link_between(&self, therapist: Uuid, client: Uuid) -> Result<Option<CareLink>> {
        let pair = keys::key(keys::LINK_PAIR, &[therapist.as_bytes(), client.as_bytes()]);
        match self.engine.get(&pair)? {
            Some(id) => self.care_link_now(decode_id(id.as_ref())?),
            None => Ok(None),
        }
    }

    /// The links of an account on `side`, oldest first.
    pub async fn links(
        &self,
        account: Uuid,
        side: Side,
        page: PageRequest<'_>,
    ) -> Result<Page<CareLink>> {
        let prefix = match side {
            Side::Client => keys::LINK_BY_CLIENT,
            Side::Therapist => keys::LINK_BY_THERAPIST,
        };
        let range = KeyRange::new(
            &keys::key(prefix, &[account.as_bytes()]),
            (Vec::new(), None),
        );
        self.page(&range, page, |key, _| {
            let id = keys::child_id(key).ok_or_else(|| Error::internal("bad index key"))?;
            self.sized_value(&keys::key(keys::LINK, &[id.as_bytes()]))
        })
    }

    /// A therapist's unused invites (expired ones too), oldest first.
    pub async fn invites(&self, therapist: Uuid, page: PageRequest<'_>) -> Result<Page<Invite>> {
        let prefix = keys::key(keys::INVITE_BY_THERAPIST, &[therapist.as_bytes()]);
        let range = KeyRange::new(&prefix, (Vec::new(), None));
        // The code ends the index entry, after the therapist and the time.
        let code_at = prefix.len() + 8;
        self.page(&range, page, |key, _| {
            let code = std::str::from_utf8(&key[code_at..])
                .map_err(|_| Error::internal("bad invite index key"))?;
            self.sized_value(&keys::invite(code))
        })
    }

    /// The access events about a client or by a therapist, oldest first.
    pub async fn access_events(
        &self,
        account: Uuid,
        side: Side,
        page: PageRequest<'_>,
    ) -> Result<Page<AccessEvent>> {
        let prefix = match side {
            Side::Client => keys::ACCESS_BY_CLIENT,
            Side::Therapist => keys::ACCESS_BY_THERAPIST,
        };
        let range = KeyRange::new(
            &keys::key(prefix, &[account.as_bytes()]),
            (Vec::new(), None),
        );
        self.page(&range, page, |_, value| {
            Ok(Some((AccessEvent::decode(value)?, value.len())))
        })
    }

    /// The administrators' events, oldest first.
    pub async fn admin_events(&self, page: PageRequest<'_>) -> Result<Page<AdminEvent>> {
        let range = KeyRange::new(&[keys::ADMIN_EVENT], (Vec::new(), None));
        self.page(&range, page, |_, value| {
            Ok(Some((AdminEvent::decode(value)?, value.len())))
        })
    }

    /// A therapist's sessions with a client, newest first.
    pub async fn sessions(
        &self,
        therapist: Uuid,
        client: Uuid,
        page: PageRequest<'_>,
    ) -> Result<Page<Session>> {
        let range = KeyRange::new(&keys::sessions_of(therapist, client), (Vec::new(), None));
        self.page(&range, page, |key, _| {
            let id = keys::child_id(key).ok_or_else(|| Error::internal("bad index key"))?;
            self.sized_value(&keys::session(id))
        })
    }

    /// Writes a consistent copy of the whole store to a file of the scratch
    /// dir named after `backup_id` (writers wait while it is taken), and
    /// returns it open for reading. Its name is removed before it is
    /// returned, and on any failure or cancellation, so nothing is left on
    /// disk once the caller drops the file. `UNIMPLEMENTED` where the
    /// backend's own tools make backups.
    pub async fn snapshot(&self, backup_id: Uuid) -> Result<(std::fs::File, SnapshotInfo)> {
        if let Some(refusal) = self.engine.snapshot_refusal() {
            return Err(Error::Unsupported(refusal));
        }
        let scratch_dir = self
            .scratch_dir
            .as_deref()
            .ok_or_else(|| Error::internal("the store has no scratch dir for snapshots"))?;
        let scratch = ScratchFile::new(scratch_dir, format!("stepwise-backup-{backup_id}.tmp"));
        // On failure or cancellation, dropping `scratch` removes the file.
        let (done, outcome) = oneshot::channel();
        let path = scratch.path().to_owned();
        self.pipeline
            .send(Command::Exclusive(Box::new(move |engine: &dyn Engine| {
                let _ = done.send(snapshot::write(engine, &path));
            })))?;
        let info = outcome
            .await
            .map_err(|_| Error::internal("the writer has stopped"))??;
        Ok((scratch.open_unlinked()?, info))
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.engine.size_on_disk()
    }

    /// Makes everything durable and stops taking writes; at shutdown.
    pub async fn close(&self) -> Result<()> {
        self.engine.flush()
    }
}

/// What signing in keeps, read (written in [`signin`]).
impl Store {
    /// The id of the account that signs in with `email` (normalized).
    pub async fn account_by_email(&self, email: &str) -> Result<Option<Uuid>> {
        self.engine
            .get(&keys::email(email))?
            .map(|bytes| signin::id_value(&bytes))
            .transpose()
    }

    /// An account's email and password hash.
    pub async fn credential(&self, account: Uuid) -> Result<Option<Credential>> {
        self.value(&keys::credential(account))
    }

    /// Whether the account has a confirmed second factor.
    pub async fn has_second_factor(&self, account: Uuid) -> Result<bool> {
        Ok(self
            .value::<TotpFactor>(&keys::totp_factor(account))?
            .is_some_and(|factor| factor.confirmed))
    }

    /// The account recovery code hashing to `hash`.
    pub async fn recovery_code(&self, hash: &[u8; 32]) -> Result<Option<AccountRecoveryCode>> {
        self.value(&keys::recovery_code(hash))
    }

    /// The setup code hashing to `hash`.
    pub async fn setup_code(&self, hash: &[u8; 32]) -> Result<Option<SetupCode>> {
        self.value(&keys::setup_code(hash))
    }

    /// The access token hashing to `hash`.
    pub async fn access_token(&self, hash: &[u8; 32]) -> Result<Option<AccessToken>> {
        self.value(&keys::access_token(hash))
    }

    /// A device session by id.
    pub async fn device_session(&self, id: Uuid) -> Result<Option<DeviceSession>> {
        self.value(&keys::device_session(id))
    }

    /// An account's device sessions, oldest first.
    pub async fn device_sessions(
        &self,
        account: Uuid,
        page: PageRequest<'_>,
    ) -> Result<Page<DeviceSession>> {
        let prefix = keys::key(keys::DEVICE_SESSION_BY_ACCOUNT, &[account.as_bytes()]);
        let range = KeyRange::new(&prefix, (Vec::new(), None));
        self.page(&range, page, |key, _| {
            self.sized_value(&keys::device_session(signin::id_after(key, 16)?))
        })
    }

    /// An account's security events, newest first.
    pub async fn security_events(
        &self,
        account: Uuid,
        page: PageRequest<'_>,
    ) -> Result<Page<SecurityEvent>> {
        let range = KeyRange::new(&keys::security_events_of(account), (Vec::new(), None));
        self.page(&range, page, |_, value| {
            Ok(Some((SecurityEvent::decode(value)?, value.len())))
        })
    }
}
