//! A transaction of the commit pipeline: the store's typed operations over
//! layers of pending writes.
//!
//! The pipeline runs the writes of one group one after another on its own
//! thread, each over the writes of those before it (the group's layer), and
//! applies the whole group in one atomic batch. A write's own changes sit in
//! a layer of their own, so a failed write is dropped without touching its
//! neighbours; nested transactions (one per mutation of a push) add layers.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use uuid::Uuid;

use super::kv::codec::{
    OpenText, Value, decode_entity, decode_id, decode_replay, decode_seq, encode_entity,
    encode_replay, encode_seq,
};
use super::kv::engine::{Batch, KvRead};
use super::kv::keys::{self, Tracked};
use super::kv::seal::{self, MasterKey, SealedText};
use super::types::Side;
use crate::domain::instruments::CustomInstrument;
use crate::domain::{
    AccessEvent, Account, AdminEvent, AlertDelivery, CareLink, Entity, Invite, Kind, Order, Parent,
    Replay, Session, StepTrack, Token, TrackedAssignment, TrackedAttainment, TrackedRating,
    TrackedResult, TrackedScale, TrackedStep,
};
use crate::error::{Error, Result};

/// Pending writes: a key set to a value, or removed (`None`).
#[derive(Debug, Default)]
pub(super) struct Layer {
    entries: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Layer {
    /// Whether nothing is pending.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lays `other` over this layer.
    fn absorb(&mut self, other: Layer) {
        self.entries.extend(other.entries);
    }

    /// The sequence number this layer leaves `client` at (0 once removed),
    /// or `None` when it does not write the client's sequence.
    pub(super) fn head(&self, client: Uuid) -> Option<i64> {
        match self.entries.get(&keys::sequence(client))? {
            Some(bytes) => decode_seq(bytes).ok(),
            None => Some(0),
        }
    }

    /// The writes, as a batch for the engine.
    pub(super) fn into_batch(self) -> Batch {
        self.entries.into_iter().collect()
    }
}

/// One write's transaction: what a write may read and change (see
/// [`crate::store`] for the rules every write keeps).
///
/// Record writes ([`Tx::create`], [`Tx::update`], [`Tx::tombstone`]) stamp
/// the owner's next version, the time and the actor, and keep the change
/// index and the parent index exact (an update that changes a record's
/// order moves its entry). Aggregates are kept by the use cases in the
/// same transaction.
pub struct Tx<'a> {
    engine: &'a dyn KvRead,
    group: &'a mut Layer,
    /// The write's own layers: the first is the write's, each nested
    /// transaction adds one.
    layers: Vec<Layer>,
    actor: Uuid,
    now_us: i64,
    /// Clients whose sequence advanced, for their watchers.
    touched: &'a mut BTreeSet<Uuid>,
    /// Wraps the clients' keys that seal their text.
    master: &'a MasterKey,
    /// Whether new risk alerts are queued for the webhook.
    alert_outbox: bool,
}

impl<'a> Tx<'a> {
    /// A transaction of `actor` at `now_us` over `group`; clients' text is
    /// sealed with keys wrapped by `master`; new risk alerts are queued for
    /// the webhook when `alert_outbox` says.
    pub(super) fn new(
        engine: &'a dyn KvRead,
        group: &'a mut Layer,
        touched: &'a mut BTreeSet<Uuid>,
        (actor, now_us): (Uuid, i64),
        (master, alert_outbox): (&'a MasterKey, bool),
    ) -> Self {
        Self {
            engine,
            group,
            layers: vec![Layer::default()],
            actor,
            now_us,
            touched,
            master,
            alert_outbox,
        }
    }

    /// Keeps the write's changes in the group (on success) or drops them.
    pub(super) fn finish(mut self, keep: bool) {
        if keep {
            for layer in self.layers.drain(..) {
                self.group.absorb(layer);
            }
        }
    }

    pub(super) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.pending(key) {
            Some(value) => Ok(value.clone()),
            None => self.engine.get(key),
        }
    }

