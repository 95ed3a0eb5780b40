//! The commit pipeline: every write of the store goes through one writer
//! thread.
//!
//! The writer takes every write waiting (up to [`MAX_GROUP`]), runs them one
//! after another, each in a transaction over those before it (a write that
//! fails is dropped alone and answered with its error), and hands the
//! group to the engine as one batch, which the engine makes durable before
//! it becomes visible (sled: see `super::wal`). Then it answers the
//! group's callers. So what any reader sees is already durable, and one
//! `fdatasync` serves a whole group.
//!
//! Within a process no transaction ever retries, however hot a key: writes
//! never run concurrently. An engine that other processes write too
//! (PostgreSQL, [`super::postgres`]) runs the group in one transaction of
//! its own and runs it again after a conflict with them
//! ([`Engine::run_group`]). Reads do not go through the pipeline at all.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use uuid::Uuid;

use super::kv::engine::Engine;
use super::kv::seal::MasterKey;
use super::tx::{Layer, Tx};
use crate::domain::Clock;
use crate::error::{Error, Result};

/// Most writes in one group: bounds how long the first of them waits.
pub(super) const MAX_GROUP: usize = 512;

/// Work that runs alone, between two groups, with the engine to itself.
pub(super) type Exclusive = Box<dyn FnOnce(&dyn Engine) + Send>;

/// Work for the writer thread.
pub(super) enum Command {
    /// A write and where to answer.
    Write(Box<dyn Queued>),
    /// Runs alone, between two groups, with the engine to itself (a
    /// consistent snapshot).
    Exclusive(Exclusive),
}

