//! Administration: online backups and the administrators' audit trail.

use uuid::Uuid;

use super::{App, PageRequest, Principal};
use crate::domain::{AdminAction, AdminEvent};
use crate::error::Result;
use crate::store::Page;

impl App {
    /// Takes a consistent snapshot of the store and returns it as a file
    /// open for reading, which leaves nothing on disk once the caller drops
    /// it, however the call ends (see [`crate::store::Store::snapshot`]).
    /// The backup is recorded in the administrators' audit trail, durably,
    /// before the file is returned, so no byte leaves unrecorded.
    /// Administrators only.
    pub async fn snapshot(&self, principal: &Principal) -> Result<std::fs::File> {
        principal.require_admin()?;
        let id = Uuid::now_v7();
        let (file, snapshot) = self.store.snapshot(id).await?;
        let event = AdminEvent {
            actor_id: principal.account_id,
            action: AdminAction::BackupCreated,
            target_id: id,
            size_bytes: snapshot.size_bytes,
            sha256: Some(snapshot.sha256),
            time_us: self.now_micros(),
        };
        self.store
            .write(principal.account_id, move |tx| {
                tx.append_admin_event(&event)
            })
            .await?;
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
    pub async fn list_admin_events(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<AdminEvent>> {
        principal.require_admin()?;
        self.store.admin_events(page.into()).await
    }
}