    /// What the pending layers say of `key`: set, removed (`Some(None)`),
    /// or nothing (`None`: the engine's value stands).
    fn pending(&self, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        self.layers
            .iter()
            .rev()
            .chain([&*self.group])
            .find_map(|layer| layer.entries.get(key))
    }

    /// Replaces the access mark, so that other servers' streams check
    /// again whether their callers may go on (see `super::poller`).
    pub(super) fn access_changed(&mut self) {
        self.put(keys::access_mark(), rand::random::<[u8; 8]>().to_vec());
    }

    pub(super) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.top().entries.insert(key, Some(value));
    }

    pub(super) fn remove(&mut self, key: Vec<u8>) {
        self.top().entries.insert(key, None);
    }

    fn top(&mut self) -> &mut Layer {
        if self.layers.is_empty() {
            self.layers.push(Layer::default());
        }
        let last = self.layers.len() - 1;
        &mut self.layers[last]
    }

    /// The keys starting with `prefix`, as this transaction sees them.
    pub(super) fn keys_with(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
        let end = keys::prefix_end(prefix);
        let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        Ok(self
            .scan((Bound::Included(prefix), upper), usize::MAX)?
            .into_iter()
            .map(|(key, _)| key)
            .collect())
    }

    /// The first `limit` entries in `range`, in key order, as this
    /// transaction sees them.
    pub(super) fn scan(
        &self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        if is_empty(range) {
            return Ok(Vec::new());
        }
        let mut found = BTreeMap::new();
        self.engine.scan(range, &mut |key, value| {
            if found.len() >= limit {
                return Ok(false);
            }
            match self.pending(key) {
                Some(None) => {}
                Some(Some(pending)) => {
                    found.insert(key.to_vec(), pending.clone());
                }
                None => {
                    found.insert(key.to_vec(), value.to_vec());
                }
            }
            Ok(true)
        })?;
        // Entries only the pending layers hold; those after the engine's
        // last one cannot make it into the first `limit` if it stopped early.
        for layer in [&*self.group].into_iter().chain(self.layers.iter()) {
            for (key, value) in layer.entries.range::<[u8], _>(range) {
                match value {
                    Some(value) => found.insert(key.clone(), value.clone()),
                    None => found.remove(key),
                };
            }
        }
        Ok(found.into_iter().take(limit).collect())
    }

    pub(super) fn value<T: Value>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|bytes| T::decode(&bytes)).transpose()
    }

    /// Sets `key` to `value`, or removes it for `None`.
    fn put_or_remove<T: Value>(&mut self, key: Vec<u8>, value: Option<&T>) {
        match value {
            Some(value) => self.put(key, value.encode()),
            None => self.remove(key),
        }
    }

    /// Gives the record the owner's next version, moves its change index
    /// entry there, and writes it.
    fn stamp_and_put(&mut self, mut entity: Entity) -> Result<Entity> {
        let client = entity.meta().client_id;
        let previous = entity.meta().version;
        if previous > 0 {
            self.remove(keys::change(client, previous));
        }
        let version = self.next_version(client)?;
        let meta = entity.meta_mut();
        meta.version = version;
        meta.update_time_us = self.now_us;
        meta.updated_by = self.actor;
        let id = meta.id;
        self.put(keys::change(client, version), id.as_bytes().to_vec());
        let value =
            encode_entity(&entity).sealed(|client, aad, plain| self.seal(client, aad, plain))?;
        self.put(keys::record(id), value);
        Ok(entity)
    }

    /// `plain` sealed with `client`'s key, bound to `aad`.
    fn seal(&mut self, client: Uuid, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
        Ok(self.client_key(client)?.seal(aad, plain))
    }

    /// The key that seals `client`'s text, made (and stored, wrapped) with
    /// the client's first text.
    fn client_key(&mut self, client: Uuid) -> Result<seal::ClientKey> {
        let entry = keys::client_key(client);
        match self.get(&entry)? {
            Some(wrapped) => self.master.unwrap_client_key(client, &wrapped),
            None => {
                let (key, wrapped) = self.master.new_client_key(client);
                self.put(entry, wrapped);
                Ok(key)
            }
        }
    }

    fn next_version(&mut self, client: Uuid) -> Result<i64> {
        let key = keys::sequence(client);
        let last = match self.get(&key)? {
            Some(bytes) => decode_seq(&bytes)?,
            None => 0,
        };
        self.put(key, encode_seq(last + 1));
        self.touched.insert(client);
        Ok(last + 1)
    }

    /// The parent index entry of a live record.
    fn child_key(entity: &Entity) -> Result<Vec<u8>> {
        let (Some(parent), Some(order)) = (entity.parent(), entity.order()) else {
            return Err(Error::internal("a tombstone has no parent index entry"));
        };
        let meta = entity.meta();
        let parent = match parent {
            Parent::Client => meta.client_id,
            Parent::Record(_, id) => id,
        };
        Ok(keys::child(parent, entity.kind(), order, meta.id))
    }

    /// Appends an event under `first` and `second` (client and therapist
    /// orders of the same trail).
    fn append_event(&mut self, keys: &[Vec<u8>], time_us: i64, value: Vec<u8>) {
        let unique: [u8; 8] = rand::random();
        for prefix in keys {
            let key = [&prefix[..], &keys::ordered_i64(time_us), &unique].concat();
            self.put(key, value.clone());
        }
    }
}

