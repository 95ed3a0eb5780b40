//! The storage boundary: what the use cases keep, in the store's terms
//! (records, their indexes and sequences, replays, aggregates, accounts,
//! the care team and the audit trails), and nothing of any engine. The use
//! cases ([`crate::app`]) talk only to [`Store`] and [`Tx`].
//!
//! Rules every implementation keeps:
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
//! Implementations: [`kv::KvStore`] over an ordered key-value engine, with
//! [`kv::sled::SledKv`] (the embedded default), [`kv::postgres::PgKv`]
//! (PostgreSQL, for several servers on one database) and
//! [`kv::memory::MemoryKv`] (in memory, for the use-case tests).

pub mod kv;
mod page_token;

pub use page_token::{check_page_token, page_of};

use std::any::Any;
use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use chrono::NaiveDate;
use tokio::sync::watch;
use uuid::Uuid;

use crate::domain::instruments::CustomInstrument;
use crate::domain::{
    AccessEvent, Account, AdminEvent, CareLink, ClientTrack, Entity, Expiring, Invite, Kind, Order,
    Replay, Session, StepTrack, Token, TrackedAssignment, TrackedAttainment, TrackedRating,
    TrackedResult, TrackedScale, TrackedStep,
};
use crate::error::{Error, Result};

/// One page of a list, and the token for the next one (empty at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Opaque token for the next page; empty when there is none.
    pub next_page_token: String,
}

/// A page of a list ends once its items were read from this many bytes
/// of stored values (at least one item, however large): with the text of
/// the longest records, a page of a thousand would not fit in a message
/// (see [`crate::limits::MAX_MESSAGE_BYTES`]), and reading past what can
/// be sent would only cost time and memory.
pub const PAGE_BYTES: usize = 2 * 1024 * 1024;

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// Most items on the page; a list the store reads ends sooner, at
    /// [`PAGE_BYTES`].
    pub size: usize,
    /// `next_page_token` of the previous page; empty for the first.
    pub token: &'a str,
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

/// Which side of a care link an account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client.
    Client,
    /// The therapist.
    Therapist,
}

/// What a consistent copy of the whole store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Entries written.
    pub entries: u64,
    /// Size of the file in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the whole file.
    pub sha256: [u8; 32],
}

/// One batch of a retention pass (see [`Tx::purge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Entries removed.
    pub removed: u64,
    /// Where the next batch of the same pass continues (an opaque
    /// position); `None` when nothing older is left.
    pub resume: Option<Vec<u8>>,
}

/// A record as one reader may see it: changed (private text blanked), or
/// `None` when hidden from that reader entirely.
pub type SeenBy<'a> = &'a (dyn Fn(Entity) -> Option<Entity> + Send + Sync);

/// A write: runs inside one transaction. A backend may run it more than
/// once (retrying after a conflict), so it must have no effect outside
/// `tx`; an error writes nothing.
pub type Write<T> = dyn Fn(&mut dyn Tx) -> Result<T> + Send + Sync;

