//! Retention: a pass removes what is older than its window (see
//! [`crate::domain::retention`]), in batches of [`PURGE_BATCH`] entries, each
//! its own write: other writes queue between them, never behind a whole
//! pass. The server runs a pass soon after it starts and every
//! [`PASS_INTERVAL`] after that; tests run one on
//! demand ([`Retention::run_pass`]) after moving the injected clock.

use std::time::Duration;

use tokio::sync::watch;

use uuid::Uuid;

use super::App;
use crate::domain::{Expiring, PurgeReport};
use crate::error::{Error, Result};

/// How often the server runs a retention pass.
pub const PASS_INTERVAL: Duration = Duration::from_secs(3600);

/// How long after the start the first pass runs: soon, so that a server
/// restarted more often than every [`PASS_INTERVAL`] still purges, but not
/// during start-up.
pub const FIRST_PASS_DELAY: Duration = Duration::from_secs(300);

/// Entries a retention write examines at most.
const PURGE_BATCH: usize = 512;

/// Runs retention passes on demand, besides the server's periodic ones.
#[derive(Clone)]
pub struct Retention {
    app: App,
}

impl Retention {
    /// Runs one pass now, as of the clock's current time.
    pub async fn run_pass(&self) -> Result<PurgeReport> {
        self.app.purge_expired().await
    }

    /// The number of periodic passes completed so far.
    pub fn passes(&self) -> watch::Receiver<u64> {
        self.app.retention_passes.subscribe()
    }
}

impl App {
    /// A handle that runs retention passes on demand.
    pub fn retention(&self) -> Retention {
        Retention { app: self.clone() }
    }

    /// Runs a retention pass [`FIRST_PASS_DELAY`] after the start and every
    /// [`PASS_INTERVAL`] after that until shutdown, tracked like the
    /// streams, so shutdown waits for a batch in flight.
    pub fn spawn_retention(&self) {
        let app = self.clone();
        let mut shutdown = self.shutdown.subscribe();
        self.tasks.spawn(async move {
            let mut wait = FIRST_PASS_DELAY;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = shutdown.wait_for(|stopping| *stopping) => return,
                }
                wait = PASS_INTERVAL;
                match app.purge_expired().await {
                    Ok(_) => app.retention_passes.send_modify(|done| *done += 1),
                    Err(Error::ShuttingDown) => {}
                    Err(error) => tracing::error!(%error, "retention pass failed"),
                }
            }
        });
    }

    /// One retention pass: every kind of [`Expiring`] entry older than its
    /// window, as of now, is removed, a batch per write.
    async fn purge_expired(&self) -> Result<PurgeReport> {
        let now = self.now_micros();
        let mut report = PurgeReport::default();
        for what in Expiring::ALL {
            let before = self.retention_policy.cutoff(what, now);
            let mut removed = 0;
            let mut resume: Option<Vec<u8>> = None;
            loop {
                if *self.shutdown.borrow() {
                    return Err(Error::ShuttingDown);
                }
                let from = resume.take();
                let batch = self
                    .store
                    .write(Uuid::nil(), move |tx| {
                        tx.purge(what, before, PURGE_BATCH, from.as_deref())
                    })
                    .await?;
                removed += batch.removed;
                match batch.resume {
                    Some(next) => resume = Some(next),
                    None => break,
                }
            }
            if removed > 0 {
                tracing::info!(kind = what.name(), removed, "retention removed old entries");
            }
            report.removed.push((what, removed));
        }
        Ok(report)
    }
}