/// Whether a range holds no key at all (ordered maps refuse to scan a
/// range whose start is past its end).
fn is_empty((from, to): (Bound<&[u8]>, Bound<&[u8]>)) -> bool {
    use Bound::{Excluded, Included};
    match (from, to) {
        (Included(start), Included(end)) => start > end,
        (Included(start) | Excluded(start), Included(end) | Excluded(end)) => start >= end,
        _ => false,
    }
}

impl OpenText for Tx<'_> {
    fn open_text(&self, text: &SealedText<'_>) -> Result<Vec<u8>> {
        let wrapped = self.get(&keys::client_key(text.client))?;
        seal::open_text(self.master, wrapped.as_deref(), text)
    }
}

impl Tx<'_> {
    /// The account on whose behalf the transaction runs.
    pub fn actor(&self) -> Uuid {
        self.actor
    }

    /// The time of the transaction, microseconds since the Unix epoch.
    pub fn now_micros(&self) -> i64 {
        self.now_us
    }

    /// The master key, for values the store keeps sealed by it.
    pub(super) fn master_key(&self) -> &MasterKey {
        self.master
    }

    /// Starts a nested transaction: what is written until
    /// [`Tx::end_nested`] can be undone on its own.
    pub fn begin_nested(&mut self) {
        self.layers.push(Layer::default());
    }

    /// Ends the innermost nested transaction, keeping its writes
    /// (`keep`) or undoing them.
    pub fn end_nested(&mut self, keep: bool) {
        let Some(nested) = self.layers.pop() else {
            return;
        };
        if keep {
            self.top().absorb(nested);
        }
    }

    /// A record or tombstone by id, as this transaction sees it.
    pub fn entity(&mut self, id: Uuid) -> Result<Option<Entity>> {
        self.get(&keys::record(id))?
            .map(|bytes| decode_entity(id, &bytes, self))
            .transpose()
    }

    /// Stores a new record (`ALREADY_EXISTS` if its id was ever used).
    pub fn create(&mut self, mut entity: Entity) -> Result<Entity> {
        if entity.is_deleted() {
            return Err(Error::internal("cannot create a tombstone"));
        }
        if self.get(&keys::record(entity.meta().id))?.is_some() {
            return Err(Error::AlreadyExists(entity.kind().noun()));
        }
        let meta = entity.meta_mut();
        meta.version = 0;
        meta.create_time_us = self.now_us;
        meta.created_by = self.actor;
        self.put(Self::child_key(&entity)?, Vec::new());
        self.stamp_and_put(entity)
    }

    /// Replaces a live record with a changed copy.
    pub fn update(&mut self, entity: Entity) -> Result<Entity> {
        if entity.is_deleted() {
            return Err(Error::internal("cannot update a tombstone"));
        }
        // A changed order (a thought record moved to another day) moves the
        // record's parent index entry.
        if let Some(before) = self.entity(entity.meta().id)?.filter(|e| !e.is_deleted()) {
            let (old, new) = (Self::child_key(&before)?, Self::child_key(&entity)?);
            if old != new {
                self.remove(old);
                self.put(new, Vec::new());
            }
        }
        self.stamp_and_put(entity)
    }

    /// Replaces a live record with its tombstone.
    pub fn tombstone(&mut self, entity: &Entity) -> Result<Entity> {
        self.remove(Self::child_key(entity)?);
        self.put(
            keys::tombstone_by_time(self.now_us, entity.meta().id),
            Vec::new(),
        );
        self.stamp_and_put(Entity::Tombstone(entity.tombstone()))
    }

    /// The ids of the live records directly under `parent`, of any kind.
    pub fn children(&mut self, parent: Uuid) -> Result<Vec<Uuid>> {
        self.child_ids(&keys::key(keys::CHILD, &[parent.as_bytes()]))
    }

    /// The ids of the live records of `kind` directly under `parent`, in
    /// their order.
    pub fn children_of(&mut self, parent: Uuid, kind: Kind) -> Result<Vec<Uuid>> {
        self.child_ids(&keys::children_of(parent, kind))
    }

    /// The ids of the parent index entries under `prefix`.
    fn child_ids(&mut self, prefix: &[u8]) -> Result<Vec<Uuid>> {
        self.keys_with(prefix)?
            .iter()
            .map(|key| keys::child_id(key).ok_or_else(|| Error::internal("bad index key")))
            .collect()
    }

    /// The live record of `kind` under `parent` at `order` (the first if
    /// several share it).
    pub fn child_at(&mut self, parent: Uuid, kind: Kind, order: Order) -> Result<Option<Uuid>> {
        let prefix = keys::children_at(parent, kind, order);
        Ok(self
            .keys_with(&prefix)?
            .first()
            .and_then(|key| keys::child_id(key)))
    }

    /// What the acting account's mutation `mutation_id` did.
    pub fn replay(&mut self, mutation_id: &str) -> Result<Option<Replay>> {
        self.get(&keys::replay(self.actor, mutation_id))?
            .map(|bytes| decode_replay(&bytes, self))
            .transpose()
    }

    /// Keeps what the acting account's mutation `mutation_id` did, dated
    /// now for retention.
    pub fn remember(&mut self, mutation_id: &str, replay: &Replay) -> Result<()> {
        let value = encode_replay(replay, |client, aad, plain| self.seal(client, aad, plain))?;
        self.put(keys::replay(self.actor, mutation_id), value);
        self.put(
            keys::replay_by_time(self.now_us, self.actor, mutation_id),
            Vec::new(),
        );
        Ok(())
    }

    /// [`crate::store::Store::sync_floor`], as this transaction sees it.
    pub fn sync_floor(&mut self, client: Uuid) -> Result<i64> {
        match self.get(&keys::sync_floor(client))? {
            Some(bytes) => decode_seq(&bytes),
            None => Ok(0),
        }
    }

    /// A step's check-ins of calendar year `year`.
    pub fn step_year(&mut self, step: Uuid, year: i32) -> Result<StepTrack> {
        Ok(self
            .value(&keys::step_year(step, year))?
            .unwrap_or_default())
    }

    /// Replaces a step's check-ins of calendar year `year` (an empty track
    /// drops it).
    pub fn put_step_year(&mut self, step: Uuid, year: i32, track: &StepTrack) -> Result<()> {
        let key = keys::step_year(step, year);
        if track.days.is_empty() {
            self.remove(key);
        } else {
            self.put(key, track.encode());
        }
        Ok(())
    }

    /// Drops every year of a step's check-ins (the step was deleted).
    pub fn drop_step_track(&mut self, step: Uuid) -> Result<()> {
        for key in self.keys_with(&keys::step_years(step))? {
            self.remove(key);
        }
        Ok(())
    }

    /// A step of a client, as its aggregate keeps it.
    pub fn tracked_step(&mut self, client: Uuid, step: Uuid) -> Result<Option<TrackedStep>> {
        self.value(&keys::tracked_step(client, step))
    }

    /// Replaces (or with `None`, drops) a record's entry in its client's
    /// aggregate (see [`TrackedEntry`]).
    pub fn put_tracked<T: TrackedEntry>(
        &mut self,
        client: Uuid,
        id: Uuid,
        track: Option<&T>,
    ) -> Result<()> {
        self.put_or_remove(T::key(client, id), track);
        Ok(())
    }

    /// A client's questionnaire assignments, as the aggregate keeps them.
    pub fn tracked_assignments(
        &mut self,
        client: Uuid,
    ) -> Result<BTreeMap<Uuid, TrackedAssignment>> {
        let mut assignments = BTreeMap::new();
        for key in self.keys_with(&keys::tracked_of(client, Tracked::Assignment))? {
            let id = keys::child_id(&key).ok_or_else(|| Error::internal("bad track key"))?;
            if let Some(track) = self.value(&key)? {
                assignments.insert(id, track);
            }
        }
        Ok(assignments)
    }

    /// A custom instrument by id.
    pub fn instrument(&mut self, id: Uuid) -> Result<Option<CustomInstrument>> {
        self.value(&keys::instrument(id))
    }

    /// Stores a new custom instrument under its owner
    /// (`ALREADY_EXISTS` if its id was used).
    pub fn create_instrument(&mut self, instrument: &CustomInstrument) -> Result<()> {
        let id = instrument.instrument.id;
        if self.get(&keys::instrument(id))?.is_some() {
            return Err(Error::AlreadyExists("instrument"));
        }
        self.put(keys::instrument(id), instrument.encode());
        self.put(keys::instrument_of(instrument.owner, id), Vec::new());
        Ok(())
    }

    /// The account with `id`.
    pub fn account(&mut self, id: Uuid) -> Result<Option<Account>> {
        self.value(&keys::account(id))
    }

    /// Whether the store has any account.
    pub fn has_accounts(&mut self) -> Result<bool> {
        Ok(!self.scan(keys::accounts(), 1)?.is_empty())
    }

    /// Stores an account.
    pub fn put_account(&mut self, account: &Account) -> Result<()> {
        self.put(keys::account(account.id), account.encode());
        self.access_changed();
        Ok(())
    }

    /// The token whose secret hashes to `token_hash`.
    pub fn token(&mut self, token_hash: &[u8; 32]) -> Result<Option<Token>> {
        self.value(&keys::token(token_hash))
    }

    /// Stores a token (new, or changed).
    pub fn put_token(&mut self, token: &Token) -> Result<()> {
        if token.revoked.is_some() {
            self.access_changed();
        }
        self.put(keys::token(&token.hash), token.encode());
        self.put(
            keys::token_of(token.account_id, token.id),
            token.hash.to_vec(),
        );
        Ok(())
    }

    /// Every token of an account.
    pub fn tokens_of(&mut self, account: Uuid) -> Result<Vec<Token>> {
        let prefix = keys::key(keys::TOKEN_BY_ACCOUNT, &[account.as_bytes()]);
        let mut tokens = Vec::new();
        for entry in self.keys_with(&prefix)? {
            let hash = self.get(&entry)?.unwrap_or_default();
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| Error::internal("bad token index entry"))?;
            tokens.extend(self.token(&hash)?);
        }
        Ok(tokens)
    }

    /// Erases everything a client owns: every record and tombstone, their
    /// indexes and aggregates, the client's sequence and replays, and last
    /// the client's key, without which no copy of their text made later
    /// (a backup) can be read.
    /// Returns how many records and tombstones it erased. (An entry kept
    /// per client that a new feature adds must be erased here too.)
    pub fn erase_client(&mut self, client: Uuid) -> Result<u64> {
        let mut erased = 0;
        for change in self.keys_with(&keys::key(keys::CHANGE, &[client.as_bytes()]))? {
            let id = decode_id(&self.get(&change)?.unwrap_or_default())?;
            // Read while the client's key is still there.
            if let Some(entity) = self.entity(id)? {
                if entity.is_deleted() {
                    // A tombstone is deleted at its last change.
                    let deleted_us = entity.meta().update_time_us;
                    self.remove(keys::tombstone_by_time(deleted_us, id));
                } else {
                    self.remove(Self::child_key(&entity)?);
                }
                if entity.kind() == Kind::ActionStep {
                    self.drop_step_track(id)?;
                }
            }
            self.remove(keys::record(id));
            self.remove(change);
            erased += 1;
        }
        let per_client = [
            keys::client_track(client),
            keys::key(keys::REPLAY, &[client.as_bytes()]),
        ];
        for prefix in per_client {
            for key in self.keys_with(&prefix)? {
                self.remove(key);
            }
        }
        // Deliveries still queued for the webhook name the client.
        for key in self.keys_with(&[keys::ALERT_DELIVERY])? {
            let queued: Option<AlertDelivery> = self.value(&key)?;
            if queued.is_some_and(|delivery| delivery.client_id == client) {
                self.remove(key);
            }
        }
        self.remove(keys::sequence(client));
        self.remove(keys::sync_floor(client));
        // Last: every copy of the client's text is sealed with this key.
        self.remove(keys::client_key(client));
        Ok(erased)
    }

    /// The invite with `code`.
    pub fn invite(&mut self, code: &str) -> Result<Option<Invite>> {
        self.value(&keys::invite(code))
    }

    /// Stores an invite (new, or used).
    pub fn put_invite(&mut self, invite: &Invite) -> Result<()> {
        self.put(keys::invite(&invite.code), invite.encode());
        let listed = keys::invite_of(invite.therapist_id, invite.create_time_us, &invite.code);
        if invite.used_by.is_none() {
            self.put(listed, Vec::new());
        } else {
            self.remove(listed);
        }
        Ok(())
    }

    /// Removes an invite: its code works no more.
    pub fn remove_invite(&mut self, invite: &Invite) -> Result<()> {
        self.remove(keys::invite(&invite.code));
        self.remove(keys::invite_of(
            invite.therapist_id,
            invite.create_time_us,
            &invite.code,
        ));
        Ok(())
    }

    /// A care link by id.
    pub fn care_link(&mut self, id: Uuid) -> Result<Option<CareLink>> {
        self.value(&keys::key(keys::LINK, &[id.as_bytes()]))
    }

    /// The latest link between a therapist and a client.
    pub fn link_between(&mut self, therapist: Uuid, client: Uuid) -> Result<Option<CareLink>> {
        let pair = keys::key(keys::LINK_PAIR, &[therapist.as_bytes(), client.as_bytes()]);
        match self.get(&pair)? {
            Some(id) => self.care_link(decode_id(&id)?),
            None => Ok(None),
        }
    }

    /// Stores a link (new, or changed: revoked).
    pub fn put_link(&mut self, link: &CareLink) -> Result<()> {
        let id = link.id.as_bytes();
        let (therapist, client) = (link.therapist_id.as_bytes(), link.client_id.as_bytes());
        self.access_changed();
        self.put(keys::key(keys::LINK, &[id]), link.encode());
        self.put(
            keys::key(keys::LINK_PAIR, &[therapist, client]),
            id.to_vec(),
        );
        self.put(keys::key(keys::LINK_BY_CLIENT, &[client, id]), Vec::new());
        self.put(
            keys::key(keys::LINK_BY_THERAPIST, &[therapist, id]),
            Vec::new(),
        );
        Ok(())
    }

    /// Every link of an account on `side`.
    pub fn links_of(&mut self, account: Uuid, side: Side) -> Result<Vec<CareLink>> {
        let prefix = match side {
            Side::Client => keys::LINK_BY_CLIENT,
            Side::Therapist => keys::LINK_BY_THERAPIST,
        };
        let mut links = Vec::new();
        for entry in self.keys_with(&keys::key(prefix, &[account.as_bytes()]))? {
            let id = keys::child_id(&entry).ok_or_else(|| Error::internal("bad index key"))?;
            links.extend(self.care_link(id)?);
        }
        Ok(links)
    }

    /// Appends to the audit trail of therapists' access.
    pub fn append_access_events(&mut self, events: &[AccessEvent]) -> Result<()> {
        for event in events {
            let trails = [
                keys::key(keys::ACCESS_BY_CLIENT, &[event.client_id.as_bytes()]),
                keys::key(keys::ACCESS_BY_THERAPIST, &[event.therapist_id.as_bytes()]),
            ];
            self.append_event(&trails, event.time_us, event.encode());
        }
        Ok(())
    }

    /// Appends to the audit trail of administrators.
    pub fn append_admin_event(&mut self, event: &AdminEvent) -> Result<()> {
        let trail = [vec![keys::ADMIN_EVENT]];
        self.append_event(&trail, event.time_us, event.encode());
        Ok(())
    }

    /// A session by id.
    pub fn session(&mut self, id: Uuid) -> Result<Option<Session>> {
        self.value(&keys::session(id))
    }

    /// Stores a new session.
    pub fn put_session(&mut self, session: &Session) -> Result<()> {
        self.put(keys::session(session.id), session.encode());
        let entry = keys::session_entry(
            session.therapist_id,
            session.client_id,
            session.session_time_us,
            session.id,
        );
        self.put(entry, Vec::new());
        Ok(())
    }
}

