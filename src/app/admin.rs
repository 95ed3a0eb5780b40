//! Administration: online backups and the administrators' audit trail.

use super::App;
use super::Principal;
use crate::data_dir::ScratchFile;
use crate::domain::{AdminAction, AdminEvent};
use crate::error::{Error, Result};
use crate::store::Page;

impl App {
    /// Takes a consistent snapshot of the store and returns it as a file
    /// open for reading. The file lives in the data dir's scratch dir and
    /// its name is removed before it is returned (and on any failure), so
    /// nothing is left on disk once the caller drops it, however the call
    /// ends. The backup is recorded in the administrators' audit trail,
    /// durably, before the file is returned, so no byte leaves unrecorded.
    /// Administrators only.
    pub async fn snapshot(&self, principal: &Principal) -> Result<std::fs::File> {
        principal.require_admin()?;
        let id = uuid::Uuid::now_v7().to_string();
        let scratch = ScratchFile::new(&self.scratch_dir, &format!("stepwise-backup-{id}.tmp"));
        let store = self.store.clone();
        // Even if the caller goes away meanwhile, the blocking task runs to
        // its end, and dropping its result closes and removes the file.
        let (file, snapshot) = tokio::task::spawn_blocking(move || {
            let snapshot = store.snapshot_to(scratch.path())?;
            Ok::<_, Error>((scratch.open_unlinked()?, snapshot))
        })
        .await
        .map_err(Error::internal)??;
        let event = AdminEvent {
            actor_id: principal.account_id.clone(),
            action: AdminAction::BackupCreated as i32,
            target_id: id.clone(),
            size_bytes: i64::try_from(snapshot.size_bytes).unwrap_or(i64::MAX),
            sha256: snapshot.sha256.to_vec(),
            time_us: self.now_micros(),
        };
        self.store.append_admin_event(&event).await?;
        tracing::info!(
            backup_id = %id,
            entries = snapshot.entries,
            size_bytes = snapshot.size_bytes,
            by = %principal.account_id,
            "backup snapshot taken"
        );
        Ok(file)
    }

    /// What administrators did, oldest first. Administrators only.
    pub fn list_admin_events(
        &self,
        principal: &Principal,
        page: (usize, &str),
    ) -> Result<Page<AdminEvent>> {
        principal.require_admin()?;
        self.store.list_admin_events(page)
    }
}
