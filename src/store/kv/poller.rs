//! Polling by sequence: how a store learns what other servers on the same
//! database wrote.
//!
//! The pipeline tells watchers only of this process's own groups. When
//! other processes write to the engine too ([`Engine::poll_interval`]), a
//! thread reads, every interval and in one round trip, the sequence numbers
//! of the clients someone here watches, and the store's access mark (a
//! random value every write that changes a token, an account or a care
//! link replaces; see `keys::access_mark`). A sequence that advanced wakes
//! its watchers (Subscribe, WatchClients), exactly as a local commit does;
//! a changed mark makes every stream check again that its caller may go on.
//!
//! Why polling and not PostgreSQL's LISTEN/NOTIFY: CockroachDB has no
//! LISTEN/NOTIFY, and a poll by key is plain SQL every compatible database
//! serves. Its cost: one indexed read of (watched clients + 1) keys per
//! interval per server, whether anything changed or not, and up to one
//! interval of delay for changes made through another server.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::codec::decode_seq;
use super::engine::Engine;
use super::keys;
use super::watchers::{Watchers, notify};
use crate::error::Result;

/// The running poller; dropping it stops the thread.
pub(super) struct Poller {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    /// Starts polling `engine` every `every` for the watchers and the
    /// access counter.
    pub(super) fn start<E: Engine>(
        engine: Arc<E>,
        (watchers, access): (Watchers, Arc<watch::Sender<u64>>),
        every: Duration,
    ) -> Result<Self> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("stepwise-poller".into())
            .spawn(move || {
                let mut mark = None;
                // Ends when the store drops `stop`.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if let Err(error) = poll(&*engine, &watchers, &access, &mut mark) {
                        tracing::warn!(%error, "cannot read what other servers wrote");
                    }
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One poll: wakes the watchers of clients whose sequence advanced, and
/// the streams if the access mark changed since `mark`.
fn poll<E: Engine>(
    engine: &E,
    watchers: &Watchers,
    access: &watch::Sender<u64>,
    mark: &mut Option<Vec<u8>>,
) -> Result<()> {
    let clients: Vec<Uuid> = match watchers.lock() {
        Ok(watchers) => watchers.keys().copied().collect(),
        Err(_) => return Ok(()),
    };
    let mut wanted = clients
        .iter()
        .map(|c| keys::sequence(*c))
        .chain([keys::access_mark()]);
    let mut values = Vec::with_capacity(clients.len() + 1);
    engine.get_each(&mut wanted, &mut |value| {
        values.push(value);
        Ok(true)
    })?;
    let now = values
        .pop()
        .flatten()
        .map(|v| v.as_ref().to_vec())
        .unwrap_or_default();
    if mark.as_ref().is_some_and(|before| *before != now) {
        access.send_modify(|generation| *generation += 1);
    }
    *mark = Some(now);
    let heads: Vec<(Uuid, i64)> = clients
        .into_iter()
        .zip(values)
        .filter_map(|(client, head)| Some((client, decode_seq(head?.as_ref()).ok()?)))
        .collect();
    notify(watchers, heads);
    Ok(())
}
