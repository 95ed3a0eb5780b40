//! Administration: online backups and the administrators' audit trail.

use std::path::PathBuf;

use super::App;
use crate::auth::Principal;
use crate::domain::{AdminAction, AdminEvent, now_micros};
use crate::error::{Error, Result};
use crate::store::Page;

impl App {
    /// Takes a consistent snapshot of the store into a new temporary file
    /// and returns its path (the caller streams and deletes it). The
    /// backup is recorded in the administrators' audit trail, durably,
    /// before the path is returned, so no byte leaves unrecorded.
    /// Administrators only.
    pub async fn snapshot(&self, principal: &Principal) -> Result<PathBuf> {
        principal.require_admin()?;
        let id = uuid::Uuid::now_v7().to_string();
        let path = std::env::temp_dir().join(format!("stepwise-backup-{id}.tmp"));
        let store = self.store.clone();
        let target = path.clone();
        let snapshot = tokio::task::spawn_blocking(move || store.snapshot_to(&target))
            .await
            .map_err(Error::internal)??;
        let event = AdminEvent {
            actor_id: principal.account_id.clone(),
            action: AdminAction::BackupCreated as i32,
            target_id: id.clone(),
            size_bytes: i64::try_from(snapshot.size_bytes).unwrap_or(i64::MAX),
            sha256: snapshot.sha256.to_vec(),
            time_us: now_micros(),
        };
        if let Err(e) = self.store.append_admin_event(&event).await {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        tracing::info!(
            backup_id = %id,
            entries = snapshot.entries,
            size_bytes = snapshot.size_bytes,
            by = %principal.account_id,
            "backup snapshot taken"
        );
        Ok(path)
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
