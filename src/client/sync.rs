//! The reference sync client: the model for mobile apps.
//!
//! It keeps a local replica in two layers: `confirmed`, the records exactly
//! as the server last reported them, and `pending`, the queue of local edits
//! not yet acknowledged. What the app shows ([`SyncClient::records`]) is the
//! confirmed layer with the pending edits laid over it, so an edit the server
//! refuses simply disappears from the view when its mutation is dropped.
//!
//! [`SyncClient::sync`] pushes, then pulls:
//! - Push sends at most one mutation per record per round, marks them sent
//!   (persisted) before the call, and keeps them queued until a response
//!   arrives: after a lost response the same mutation ids are sent again,
//!   and the server answers with the first results.
//! - An edit of a record whose earlier edit may already have been applied
//!   (sent, no response yet) is queued behind it and takes the version that
//!   the earlier edit produced as its base.
//! - APPLIED: the result's record becomes the confirmed copy. CONFLICT: the
//!   server's copy becomes confirmed, the edit is dropped and reported, and
//!   the app decides whether to redo it on the new copy. GONE: the record
//!   is removed locally. REJECTED: the edit is dropped and reported.
//! - Push carries the cursor, which moves only when a pull is applied, so
//!   it dates every edit still pending. On RESYNC_REQUIRED (the server
//!   forgot push results from after it) the client pulls from scratch, then
//!   pushes the pending edits again.
//! - Pull applies pages until `has_more` is false, saving the cursor after
//!   each page; on RESYNC_REQUIRED it drops the confirmed layer and cursor
//!   and pulls from scratch (pending edits stay queued).
//!
//! The state is saved to a file after every step, so a restarted app
//! resumes where it stopped.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use prost::Message;
use tonic::codegen::{Body, Bytes, StdError};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::pb;
use crate::pb::change::Entity;
use crate::pb::mutation::Op;
use crate::pb::sync_service_client::SyncServiceClient;

/// A queued local edit.
#[derive(Clone, PartialEq, Message)]
struct PendingMutation {
    #[prost(message, required, tag = "1")]
    mutation: pb::Mutation,
    /// Sent at least once: the server may have applied it already, so its
    /// content must not change any more.
    #[prost(bool, tag = "2")]
    sent: bool,
    /// Made on top of an earlier pending edit of the same record: its base
    /// version is that edit's result, filled in when it is sent.
    #[prost(bool, tag = "3")]
    chained: bool,
}

/// What is saved between runs.
#[derive(Clone, PartialEq, Message)]
struct LocalState {
    #[prost(string, tag = "1")]
    device_id: String,
    #[prost(string, tag = "2")]
    cursor: String,
    #[prost(message, repeated, tag = "3")]
    confirmed: Vec<pb::Change>,
    #[prost(message, repeated, tag = "4")]
    pending: Vec<PendingMutation>,
}

/// What one [`SyncClient::sync`] did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SyncReport {
    /// Mutations the server applied, with the resulting record.
    pub applied: Vec<(String, pb::Change)>,
    /// Edits dropped because someone changed the record first, with the
    /// server's copy (now confirmed locally).
    pub conflicts: Vec<(String, pb::Change)>,
    /// Edits dropped because the record (or its parent) was deleted.
    pub gone: Vec<String>,
    /// Edits the server refused, with its explanation.
    pub rejected: Vec<(String, String)>,
    /// Edits dropped unsent because an earlier edit of the same record
    /// failed (they were made on a state that never came to be).
    pub superseded: Vec<String>,
    /// Changes received by pulling.
    pub pulled: usize,
    /// Whether the replica had to be rebuilt (RESYNC_REQUIRED).
    pub resynced: bool,
}