/// A write waiting for the writer, and its caller's answer. Each write
/// keeps its own type: the writer only runs it and tells it how its group
/// ended.
pub(super) trait Queued: Send {
    /// The acting account.
    fn actor(&self) -> Uuid;
    /// Runs the write in `tx` and keeps its value for the answer (a run
    /// again after a conflict replaces it); whether it succeeded.
    fn run(&mut self, tx: &mut Tx<'_>) -> bool;
    /// Answers the caller: the value kept, once its group is durable, or
    /// `failure` when the group could not be stored.
    fn answer(self: Box<Self>, failure: Option<Error>);
}

/// A write of type `T`.
struct Write<T, W> {
    actor: Uuid,
    write: W,
    value: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, W> Queued for Write<T, W>
where
    T: Send,
    W: Fn(&mut Tx<'_>) -> Result<T> + Send,
{
    fn actor(&self) -> Uuid {
        self.actor
    }

    fn run(&mut self, tx: &mut Tx<'_>) -> bool {
        let value = (self.write)(tx);
        let ok = value.is_ok();
        self.value = Some(value);
        ok
    }

    fn answer(self: Box<Self>, failure: Option<Error>) {
        let answer = match (failure, self.value) {
            (Some(failure), _) => Err(failure),
            (None, Some(value)) => value,
            (None, None) => Err(Error::internal("a write was answered before it ran")),
        };
        // A caller that went away (a cancelled call) needs no answer.
        let _ = self.reply.send(answer);
    }
}

/// Clients whose sequence advanced in a group, with their new heads; the
/// store tells their watchers.
pub(super) type Touched = Vec<(Uuid, i64)>;

/// The running pipeline.
pub(super) struct Pipeline {
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Pipeline {
    /// Starts the writer thread over `engine`; `notify` is called with the
    /// clients whose sequence advanced, after each group is applied; `head`
    /// reads a client's sequence after a group, for a client whose sequence
    /// the group's batch does not hold; clients' text is sealed with keys
    /// wrapped by `master`.
    pub(super) fn start(
        engine: Arc<dyn Engine>,
        (clock, master, alert_outbox): (Arc<dyn Clock>, Arc<MasterKey>, bool),
        notify: impl Fn(Touched) + Send + 'static,
        head: impl Fn(&dyn Engine, Uuid) -> Result<i64> + Send + 'static,
    ) -> Result<Self> {
        let (commands, incoming) = mpsc::channel::<Command>();
        let writer = std::thread::Builder::new()
            .name("stepwise-writer".into())
            .spawn(move || {
                let settings = (&*clock, &*master, alert_outbox);
                write_groups(&*engine, settings, &incoming, &notify, &head);
            })?;
        Ok(Self {
            commands: Mutex::new(Some(commands)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Queues a command for the writer.
    pub(super) fn send(&self, command: Command) -> Result<()> {
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

    /// Runs `write` for `actor` and returns its value, durable.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        actor: Uuid,
        write: impl Fn(&mut Tx<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Write(Box::new(Write {
            actor,
            write,
            value: None,
            reply,
        })))?;
        answer
            .await
            .map_err(|_| Error::internal("the writer has stopped"))?
    }

    /// Stops taking writes, lets the writer finish what was queued, and
    /// waits for it.
    pub(super) fn stop(&self) {
        if let Ok(mut commands) = self.commands.lock() {
            commands.take();
        }
        let writer = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The writer thread's loop.
fn write_groups(
    engine: &dyn Engine,
    (clock, master, alert_outbox): (&dyn Clock, &MasterKey, bool),
    incoming: &mpsc::Receiver<Command>,
    notify: &dyn Fn(Touched),
    head: &dyn Fn(&dyn Engine, Uuid) -> Result<i64>,
) {
    let mut waiting: Option<Command> = None;
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
        let mut writes: Vec<Box<dyn Queued>> = writes
            .into_iter()
            .filter_map(|command| match command {
                Command::Write(write) => Some(write),
                Command::Exclusive(_) => None,
            })
            .collect();
        // The touched clients' heads as the group's batch leaves them
        // (`None`: the batch does not hold the client's sequence).
        let mut written: Vec<(Uuid, Option<i64>)> = Vec::new();
        // When the last run of the group was decided, if it wrote anything.
        let mut decided = None;
        // Run again from the start if the engine retries the group.
        let applied = engine.run_group(&mut |reader| {
            let mut touched = BTreeSet::new();
            let mut layer = Layer::default();
            for write in &mut writes {
                let mut tx = Tx::new(
                    reader,
                    &mut layer,
                    &mut touched,
                    (write.actor(), clock.now_micros()),
                    (master, alert_outbox),
                );
                let ok = write.run(&mut tx);
                tx.finish(ok);
            }
            // The group is decided; nothing of it is durable or visible yet.
            fail::fail_point!("store::committed");
            decided = if layer.is_empty() {
                None
            } else {
                fail::fail_point!("store::flush");
                Some(std::time::Instant::now())
            };
            written = touched
                .iter()
                .map(|&client| (client, layer.head(client)))
                .collect();
            Ok(layer.into_batch())
        });
        if let Err(error) = applied {
            tracing::error!(%error, "storing a group of writes failed");
            for write in writes {
                write.answer(Some(group_failed(&error)));
            }
            continue;
        }
        if let Some(decided) = decided {
            crate::metrics::commits::record(writes.len(), decided.elapsed());
        }
        // Read back only the heads the batch does not hold: no read per
        // touched client per group (a round trip on a remote engine).
        let heads: Touched = written
            .into_iter()
            .filter_map(|(client, seq)| {
                let seq = seq.or_else(|| head(engine, client).ok())?;
                Some((client, seq))
            })
            .collect();
        if !heads.is_empty() {
            notify(heads);
        }
        for write in writes {
            write.answer(None);
        }
    }
}

/// What each writer of a group that could not be stored is told: that the
/// store is unavailable, as such; anything else as an internal error (its
/// cause is logged once, by the writer).
fn group_failed(error: &Error) -> Error {
    match error {
        Error::StoreUnavailable(why) => Error::StoreUnavailable(why),
        _ => Error::internal("the write could not be stored"),
    }
}
