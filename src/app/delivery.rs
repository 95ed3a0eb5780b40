//! What a stream (Subscribe, WatchClients) may deliver, and the audit trail
//! of what it delivered.
//!
//! A stream delivers a client's changes page by page. Each page is read
//! first and only then checked against the caller's access (their token
//! and account still work, and they may still read the client's data): a change
//! committed after a revocation can only be read once the revocation is
//! visible too, so the check after the read stops it. A page is sent only
//! once it is durable, so no device ever sees a change that a crash could
//! undo.
//!
//! A therapist's stream records an access event in the client's audit trail
//! before it first delivers the client's data, and again before a delivery
//! an hour or more after the last event it recorded for that client
//! ([`LOOK_INTERVAL_US`]); opening a stream, heartbeats and link events are
//! no look at a client's data.

use std::collections::HashMap;

use tokio::sync::mpsc;

use uuid::Uuid;

use super::{App, Principal};
use crate::domain::{AccessEvent, Entity, Role};
use crate::error::Result;

/// A live stream reads the store this many changes, or encoded bytes, at a
/// time: all that a stream whose reader stalls holds besides its 64-event
/// channel and HTTP/2's send buffer (a pull-sized page would be 2 MiB).
const STREAM_PAGE_SIZE: usize = 64;
/// See [`STREAM_PAGE_SIZE`].
const STREAM_PAGE_BYTES: usize = 256 * 1024;

/// How long one access event covers a stream that keeps delivering.
pub(super) const LOOK_INTERVAL_US: i64 = 3600 * 1_000_000;

/// The looks at clients' data that one stream recorded.
pub(super) struct Looks {
    /// Full gRPC method name of the stream, as the audit trail shows it.
    method: &'static str,
    /// Per client, when the last access event was recorded.
    last: HashMap<Uuid, i64>,
}

impl Looks {
    /// No look recorded yet, for a stream of `method`.
    pub(super) fn new(method: &'static str) -> Self {
        Self {
            method,
            last: HashMap::new(),
        }
    }

    /// Forgets a client whose stream ended (it was unlinked).
    pub(super) fn forget(&mut self, client_id: Uuid) {
        self.last.remove(&client_id);
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    /// Everything up to the head was sent.
    Done,
    /// The stream's receiver went away.
    ReceiverGone,
    /// The caller may no longer read the client's data; nothing more of it
    /// was sent.
    AccessEnded,
}

impl App {
    /// Runs a live stream's loop on a task of its own, counted against the
    /// caller's quota of open streams and tracked, so that shutdown can wait
    /// for it; an error ends the stream as its last event.
    pub(super) fn spawn_stream<E, Run, Loop>(
        &self,
        principal: &Principal,
        run: Run,
    ) -> Result<mpsc::Receiver<Result<E>>>
    where
        E: Send + 'static,
        Run: FnOnce(App, mpsc::Sender<Result<E>>) -> Loop,
        Loop: Future<Output = Result<()>> + Send + 'static,
    {
        let quota = self.streams.open(principal.account_id)?;
        let (events, receiver) = mpsc::channel(64);
        let running = run(self.clone(), events.clone());
        self.tasks.spawn(async move {
            let _open = quota;
            if let Err(error) = running.await {
                let _ = events.send(Err(error)).await;
            }
        });
        Ok(receiver)
    }

    /// Sends the client's changes after `from` up to `head` (read before
    /// this call), each as `principal` may see it and wrapped by `event`,
    /// following the rules of this module.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn deliver<E>(
        &self,
        principal: &Principal,
        looks: &mut Looks,
        client_id: Uuid,
        (from, head): (i64, i64),
        initial: bool,
        events: &mpsc::Sender<Result<E>>,
        event: impl Fn(Entity) -> Result<E>,
    ) -> Result<Delivery> {
        let mut at = from;
        while at < head {
            let page = self
                .store
                .changes(
                    client_id,
                    (at, head),
                    (STREAM_PAGE_SIZE, STREAM_PAGE_BYTES),
                    initial && at == from,
                )
                .await?;
            self.still_authenticated(principal).await?;
            if !self.may_still_read(principal, client_id).await? {
                return Ok(Delivery::AccessEnded);
            }
            // As in a pull: retention may have removed a tombstone of the
            // page meanwhile.
            if !(initial && at == from) {
                self.check_floor(client_id, at).await?;
            }
            if !page.entities.is_empty() {
                self.record_look(principal, looks, client_id).await?;
            }
            for entity in page.entities {
                let Some(seen) = self.as_seen_by(principal, entity) else {
                    continue;
                };
                if events.send(event(seen)).await.is_err() {
                    return Ok(Delivery::ReceiverGone);
                }
            }
            at = page.last_seq;
        }
        Ok(Delivery::Done)
    }

    /// Whether the caller may read the client's data right now: the client
    /// itself, or a therapist with an active link (read without noting an
    /// access: streams record their looks themselves).
    pub(super) async fn may_still_read(
        &self,
        principal: &Principal,
        client_id: Uuid,
    ) -> Result<bool> {
        Ok(principal.is_client(client_id)
            || (principal.role == Role::Therapist
                && self
                    .store
                    .link_active(principal.account_id, client_id)
                    .await?))
    }

    /// Records a therapist's look at a client's data, durably, unless the
    /// stream recorded one less than [`LOOK_INTERVAL_US`] ago.
    async fn record_look(
        &self,
        principal: &Principal,
        looks: &mut Looks,
        client_id: Uuid,
    ) -> Result<()> {
        if principal.role != Role::Therapist {
            return Ok(());
        }
        let now = self.now_micros();
        if looks
            .last
            .get(&client_id)
            .is_some_and(|last| now - last < LOOK_INTERVAL_US)
        {
            return Ok(());
        }
        let event = AccessEvent {
            therapist_id: principal.account_id,
            client_id,
            method: looks.method.to_owned(),
            time_us: now,
        };
        self.append_access_events(principal, vec![event]).await?;
        looks.last.insert(client_id, now);
        Ok(())
    }
}