/// Errors of the sync client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A call failed; nothing acknowledged was lost, call `sync` again.
    #[error("sync call failed: {0}")]
    Rpc(#[from] Status),
    /// The state file could not be read or written.
    #[error("local state file: {0}")]
    State(#[from] std::io::Error),
    /// The edit is not possible locally.
    #[error("{0}")]
    Edit(&'static str),
}

/// A device's replica of one client's records.
pub struct SyncClient<T> {
    api: SyncServiceClient<T>,
    state: LocalState,
    confirmed: BTreeMap<String, pb::Change>,
    state_file: Option<PathBuf>,
}

/// Mutations per push (the server's limit).
const PUSH_BATCH: usize = 500;

impl<T> SyncClient<T>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<StdError>,
    T::ResponseBody: Body<Data = Bytes> + Send + 'static,
    <T::ResponseBody as Body>::Error: Into<StdError> + Send,
{
    /// A client over an authenticating `transport` (see [`super::authenticated`]).
    /// With a `state_file`, state saved there by an earlier run is loaded,
    /// and every step is saved to it.
    pub fn new(
        transport: T,
        device_id: &str,
        state_file: Option<&Path>,
    ) -> Result<Self, ClientError> {
        let state = match state_file {
            Some(path) if path.exists() => LocalState::decode(std::fs::read(path)?.as_slice())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
            _ => LocalState {
                device_id: device_id.to_owned(),
                ..LocalState::default()
            },
        };
        let confirmed = state
            .confirmed
            .iter()
            .map(|c| (change_id(c).to_owned(), c.clone()))
            .collect();
        Ok(Self {
            api: SyncServiceClient::new(transport),
            state,
            confirmed,
            state_file: state_file.map(Path::to_path_buf),
        })
    }

    /// The records as the app should show them: confirmed copies with
    /// pending edits laid over.
    pub fn records(&self) -> BTreeMap<String, Entity> {
        let mut view: BTreeMap<String, Entity> = self
            .confirmed
            .iter()
            .filter_map(|(id, change)| live(change).map(|e| (id.clone(), e.clone())))
            .collect();
        for pending in &self.state.pending {
            match &pending.mutation.op {
                Some(Op::Delete(target)) => {
                    view.remove(&target.id);
                }
                Some(op) => {
                    if let Some(entity) = op_entity(op) {
                        view.insert(entity_id(&entity).to_owned(), entity);
                    }
                }
                None => {}
            }
        }
        view
    }

    /// The records exactly as the server last confirmed them.
    pub fn confirmed(&self) -> BTreeMap<String, Entity> {
        self.confirmed
            .iter()
            .filter_map(|(id, c)| live(c).map(|e| (id.clone(), e.clone())))
            .collect()
    }

    /// Mutation ids of the edits not yet acknowledged, oldest first.
    pub fn pending(&self) -> Vec<String> {
        self.state
            .pending
            .iter()
            .map(|p| p.mutation.mutation_id.clone())
            .collect()
    }

    /// Creates or changes a record locally (an empty id gets a new UUID)
    /// and queues the edit. Returns the record's id.
    pub fn save(&mut self, mut entity: Entity) -> Result<String, ClientError> {
        if entity_id(&entity).is_empty() {
            set_entity_id(&mut entity, uuid::Uuid::new_v4().to_string());
        }
        let id = entity_id(&entity).to_owned();
        let op = upsert_op(entity).ok_or(ClientError::Edit("tombstones cannot be saved"))?;
        self.queue(id.clone(), op)?;
        Ok(id)
    }

    /// Deletes a record locally and queues the deletion.
    pub fn delete(&mut self, entity_type: pb::EntityType, id: &str) -> Result<(), ClientError> {
        let op = Op::Delete(pb::EntityRef {
            entity_type: entity_type as i32,
            id: id.to_owned(),
        });
        self.queue(id.to_owned(), op)
    }

    fn queue(&mut self, id: String, op: Op) -> Result<(), ClientError> {
        let last = self
            .state
            .pending
            .iter_mut()
            .rev()
            .find(|p| mutation_target(&p.mutation) == Some(id.as_str()));
        match last {
            Some(last) if matches!(last.mutation.op, Some(Op::Delete(_))) => {
                return Err(ClientError::Edit("the record was deleted on this device"));
            }
            // Never sent: nobody has seen it, so it can still change.
            Some(last) if !last.sent => last.mutation.op = Some(op),
            Some(_) => self.state.pending.push(PendingMutation {
                mutation: new_mutation(0, op),
                sent: false,
                chained: true,
            }),
            None => {
                let base = self.confirmed.get(&id).map_or(0, change_version);
                self.state.pending.push(PendingMutation {
                    mutation: new_mutation(base, op),
                    sent: false,
                    chained: false,
                });
            }
        }
        self.save_state()
    }

    /// Pushes every pending edit, then pulls every change since the cursor.
    pub async fn sync(&mut self) -> Result<SyncReport, ClientError> {
        let mut report = SyncReport::default();
        while !self.state.pending.is_empty() {
            match self.push_round(&mut report).await {
                // The server forgot push results from after the cursor (the
                // device was away longer than its sync window): rebuild the
                // replica, then push again on top of it.
                Err(ClientError::Rpc(status)) if needs_resync(&status) && !report.resynced => {
                    report.resynced = true;
                    self.state.cursor.clear();
                    self.pull_all(&mut report).await?;
                }
                other => other?,
            }
        }
        self.pull_all(&mut report).await?;
        Ok(report)
    }

    /// Sends one batch: the first pending edit of each record.
    async fn push_round(&mut self, report: &mut SyncReport) -> Result<(), ClientError> {
        let mut targets = HashSet::new();
        let mut batch = Vec::new();
        for (index, pending) in self.state.pending.iter_mut().enumerate() {
            let target = mutation_target(&pending.mutation)
                .unwrap_or_default()
                .to_owned();
            if batch.len() == PUSH_BATCH || !targets.insert(target.clone()) {
                continue;
            }
            if pending.chained && !pending.sent {
                pending.mutation.base_version =
                    self.confirmed.get(&target).map_or(0, change_version);
            }
            pending.sent = true;
            batch.push((index, pending.mutation.clone()));
        }
        // Saved as sent before sending: from now on the content is frozen.
        self.save_state()?;
        let request = pb::PushRequest {
            cursor: self.state.cursor.clone(),
            device_id: self.state.device_id.clone(),
            mutations: batch.iter().map(|(_, m)| m.clone()).collect(),
            // The default crisis resources; the app shows its own locale's.
            ..pb::PushRequest::default()
        };
        let results = self.api.push(request).await?.into_inner().results;
        let mut done = HashSet::new();
        let mut failed_targets = HashSet::new();
        for ((index, mutation), result) in batch.iter().zip(results) {
            done.insert(*index);
            let target = mutation_target(mutation).unwrap_or_default().to_owned();
            match pb::Outcome::try_from(result.outcome).unwrap_or(pb::Outcome::Unspecified) {
                pb::Outcome::Applied => {
                    if let Some(current) = result.current {
                        report.applied.push((result.mutation_id, current.clone()));
                        self.confirm(Some(current));
                    }
                }
                pb::Outcome::Conflict => {
                    failed_targets.insert(target);
                    if let Some(current) = result.current {
                        report.conflicts.push((result.mutation_id, current.clone()));
                        self.confirm(Some(current));
                    }
                }
                pb::Outcome::Gone => {
                    failed_targets.insert(target.clone());
                    report.gone.push(result.mutation_id);
                    self.confirmed.remove(&target);
                    if let Some(current) = result.current {
                        self.confirm(Some(current));
                    }
                }
                pb::Outcome::Rejected | pb::Outcome::Unspecified => {
                    failed_targets.insert(target);
                    report.rejected.push((result.mutation_id, result.error));
                }
            }
        }
        // Edits queued behind a failed one were made on a state that never
        // came to be: drop them too.
        let mut index = 0;
        self.state.pending.retain(|p| {
            let superseded = !done.contains(&index)
                && p.chained
                && mutation_target(&p.mutation).is_some_and(|t| failed_targets.contains(t));
            if superseded {
                report.superseded.push(p.mutation.mutation_id.clone());
            }
            let keep = !done.contains(&index) && !superseded;
            index += 1;
            keep
        });
        self.save_state()
    }

    async fn pull_all(&mut self, report: &mut SyncReport) -> Result<(), ClientError> {
        loop {
            if self.state.cursor.is_empty() {
                // An initial sync sends every live record but no tombstones:
                // anything confirmed earlier (say, by a push) and not sent
                // again was deleted meanwhile.
                self.confirmed.clear();
            }
            let request = pb::PullRequest {
                client_id: String::new(),
                cursor: self.state.cursor.clone(),
                page_size: 0,
            };
            let page = match self.api.pull(request).await {
                Ok(page) => page.into_inner(),
                Err(status) if needs_resync(&status) && !report.resynced => {
                    report.resynced = true;
                    self.state.cursor.clear();
                    continue;
                }
                Err(status) => return Err(status.into()),
            };
            report.pulled += page.changes.len();
            for change in page.changes {
                self.confirm(Some(change));
            }
            self.state.cursor = page.next_cursor;
            self.save_state()?;
            if !page.has_more {
                return Ok(());
            }
        }
    }

    /// Takes a server copy unless a newer one is already confirmed.
    fn confirm(&mut self, change: Option<pb::Change>) {
        let Some(change) = change else { return };
        let id = change_id(&change).to_owned();
        let newer = self
            .confirmed
            .get(&id)
            .is_none_or(|known| change_version(&change) >= change_version(known));
        if newer {
            self.confirmed.insert(id, change);
        }
    }

    fn save_state(&mut self) -> Result<(), ClientError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        self.state.confirmed = self.confirmed.values().cloned().collect();
        let temp = path.with_extension("tmp");
        {
            let mut file = std::fs::File::create(&temp)?;
            std::io::Write::write_all(&mut file, &self.state.encode_to_vec())?;
            file.sync_all()?;
        }
        std::fs::rename(&temp, path)?;
        Ok(())
    }
}

fn needs_resync(status: &Status) -> bool {
    status.code() == Code::FailedPrecondition
        && status
            .get_details_error_info()
            .is_some_and(|info| info.reason == "RESYNC_REQUIRED")
}

fn new_mutation(base_version: i64, op: Op) -> pb::Mutation {
    pb::Mutation {
        mutation_id: uuid::Uuid::new_v4().to_string(),
        base_version,
        op: Some(op),
    }
}

/// The live record of a change (`None` for a tombstone).
fn live(change: &pb::Change) -> Option<&Entity> {
    change
        .entity
        .as_ref()
        .filter(|e| !matches!(e, Entity::Tombstone(_)))
}

/// Id of the record a change is about.
pub fn change_id(change: &pb::Change) -> &str {
    change.entity.as_ref().map_or("", entity_id)
}

/// Per kind: the id and version of a record, and the op that pushes it.
macro_rules! client_kinds {
    ($($kind:ident($module:ident) = $byte:literal, $noun:literal, push [$($op:ident)?];)*) => {
        /// Version of a change.
        pub fn change_version(change: &pb::Change) -> i64 {
            match &change.entity {
                $(Some(Entity::$kind(r)) => r.version,)*
                Some(Entity::Tombstone(r)) => r.version,
                None => 0,
            }
        }

        /// Id of a record.
        pub fn entity_id(entity: &Entity) -> &str {
            match entity {
                $(Entity::$kind(r) => &r.id,)*
                Entity::Tombstone(r) => &r.id,
            }
        }

        fn set_entity_id(entity: &mut Entity, id: String) {
            match entity {
                $(Entity::$kind(r) => r.id = id,)*
                Entity::Tombstone(r) => r.id = id,
            }
        }

        /// The op that pushes a record; `None` for a kind no device writes.
        fn upsert_op(entity: Entity) -> Option<Op> {
            match entity {
                $($(Entity::$kind(r) => Some(Op::$op(r)),)?)*
                _ => None,
            }
        }

        /// The record an op pushes; `None` for a delete.
        fn op_entity(op: &Op) -> Option<Entity> {
            match op {
                $($(Op::$op(r) => Some(Entity::$kind(r.clone())),)?)*
                Op::Delete(_) => None,
            }
        }

        /// Id of the record a mutation is about.
        fn mutation_target(mutation: &pb::Mutation) -> Option<&str> {
            Some(match mutation.op.as_ref()? {
                $($(Op::$op(r) => &r.id,)?)*
                Op::Delete(r) => &r.id,
            })
        }
    };
}

record_kinds!(client_kinds);
