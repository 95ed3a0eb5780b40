//! The commit pipeline: every write of the store goes through one writer
//! thread, and one flusher thread makes the writes durable in groups.
//!
//! The writer takes every write waiting (up to [`MAX_GROUP`]), runs them one
//! after another, each in a transaction over those before it (a write that
//! fails is dropped alone and answered with its error), and applies the
//! group to the engine in one atomic batch. It numbers the group *before*
//! the batch becomes visible, so a reader that saw a write and then asks for
//! durability waits for that group's flush. The flusher flushes and
//! `fdatasync`s once for every group applied since its last flush; a write's
//! caller is answered once the flush covering its group is done.
//!
//! No transaction ever retries, however hot a key: writes never run
//! concurrently. Reads do not go through the pipeline at all.

use std::any::Any;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use super::engine::Engine;
use super::seal::MasterKey;
use super::tx::{KvTx, Layer};
use crate::domain::Clock;
use crate::error::{Error, Result};
use crate::store::Write;

/// Most writes in one group: bounds how long the first of them waits.
pub(super) const MAX_GROUP: usize = 512;

type Erased = Box<dyn Any + Send>;

/// Work for the writer thread.
pub(super) enum Command<E> {
    /// A write and where to answer: its value and the number of its group.
    Write {
        /// The acting account.
        actor: Uuid,
        /// The write.
        write: Box<Write<Erased>>,
        /// Its answer.
        reply: oneshot::Sender<(Result<Erased>, u64)>,
    },
    /// Runs alone, between two groups, with the engine to itself (a
    /// consistent snapshot).
    Exclusive(Box<dyn FnOnce(&E) + Send>),
}

/// How far the pipeline got: groups applied (visible) and durable.
pub(super) struct Progress {
    applied: AtomicU64,
    durable: watch::Sender<Durable>,
}

/// The last durable group, or why flushing failed.
#[derive(Debug, Clone)]
enum Durable {
    Upto(u64),
    Failed(String),
}

impl Progress {
    /// Returns once group `group` is durable.
    pub(super) async fn durable(&self, group: u64) -> Result<()> {
        let mut receiver = self.durable.subscribe();
        let outcome = receiver
            .wait_for(|d| {
                matches!(d, Durable::Failed(_)) || matches!(d, Durable::Upto(g) if *g >= group)
            })
            .await
            .map_err(|_| Error::internal("the flusher has stopped"))?
            .clone();
        match outcome {
            Durable::Upto(_) => Ok(()),
            Durable::Failed(error) => Err(Error::internal(format!("flushing failed: {error}"))),
        }
    }

    /// Returns once every group applied before the call is durable.
    pub(super) async fn all_durable(&self) -> Result<()> {
        let group = self.applied.load(Ordering::SeqCst);
        if matches!(&*self.durable.borrow(), Durable::Upto(g) if *g >= group) {
            return Ok(());
        }
        self.durable(group).await
    }
}

/// Clients whose sequence advanced in a group, with their new heads; the
/// store tells their watchers.
pub(super) type Touched = Vec<(Uuid, i64)>;