/// The storage interface the use cases talk to.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The store's epoch: random, made when the store was created (or
    /// restored), so cursors of another copy of the data are recognised.
    fn epoch(&self) -> [u8; 16];

    /// Runs `write` as one atomic transaction on behalf of account `actor`
    /// and returns its value once it is durable. Use [`Store::write`].
    async fn run(
        &self,
        actor: Uuid,
        write: Box<Write<Box<dyn Any + Send>>>,
    ) -> Result<Box<dyn Any + Send>>;

    /// Follows a client's latest sequence number (also as other servers
    /// on the same database advance it).
    fn watch(&self, client: Uuid) -> Result<watch::Receiver<i64>>;

    /// Counts changes to tokens, accounts and links that may end streams:
    /// the use cases count their own; a store that other servers write too
    /// counts theirs as it notices them.
    fn access_changes(&self) -> std::sync::Arc<watch::Sender<u64>>;

    // --- client-owned records ---

    /// The client's latest sequence number (0 before any change).
    async fn head(&self, client: Uuid) -> Result<i64>;

    /// The client's sync floor: the lowest cursor position the store can
    /// still answer exactly (0 until retention removed something of the
    /// client's). Changes and push results up to it may be gone.
    async fn sync_floor(&self, client: Uuid) -> Result<i64>;

    /// The client's records changed in `range` (after sequence `after` up
    /// to `head`), each once at its current version, stopping (`limits`)
    /// after `max_items` or once `max_bytes` of records are collected. Tombstones are left out when
    /// `skip_tombstones` (an initial sync).
    async fn changes(
        &self,
        client: Uuid,
        range: (i64, i64),
        limits: (usize, usize),
        skip_tombstones: bool,
    ) -> Result<ChangePage>;

    /// A record or tombstone by id.
    async fn entity(&self, id: Uuid) -> Result<Option<Entity>>;

    /// A page of the live records of `kind` under `parent` (a client for
    /// top-level records, else a record), in order, within the inclusive
    /// order bounds `within`, each as `seen` turns it. A record `seen`
    /// hides neither counts towards the page nor ends up in its token, so
    /// a reader learns nothing of what it may not see.
    async fn children(
        &self,
        parent: Uuid,
        kind: Kind,
        within: (Option<Order>, Option<Order>),
        page: PageRequest<'_>,
        seen: SeenBy<'_>,
    ) -> Result<Page<Entity>>;

    /// A step's check-ins, as its aggregate keeps them.
    async fn step_track(&self, step: Uuid) -> Result<StepTrack>;

    /// A client's steps and ratings, as their aggregate keeps them.
    async fn client_track(&self, client: Uuid) -> Result<ClientTrack>;

    // --- therapists' custom instruments ---

    /// A custom instrument by id.
    async fn instrument(&self, id: Uuid) -> Result<Option<CustomInstrument>>;

    /// The ids of the custom instruments a therapist wrote, in id order.
    async fn instrument_ids(&self, owner: Uuid) -> Result<Vec<Uuid>>;

    // --- accounts ---

    /// The account with `id`.
    async fn account(&self, id: Uuid) -> Result<Option<Account>>;

    /// The token whose secret hashes to `token_hash`.
    async fn token(&self, token_hash: &[u8; 32]) -> Result<Option<Token>>;

    /// An account's tokens, oldest first.
    async fn tokens(&self, account: Uuid, page: PageRequest<'_>) -> Result<Page<Token>>;

    /// Whether any account exists (a new store has none).
    async fn has_accounts(&self) -> Result<bool>;

    /// Every account (deleted ones as their receipts), oldest first.
    async fn accounts(&self, page: PageRequest<'_>) -> Result<Page<Account>>;

    // --- the care team and the audit trails ---

    /// A care link by id.
    async fn care_link(&self, id: Uuid) -> Result<Option<CareLink>>;

    /// The latest link between a therapist and a client, if any.
    async fn link_between(&self, therapist: Uuid, client: Uuid) -> Result<Option<CareLink>>;

    /// The links of an account on `side`, oldest first.
    async fn links(
        &self,
        account: Uuid,
        side: Side,
        page: PageRequest<'_>,
    ) -> Result<Page<CareLink>>;

    /// A therapist's unused invites (expired ones too), oldest first.
    async fn invites(&self, therapist: Uuid, page: PageRequest<'_>) -> Result<Page<Invite>>;

    /// The access events about a client or by a therapist, oldest first.
    async fn access_events(
        &self,
        account: Uuid,
        side: Side,
        page: PageRequest<'_>,
    ) -> Result<Page<AccessEvent>>;

    /// The administrators' events, oldest first.
    async fn admin_events(&self, page: PageRequest<'_>) -> Result<Page<AdminEvent>>;

    /// A therapist's sessions with a client, newest first.
    async fn sessions(
        &self,
        therapist: Uuid,
        client: Uuid,
        page: PageRequest<'_>,
    ) -> Result<Page<Session>>;

    // --- operations ---

    /// Writes a consistent copy of the whole store to `path`; writers wait
    /// while it is taken. `UNIMPLEMENTED` where the backend's own tools make
    /// backups.
    async fn snapshot(&self, path: &Path) -> Result<SnapshotInfo>;

    /// Bytes the store takes on disk.
    fn size_on_disk(&self) -> u64;

    /// Makes everything durable and stops taking writes; at shutdown.
    async fn close(&self) -> Result<()>;
}

impl dyn Store {
    /// Runs `write` as one atomic transaction on behalf of account `actor`
    /// and returns its value once it is durable.
    pub async fn write<T: Send + 'static>(
        &self,
        actor: Uuid,
        write: impl Fn(&mut dyn Tx) -> Result<T> + Send + Sync + 'static,
    ) -> Result<T> {
        let erased: Box<Write<Box<dyn Any + Send>>> =
            Box::new(move |tx| write(tx).map(|value| Box::new(value) as Box<dyn Any + Send>));
        self.run(actor, erased)
            .await?
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| Error::internal("a write returned a value of another type"))
    }

    /// A live record of `kind`; `None` for a missing, deleted or different
    /// kind of record.
    pub async fn live(&self, id: Uuid, kind: Kind) -> Result<Option<Entity>> {
        Ok(self
            .entity(id)
            .await?
            .filter(|entity| !entity.is_deleted() && entity.kind() == kind))
    }

    /// Whether the therapist and the client are actively linked.
    pub async fn link_active(&self, therapist: Uuid, client: Uuid) -> Result<bool> {
        Ok(self
            .link_between(therapist, client)
            .await?
            .is_some_and(|link| link.is_active()))
    }
}

/// One transaction: what a write may read and change.
///
/// Record writes keep the rules of the module: [`Tx::create`],
/// [`Tx::update`] and [`Tx::tombstone`] stamp the owner's next version, the
/// time and the actor, and keep the change index and the parent index
/// exact (an update that changes a record's order moves its entry). Aggregates ([`StepTrack`], [`ClientTrack`]) are kept by the use
/// cases in the same transaction.
pub trait Tx {
    /// The account on whose behalf the transaction runs.
    fn actor(&self) -> Uuid;
    /// The time of the transaction, microseconds since the Unix epoch.
    fn now_micros(&self) -> i64;

    /// Starts a nested transaction: what is written until
    /// [`Tx::end_nested`] can be undone on its own.
    fn begin_nested(&mut self);
    /// Ends the innermost nested transaction, keeping its writes
    /// (`keep`) or undoing them.
    fn end_nested(&mut self, keep: bool);

    // --- client-owned records ---

    /// A record or tombstone by id, as this transaction sees it.
    fn entity(&mut self, id: Uuid) -> Result<Option<Entity>>;
    /// Stores a new record (`ALREADY_EXISTS` if its id was ever used).
    fn create(&mut self, entity: Entity) -> Result<Entity>;
    /// Replaces a live record with a changed copy.
    fn update(&mut self, entity: Entity) -> Result<Entity>;
    /// Replaces a live record with its tombstone.
    fn tombstone(&mut self, entity: &Entity) -> Result<Entity>;
    /// The ids of the live records directly under `parent`, of any kind.
    fn children(&mut self, parent: Uuid) -> Result<Vec<Uuid>>;
    /// The live record of `kind` under `parent` at `order` (the first if
    /// several share it).
    fn child_at(&mut self, parent: Uuid, kind: Kind, order: Order) -> Result<Option<Uuid>>;

    // --- replays of sync mutations ---

    /// What the acting account's mutation `mutation_id` did.
    fn replay(&mut self, mutation_id: &str) -> Result<Option<Replay>>;
    /// Keeps what the acting account's mutation `mutation_id` did, dated
    /// now for retention.
    fn remember(&mut self, mutation_id: &str, replay: &Replay) -> Result<()>;
    /// [`Store::sync_floor`], as this transaction sees it.
    fn sync_floor(&mut self, client: Uuid) -> Result<i64>;

    // --- retention ---

    /// Removes entries of `what` dated before `before_us`, examining at most
    /// about `limit` entries, from `resume` (`None` at the start of a pass,
    /// else the previous batch's [`Purged::resume`]). Forgetting a replay or
    /// a tombstone raises its client's sync floor to its version in the same
    /// transaction; a tombstone's record entry stays, so its id stays taken.
    fn purge(
        &mut self,
        what: Expiring,
        before_us: i64,
        limit: usize,
        resume: Option<&[u8]>,
    ) -> Result<Purged>;

    // --- aggregates ---

    /// A step's check-ins of calendar year `year`.
    fn step_year(&mut self, step: Uuid, year: i32) -> Result<StepTrack>;
    /// Replaces a step's check-ins of calendar year `year` (an empty track
    /// drops it).
    fn put_step_year(&mut self, step: Uuid, year: i32, track: &StepTrack) -> Result<()>;
    /// Drops every year of a step's check-ins (the step was deleted).
    fn drop_step_track(&mut self, step: Uuid) -> Result<()>;
    /// A step of a client, as its aggregate keeps it.
    fn tracked_step(&mut self, client: Uuid, step: Uuid) -> Result<Option<TrackedStep>>;
    /// Replaces (or with `None`, drops) a step in its client's aggregate.
    fn put_tracked_step(
        &mut self,
        client: Uuid,
        step: Uuid,
        track: Option<&TrackedStep>,
    ) -> Result<()>;
    /// Replaces (or with `None`, drops) a rating in its client's aggregate.
    fn put_tracked_rating(
        &mut self,
        client: Uuid,
        rating: Uuid,
        track: Option<&TrackedRating>,
    ) -> Result<()>;
    /// A client's questionnaire assignments, as the aggregate keeps them.
    fn tracked_assignments(&mut self, client: Uuid) -> Result<BTreeMap<Uuid, TrackedAssignment>>;
    /// Replaces (or with `None`, drops) an assignment in its client's
    /// aggregate.
    fn put_tracked_assignment(
        &mut self,
        client: Uuid,
        assignment: Uuid,
        track: Option<&TrackedAssignment>,
    ) -> Result<()>;
    /// Replaces (or with `None`, drops) an assessment result in its
    /// client's aggregate.
    fn put_tracked_result(
        &mut self,
        client: Uuid,
        result: Uuid,
        track: Option<&TrackedResult>,
    ) -> Result<()>;
    /// Replaces (or with `None`, drops) a goal's attainment scale in its
    /// client's aggregate.
    fn put_tracked_scale(
        &mut self,
        client: Uuid,
        goal: Uuid,
        track: Option<&TrackedScale>,
    ) -> Result<()>;
    /// Replaces (or with `None`, drops) an attainment rating in its
    /// client's aggregate.
    fn put_tracked_attainment(
        &mut self,
        client: Uuid,
        rating: Uuid,
        track: Option<&TrackedAttainment>,
    ) -> Result<()>;

    // --- therapists' custom instruments ---

    /// A custom instrument by id.
    fn instrument(&mut self, id: Uuid) -> Result<Option<CustomInstrument>>;
    /// Stores a new custom instrument under its owner
    /// (`ALREADY_EXISTS` if its id was used).
    fn create_instrument(&mut self, instrument: &CustomInstrument) -> Result<()>;

    // --- accounts ---

    /// The account with `id`.
    fn account(&mut self, id: Uuid) -> Result<Option<Account>>;
    /// Whether the store has any account.
    fn has_accounts(&mut self) -> Result<bool>;
    /// Stores an account.
    fn put_account(&mut self, account: &Account) -> Result<()>;
    /// The token whose secret hashes to `token_hash`.
    fn token(&mut self, token_hash: &[u8; 32]) -> Result<Option<Token>>;
    /// Stores a token (new, or changed).
    fn put_token(&mut self, token: &Token) -> Result<()>;
    /// Every token of an account.
    fn tokens_of(&mut self, account: Uuid) -> Result<Vec<Token>>;
    /// Erases everything a client owns: every record and tombstone, their
    /// indexes and aggregates, the client's sequence and replays, and last
    /// the client's key, without which no copy of their text made later
    /// (a backup) can be read.
    /// Returns how many records and tombstones it erased. (An entry kept
    /// per client that a new feature adds must be erased here too.)
    fn erase_client(&mut self, client: Uuid) -> Result<u64>;

    // --- the care team and the audit trails ---

    /// The invite with `code`.
    fn invite(&mut self, code: &str) -> Result<Option<Invite>>;
    /// Stores an invite (new, or used).
    fn put_invite(&mut self, invite: &Invite) -> Result<()>;
    /// Removes an invite: its code works no more.
    fn remove_invite(&mut self, invite: &Invite) -> Result<()>;
    /// A care link by id.
    fn care_link(&mut self, id: Uuid) -> Result<Option<CareLink>>;
    /// The latest link between a therapist and a client.
    fn link_between(&mut self, therapist: Uuid, client: Uuid) -> Result<Option<CareLink>>;
    /// Stores a link (new, or changed: revoked).
    fn put_link(&mut self, link: &CareLink) -> Result<()>;
    /// Every link of an account on `side`.
    fn links_of(&mut self, account: Uuid, side: Side) -> Result<Vec<CareLink>>;
    /// Appends to the audit trail of therapists' access.
    fn append_access_events(&mut self, events: &[AccessEvent]) -> Result<()>;
    /// Appends to the audit trail of administrators.
    fn append_admin_event(&mut self, event: &AdminEvent) -> Result<()>;

    // --- therapists' sessions ---

    /// A session by id.
    fn session(&mut self, id: Uuid) -> Result<Option<Session>>;
    /// Stores a new session.
    fn put_session(&mut self, session: &Session) -> Result<()>;
}

/// An order bound for a day: lists of check-ins between two dates.
pub fn day_bound(day: Option<NaiveDate>) -> Option<Order> {
    day.map(Order::Day)
}
