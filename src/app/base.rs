//! [`App`], the handle every use case is a method of: the store, the clock
//! and the state the use cases share (streams, watches, guards), and the
//! checks and helpers they all lean on (who may do what to a client's data,
//! versions, reading whole lists). The use cases stand on it, in modules
//! of their own beside it.

use std::sync::Arc;

use tokio::sync::watch;
use uuid::Uuid;

use super::hashing::PasswordHashing;
use super::invite_guard::InviteGuard;
use super::principal::{Action, Principal};
use super::records;
use super::sign_in_guard::SignInGuard;
use super::streams::StreamQuota;
use super::token_uses::TokenUses;
use crate::domain::crisis::CrisisDirectory;
use crate::domain::{
    Authors, CareLink, Clock, Entity, IntoEntity, Kind, KindVisitor, RetentionPolicy,
};
use crate::error::{Error, Result};
use crate::store::{Page, Store};

/// The use cases, over one store.
#[derive(Clone)]
pub struct App {
    pub(super) store: Arc<Store>,
    /// Becomes true when the server begins to shut down; ends subscriptions.
    pub(super) shutdown: Arc<watch::Sender<bool>>,
    /// Counts wrong invite codes per source address.
    pub(super) code_guard: Arc<InviteGuard>,
    /// How long invites work, in microseconds.
    pub(super) invite_ttl_us: i64,
    /// Links made and revoked, for therapists' watches.
    pub(super) link_events: Arc<tokio::sync::broadcast::Sender<LinkChange>>,
    /// The wall clock.
    pub(super) clock: Arc<dyn Clock>,
    /// Live streams open per account.
    pub(super) streams: Arc<StreamQuota>,
    /// The tasks of live streams and of retention.
    pub(super) tasks: tokio_util::task::TaskTracker,
    /// How long what expires is kept.
    pub(super) retention_policy: RetentionPolicy,
    /// Counts the periodic retention passes completed.
    pub(super) retention_passes: Arc<watch::Sender<u64>>,
    /// Tokens whose use is being recorded.
    pub(super) token_uses: Arc<TokenUses>,
    /// Counts changes to tokens, accounts and links that may end streams.
    pub(super) access: Arc<watch::Sender<u64>>,
    /// Where to get help in a crisis.
    pub(super) crisis: Arc<CrisisDirectory>,
    /// Hashes and checks passwords on a bounded pool.
    pub(super) hashing: Arc<PasswordHashing>,
    /// Counts failed sign-ins.
    pub(super) sign_in_guard: Arc<SignInGuard>,
    /// How long an access token works, in microseconds.
    pub(super) access_token_ttl_us: i64,
    /// How long a replaced refresh token still gets its successor, in
    /// microseconds.
    pub(super) refresh_grace_us: i64,
}

/// How long a device session's tokens work.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// How long an access token works.
    pub access_token_ttl: std::time::Duration,
    /// How long after its replacement a refresh token still gets the same
    /// successor.
    pub refresh_grace: std::time::Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: std::time::Duration::from_secs(15 * 60),
            refresh_grace: std::time::Duration::from_secs(10 * 60),
        }
    }
}

