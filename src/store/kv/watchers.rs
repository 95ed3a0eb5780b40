//! The watchers of clients' sequence numbers (Subscribe, WatchClients), and
//! how they are told of a change: by the commit pipeline for this process's
//! own writes, and by the poller for other servers' writes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use uuid::Uuid;

/// Clients' latest sequence numbers, for their subscribers.
pub(super) type Watchers = Arc<Mutex<HashMap<Uuid, watch::Sender<i64>>>>;

/// Tells the watchers of the clients in `heads` their new sequence numbers.
/// A sequence only grows: a head read earlier (by the poller, or for an
/// earlier group) never replaces a later one.
pub(super) fn notify(watchers: &Watchers, heads: impl IntoIterator<Item = (Uuid, i64)>) {
    let Ok(mut watchers) = watchers.lock() else {
        return;
    };
    for (client, seq) in heads {
        if let Some(sender) = watchers.get(&client) {
            if sender.receiver_count() == 0 {
                watchers.remove(&client);
            } else {
                sender.send_if_modified(|head| {
                    let advanced = seq > *head;
                    *head = (*head).max(seq);
                    advanced
                });
            }
        }
    }
}