/// The running pipeline.
pub(super) struct Pipeline<E: Engine> {
    commands: Mutex<Option<mpsc::Sender<Command<E>>>>,
    progress: Arc<Progress>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl<E: Engine> Pipeline<E> {
    /// Starts the writer and flusher threads over `engine`; `notify` is
    /// called with the clients whose sequence advanced, after each group
    /// is applied; `head` reads a client's sequence after a group; clients'
    /// text is sealed with keys wrapped by `master`.
    pub(super) fn start(
        engine: Arc<E>,
        (clock, master): (Arc<dyn Clock>, Arc<MasterKey>),
        notify: impl Fn(Touched) + Send + 'static,
        head: impl Fn(&E, Uuid) -> Result<i64> + Send + 'static,
    ) -> Result<Self> {
        let progress = Arc::new(Progress {
            applied: AtomicU64::new(0),
            durable: watch::channel(Durable::Upto(0)).0,
        });
        let (commands, incoming) = mpsc::channel::<Command<E>>();
        let (flush_requests, flush_incoming) = mpsc::channel::<u64>();
        let writer = {
            let engine = engine.clone();
            let progress = progress.clone();
            std::thread::Builder::new()
                .name("stepwise-writer".into())
                .spawn(move || {
                    write_groups(
                        &*engine,
                        (&*clock, &master),
                        &progress,
                        &incoming,
                        &flush_requests,
                        &notify,
                        &head,
                    )
                })?
        };
        let flusher = {
            let progress = progress.clone();
            std::thread::Builder::new()
                .name("stepwise-flusher".into())
                .spawn(move || flush_groups(&*engine, &progress, &flush_incoming))?
        };
        Ok(Self {
            commands: Mutex::new(Some(commands)),
            progress,
            threads: Mutex::new(vec![writer, flusher]),
        })
    }

    /// How far the pipeline got.
    pub(super) fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Queues a command for the writer.
    pub(super) fn send(&self, command: Command<E>) -> Result<()> {
        let commands = self
            .commands
            .lock()
            .map_err(|_| Error::internal("pipeline poisoned"))?;
        commands
            .as_ref()
            .ok_or(Error::ShuttingDown)?
            .send(command)
            .map_err(|_| Error::internal("the writer has stopped"))
    }

    /// Runs `write` for `actor` and returns its value once durable.
    pub(super) async fn write(&self, actor: Uuid, write: Box<Write<Erased>>) -> Result<Erased> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Write {
            actor,
            write,
            reply,
        })?;
        let (value, group) = answer
            .await
            .map_err(|_| Error::internal("the writer has stopped"))?;
        // Answered only once durable, a failed write included: its error
        // may describe state (a version) that must not be undone.
        self.progress.durable(group).await?;
        value
    }

    /// Stops taking writes, lets the threads finish what was queued (the
    /// flusher flushes it), and waits for them.
    pub(super) fn stop(&self) {
        if let Ok(mut commands) = self.commands.lock() {
            commands.take();
        }
        let threads = match self.threads.lock() {
            Ok(mut threads) => std::mem::take(&mut *threads),
            Err(_) => return,
        };
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl<E: Engine> Drop for Pipeline<E> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The writer thread's loop.
fn write_groups<E: Engine>(
    engine: &E,
    (clock, master): (&dyn Clock, &MasterKey),
    progress: &Progress,
    incoming: &mpsc::Receiver<Command<E>>,
    flush_requests: &mpsc::Sender<u64>,
    notify: &dyn Fn(Touched),
    head: &dyn Fn(&E, Uuid) -> Result<i64>,
) {
    let mut waiting: Option<Command<E>> = None;
    loop {
        let first = match waiting.take() {
            Some(command) => command,
            None => match incoming.recv() {
                Ok(command) => command,
                Err(_) => return,
            },
        };
        let mut writes = Vec::new();
        match first {
            Command::Exclusive(run) => {
                run(engine);
                continue;
            }
            write => writes.push(write),
        }
        while writes.len() < MAX_GROUP {
            match incoming.try_recv() {
                Ok(Command::Exclusive(run)) => {
                    waiting = Some(Command::Exclusive(run));
                    break;
                }
                Ok(write) => writes.push(write),
                Err(_) => break,
            }
        }
        let group = progress.applied.load(Ordering::SeqCst) + 1;
        let mut layer = Layer::default();
        let mut touched = BTreeSet::new();
        let mut answers = Vec::with_capacity(writes.len());
        for command in writes {
            let Command::Write {
                actor,
                write,
                reply,
            } = command
            else {
                continue;
            };
            let mut tx = KvTx::new(
                engine,
                &mut layer,
                &mut touched,
                (actor, clock.now_micros()),
                master,
            );
            let value = write(&mut tx);
            tx.finish(value.is_ok());
            answers.push((reply, value));
        }
        // Numbered before it becomes visible: see the module doc.
        progress.applied.store(group, Ordering::SeqCst);
        let applied = if layer.is_empty() {
            Ok(())
        } else {
            fail::fail_point!("store::before_apply");
            engine.apply(layer.into_batch())
        };
        if let Err(error) = applied {
            tracing::error!(%error, "applying a group of writes failed");
            for (reply, _) in answers {
                let _ = reply.send((Err(Error::internal("the write could not be stored")), group));
            }
            continue;
        }
        fail::fail_point!("store::committed");
        let heads: Touched = touched
            .into_iter()
            .filter_map(|client| head(engine, client).ok().map(|seq| (client, seq)))
            .collect();
        if !heads.is_empty() {
            notify(heads);
        }
        let _ = flush_requests.send(group);
        for (reply, value) in answers {
            // A caller that went away (a cancelled call) needs no answer.
            let _ = reply.send((value, group));
        }
    }
}

/// The flusher thread's loop: one flush for every group applied since the
/// last one.
fn flush_groups<E: Engine>(engine: &E, progress: &Progress, requests: &mpsc::Receiver<u64>) {
    while let Ok(first) = requests.recv() {
        let group = requests.try_iter().fold(first, u64::max);
        fail::fail_point!("store::flush");
        let started = std::time::Instant::now();
        let outcome = engine.flush();
        crate::metrics::metrics().commit(1, started.elapsed());
        match outcome {
            Ok(()) => progress.durable.send_replace(Durable::Upto(group)),
            Err(error) => {
                tracing::error!(%error, "flushing the store failed");
                progress
                    .durable
                    .send_replace(Durable::Failed(error.to_string()))
            }
        };
    }
}