fn micros(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

impl App {
    /// Use cases over `store`; invites work for `invite_ttl`; `clock`
    /// tells the time.
    pub fn new(store: Arc<Store>, invite_ttl: std::time::Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            shutdown: Arc::new(watch::channel(false).0),
            code_guard: Arc::default(),
            invite_ttl_us: i64::try_from(invite_ttl.as_micros()).unwrap_or(i64::MAX),
            link_events: Arc::new(tokio::sync::broadcast::channel(256).0),
            clock,
            streams: Arc::new(StreamQuota::new(crate::limits::MAX_STREAMS_PER_ACCOUNT)),
            tasks: tokio_util::task::TaskTracker::new(),
            retention_policy: RetentionPolicy::default(),
            retention_passes: Arc::new(watch::channel(0).0),
            token_uses: Arc::default(),
            access: store.access_changes(),
            crisis: Arc::new(CrisisDirectory::built_in()),
            hashing: Arc::default(),
            sign_in_guard: Arc::default(),
            access_token_ttl_us: micros(SessionSettings::default().access_token_ttl),
            refresh_grace_us: micros(SessionSettings::default().refresh_grace),
            store,
        }
    }

    /// The same use cases, answering with the crisis resources of
    /// `directory` (default: [`CrisisDirectory::built_in`]).
    pub fn with_crisis_resources(self, directory: CrisisDirectory) -> Self {
        Self {
            crisis: Arc::new(directory),
            ..self
        }
    }

    /// The same use cases, with device sessions' tokens working as
    /// `settings` say (default: [`SessionSettings::default`]).
    pub fn with_sessions(self, settings: SessionSettings) -> Self {
        Self {
            access_token_ttl_us: micros(settings.access_token_ttl),
            refresh_grace_us: micros(settings.refresh_grace),
            ..self
        }
    }

    /// The same use cases, keeping what expires as `retention` says
    /// (default: [`RetentionPolicy::default`]).
    pub fn with_retention(self, retention_policy: RetentionPolicy) -> Self {
        Self {
            retention_policy,
            ..self
        }
    }

    /// The current time, microseconds since the Unix epoch.
    pub fn now_micros(&self) -> i64 {
        self.clock.now_micros()
    }

    /// Ends every subscription (with UNAVAILABLE), so a graceful shutdown
    /// is not held up by streams that never finish on their own.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Waits until every stream's task has ended (after
    /// [`App::begin_shutdown`]), so nothing holds the store any more.
    pub async fn streams_ended(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Live streams (Subscribe, WatchClients) open now.
    pub fn open_streams(&self) -> usize {
        self.streams.total()
    }

    /// The store, for the server's lifecycle.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Whether the caller may do `action` on the data of `client_id`: the
    /// client itself, or a therapist the client is actively linked to
    /// (checked on every call, so a revoked link takes effect at once).
    /// A therapist's access is noted for the audit trail. A caller who may
    /// not is told the record does not exist, so ids reveal nothing.
    pub(super) async fn may(
        &self,
        principal: &Principal,
        action: Action,
        client_id: Uuid,
    ) -> Result<bool> {
        if principal.permit(action).is_err() {
            return Ok(false);
        }
        let may = self.may_still_read(principal, client_id).await?;
        if may && !principal.is_client(client_id) {
            principal.note_access(client_id)?;
        }
        Ok(may)
    }

    /// `NOT_FOUND` ("client") unless the caller may do `action` on the data
    /// of `client_id`.
    pub(super) async fn require(
        &self,
        principal: &Principal,
        action: Action,
        client_id: Uuid,
    ) -> Result<()> {
        principal.permit(action)?;
        if self.may(principal, action, client_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("client"))
        }
    }

    /// A live record the caller may do `action` on (and see: a comment
    /// on a private note is its author's only); `NOT_FOUND` otherwise.
    pub(super) async fn visible(
        &self,
        principal: &Principal,
        action: Action,
        id: Uuid,
        kind: Kind,
    ) -> Result<Entity> {
        principal.permit(action)?;
        let entity = self
            .store
            .live(id, kind)
            .await?
            .filter(|entity| entity.visible_to(principal.account_id))
            .ok_or(Error::NotFound(kind.noun()))?;
        if self.may(principal, action, entity.meta().client_id).await? {
            Ok(entity)
        } else {
            Err(Error::NotFound(kind.noun()))
        }
    }

    /// A client's time zone.
    pub(super) async fn time_zone(&self, client_id: Uuid) -> Result<chrono_tz::Tz> {
        Ok(self
            .store
            .account(client_id)
            .await?
            .ok_or(Error::NotFound("client"))?
            .time_zone)
    }

    /// The client's local day today, in their time zone.
    pub(super) async fn client_today(&self, client_id: Uuid) -> Result<chrono::NaiveDate> {
        let zone = self.time_zone(client_id).await?;
        Ok(crate::domain::local_day(self.now_micros(), zone))
    }

    /// `day`, or else the client's local day today.
    pub(super) async fn day_or_today(
        &self,
        client_id: Uuid,
        day: Option<chrono::NaiveDate>,
    ) -> Result<chrono::NaiveDate> {
        match day {
            Some(day) => Ok(day),
            None => self.client_today(client_id).await,
        }
    }

    /// A live record the caller may do `action` on, for a reference from a
    /// new record; `INVALID_ARGUMENT` on `field` otherwise.
    pub(super) async fn referenced(
        &self,
        principal: &Principal,
        action: Action,
        id: Uuid,
        kind: Kind,
        field: &'static str,
    ) -> Result<Entity> {
        match self.visible(principal, action, id, kind).await {
            Err(Error::NotFound(noun)) => {
                Err(Error::invalid(field, format!("no {noun} with this id")))
            }
            other => other,
        }
    }

    /// Deletes a live record (and what hangs under it) if `expected_version`
    /// is 0 or current.
    pub async fn delete(
        &self,
        principal: &Principal,
        kind: Kind,
        id: Uuid,
        expected_version: i64,
    ) -> Result<()> {
        self.visible(principal, Action::Own, id, kind).await?;
        self.store
            .write(principal.account_id, move |tx| {
                let entity = records::live(tx, id, kind)?;
                check_version(&entity, expected_version)?;
                records::delete(tx, &entity).map(drop)
            })
            .await
    }

    /// Runs `work` on tokio's blocking pool: use cases that compute over
    /// many records (progress, dashboards) take CPU time, and on an async
    /// worker they would hold up every other call, health checks included.
    pub(super) async fn off_the_workers<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(Error::internal)?
    }
}

/// A link made or revoked, as watches learn of it.
#[derive(Debug, Clone)]
pub(super) struct LinkChange {
    /// The link as it is now.
    pub(super) link: CareLink,
    /// For a new link, the client's sequence number just before it was
    /// made: a watch delivers the client's changes after it.
    pub(super) client_head: i64,
}

/// Page size for reading whole lists inside use cases.
pub(super) const BATCH: usize = 1000;

/// Every item of a paged list.
pub(super) async fn all<T, F>(mut page: impl FnMut(String) -> F) -> Result<Vec<T>>
where
    F: std::future::Future<Output = Result<Page<T>>>,
{
    let (mut items, mut token) = (Vec::new(), String::new());
    loop {
        let next = page(token).await?;
        items.extend(next.items);
        if next.next_page_token.is_empty() {
            return Ok(items);
        }
        token = next.next_page_token;
    }
}

/// The action a caller needs to create or change a record of `kind`
/// (deleting is always [`Action::Own`]), as its kind's authors say.
pub(super) fn action_for(kind: Kind) -> Action {
    struct ActionFor;
    impl KindVisitor for ActionFor {
        type Output = Action;
        fn visit<R: IntoEntity>(self) -> Action {
            match R::AUTHORS {
                Authors::CarePlan => Action::Plan,
                Authors::Client => Action::Own,
                Authors::CareTeam => Action::Feedback,
            }
        }
    }
    kind.visit(ActionFor)
}

/// `ABORTED` when the caller's version is set and not the current one.
pub(super) fn check_version(entity: &Entity, expected: i64) -> Result<()> {
    let current = entity.meta().version;
    if expected != 0 && expected != current {
        return Err(Error::VersionMismatch {
            what: entity.kind().noun(),
            expected,
            current,
        });
    }
    Ok(())
}
