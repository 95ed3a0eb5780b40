//! Administration: online backups.

use std::path::PathBuf;

use super::App;
use crate::auth::Principal;
use crate::error::{Error, Result};

impl App {
    /// Takes a consistent snapshot of the store into a new temporary file
    /// and returns its path (the caller streams and deletes it).
    /// Administrators only.
    pub async fn snapshot(&self, principal: &Principal) -> Result<PathBuf> {
        principal.require_admin()?;
        let path =
            std::env::temp_dir().join(format!("stepwise-backup-{}.tmp", uuid::Uuid::new_v4()));
        let store = self.store.clone();
        let target = path.clone();
        let entries = tokio::task::spawn_blocking(move || store.snapshot_to(&target))
            .await
            .map_err(Error::internal)??;
        tracing::info!(entries, by = %principal.account_id, "backup snapshot taken");
        Ok(path)
    }
}
