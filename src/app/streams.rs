//! How many live streams (`Subscribe`, `WatchClients`) each account holds
//! open, and the refusal past the limit: every stream keeps a task and its
//! buffers on the server, so one account must not be able to open them
//! without end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

use crate::error::{Error, Result};

/// Open streams per account, up to a limit. Only accounts with open
/// streams have an entry, so its memory follows the streams, not the
/// accounts that ever had one.
#[derive(Debug)]
pub(super) struct StreamQuota {
    limit: usize,
    open: Mutex<HashMap<Uuid, usize>>,
}

/// One open stream's place in the quota, given back when dropped: keep it
/// for exactly as long as the stream lives.
#[derive(Debug)]
#[must_use = "the stream's place is given back as soon as this is dropped"]
pub(super) struct StreamPermit {
    quota: Arc<StreamQuota>,
    account_id: Uuid,
}

impl StreamQuota {
    /// A quota of `limit` open streams per account.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            limit,
            open: Mutex::default(),
        }
    }

    /// A place for one more stream of `account_id`; `TOO_MANY_STREAMS` when
    /// the account holds `limit` open already.
    pub(super) fn open(self: &Arc<Self>, account_id: Uuid) -> Result<StreamPermit> {
        let mut open = self.lock();
        let count = open.entry(account_id).or_default();
        if *count >= self.limit {
            return Err(Error::TooManyStreams(self.limit));
        }
        *count += 1;
        Ok(StreamPermit {
            quota: self.clone(),
            account_id,
        })
    }

    /// Streams open across all accounts.
    pub(super) fn total(&self) -> usize {
        self.lock().values().sum()
    }

    /// The counts; no code panics while holding them, so a poisoned lock
    /// still holds consistent counts.
    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, usize>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.quota.lock();
        if let Some(count) = open.get_mut(&self.account_id) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.account_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADA: Uuid = Uuid::from_u128(1);

    #[test]
    fn accounts_without_open_streams_leave_no_entry() {
        let quota = Arc::new(StreamQuota::new(2));
        let first = quota.open(ADA).expect("first");
        let second = quota.open(ADA).expect("second");
        assert!(matches!(quota.open(ADA), Err(Error::TooManyStreams(2))));
        drop(first);
        let third = quota.open(ADA).expect("room again");
        drop((second, third));
        assert!(quota.lock().is_empty());
    }
}
