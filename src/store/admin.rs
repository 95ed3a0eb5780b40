//! The audit trail of administrators.

use prost::Message;
use sled::transaction::TransactionError;

use super::{ALL, Page, Store, keys};
use crate::domain::AdminEvent;
use crate::error::{Error, Result};

/// The key of an event: its time in order, then random bytes so events of
/// the same microsecond do not overwrite each other.
pub(super) fn admin_event_key(event: &AdminEvent) -> Vec<u8> {
    let unique: [u8; 8] = rand::random();
    keys::join(&[&keys::ordered_i64(event.time_us), &unique])
}

impl Store {
    /// Appends an administrator's event to the audit trail, durably.
    pub async fn append_admin_event(&self, event: &AdminEvent) -> Result<()> {
        let key = admin_event_key(event);
        self.commit(|| {
            self.trees
                .admin_events
                .insert(key.as_slice(), event.encode_to_vec())
                .map_err(TransactionError::Storage)
        })?;
        self.durable().await
    }

    /// Administrators' events, oldest first.
    pub fn list_admin_events(&self, page: (usize, &str)) -> Result<Page<AdminEvent>> {
        self.page_with(&self.trees.admin_events, &[], ALL, page, |_, event| {
            AdminEvent::decode(event).map(Some).map_err(Error::internal)
        })
    }
}