impl Tx<'_> {
    /// Queues a new risk alert's delivery to the webhook, in this write, so
    /// that the alert is never stored without it; does nothing on a server
    /// without a webhook (`serve --alert-webhook`).
    pub fn queue_alert_delivery(&mut self, delivery: &AlertDelivery) {
        if self.alert_outbox {
            self.put(keys::alert_delivery(delivery.alert_id), delivery.encode());
        }
    }

    /// A queued delivery, as this transaction sees it.
    pub fn alert_delivery(&mut self, alert: Uuid) -> Result<Option<AlertDelivery>> {
        self.value(&keys::alert_delivery(alert))
    }

    /// Replaces a queued delivery (claimed, or failed and due later).
    pub fn put_alert_delivery(&mut self, delivery: &AlertDelivery) {
        self.put(keys::alert_delivery(delivery.alert_id), delivery.encode());
    }

    /// Removes a delivery from the queue: it was delivered.
    pub fn remove_alert_delivery(&mut self, alert: Uuid) {
        self.remove(keys::alert_delivery(alert));
    }
}

/// What a client's aggregates keep of one record (a step's adherence, a
/// rating, an assignment, a result, a goal's scale, an attainment rating),
/// and where.
pub trait TrackedEntry: Value {
    /// The key of the entry of record `id` of `client`.
    fn key(client: Uuid, id: Uuid) -> Vec<u8>;
}

impl TrackedEntry for TrackedStep {
    fn key(client: Uuid, id: Uuid) -> Vec<u8> {
        keys::tracked_step(client, id)
    }
}

impl TrackedEntry for TrackedRating {
    fn key(client: Uuid, id: Uuid) -> Vec<u8> {
        keys::tracked_rating(client, id)
    }
}

/// [`TrackedEntry`] for the entries kept under a [`Tracked`] section.
macro_rules! tracked_in_section {
    ($($entry:ident: $section:ident),*) => {$(
        impl TrackedEntry for $entry {
            fn key(client: Uuid, id: Uuid) -> Vec<u8> {
                keys::tracked(client, Tracked::$section, id)
            }
        }
    )*};
}

tracked_in_section!(
    TrackedAssignment: Assignment,
    TrackedResult: Result,
    TrackedScale: Scale,
    TrackedAttainment: Attainment
);
