//! The outbox of risk alerts for the webhook (`serve --alert-webhook`):
//! which deliveries a server may send now, claimed under a lease in a
//! write (on several servers sharing PostgreSQL, the serializable write
//! lets one of them win each claim), and what a send's outcome does to
//! its entry. The sending itself is the server's (`crate::server`).

use std::time::Duration;

use uuid::Uuid;

use super::App;
use crate::domain::{AlertDelivery, Backoff};
use crate::error::Result;

/// Queued deliveries one claim looks at.
const CLAIM_BATCH: usize = 64;

impl App {
    /// Claims the deliveries due now that no other server holds, for
    /// `node_id` until `lease` from now; returns them, oldest first.
    pub async fn claim_alert_deliveries(
        &self,
        node_id: Uuid,
        lease: Duration,
    ) -> Result<Vec<AlertDelivery>> {
        let now = self.now_micros();
        let due: Vec<Uuid> = self
            .store
            .alert_deliveries(CLAIM_BATCH)
            .await?
            .into_iter()
            .filter(|delivery| delivery.claimable(now))
            .map(|delivery| delivery.alert_id)
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.store
            .write(Uuid::nil(), move |tx| {
                let now = tx.now_micros();
                let mut claimed = Vec::new();
                for &alert in &due {
                    // Read again in the write: another server may have
                    // claimed or delivered it since the look above.
                    let Some(delivery) = tx.alert_delivery(alert)? else {
                        continue;
                    };
                    if delivery.claimable(now) {
                        let delivery = delivery.claimed(node_id, now, lease);
                        tx.put_alert_delivery(&delivery);
                        claimed.push(delivery);
                    }
                }
                Ok(claimed)
            })
            .await
    }

    /// The receiver took the alert: its delivery leaves the outbox. (Were
    /// it delivered twice, after a lease lapsed mid-send, the receiver
    /// dedupes by the alert id.)
    pub async fn alert_delivered(&self, alert: Uuid) -> Result<()> {
        self.store
            .write(Uuid::nil(), move |tx| {
                tx.remove_alert_delivery(alert);
                Ok(())
            })
            .await
    }

    /// A send by `node_id` failed: the delivery is due again after
    /// `backoff`, for any server. Nothing changes if another server took it
    /// over meanwhile (the lease had lapsed) or delivered it.
    pub async fn alert_delivery_failed(
        &self,
        alert: Uuid,
        node_id: Uuid,
        backoff: Backoff,
    ) -> Result<()> {
        self.update_own_delivery(alert, node_id, move |delivery, now| {
            delivery.failed(now, backoff)
        })
        .await
    }

    /// `node_id` stops before it knows how a send went (the server shuts
    /// down): the delivery is free for any server at once, not after its
    /// lease lapses.
    pub async fn alert_delivery_released(&self, alert: Uuid, node_id: Uuid) -> Result<()> {
        self.update_own_delivery(alert, node_id, |delivery, _| AlertDelivery {
            lease: None,
            ..delivery
        })
        .await
    }

    /// When the next queued delivery falls due or its lease lapses, if any
    /// is queued, microseconds since the Unix epoch.
    pub async fn next_alert_delivery_us(&self) -> Result<Option<i64>> {
        let queued = self.store.alert_deliveries(CLAIM_BATCH).await?;
        Ok(queued
            .iter()
            .map(|delivery| {
                let lease_end = delivery.lease.map_or(i64::MIN, |lease| lease.until_us);
                delivery.next_attempt_us.max(lease_end)
            })
            .min())
    }

    /// Replaces the delivery of `alert` with `change(delivery, now)` while
    /// `node_id` holds its lease.
    async fn update_own_delivery(
        &self,
        alert: Uuid,
        node_id: Uuid,
        change: impl Fn(AlertDelivery, i64) -> AlertDelivery + Send + Sync + 'static,
    ) -> Result<()> {
        self.store
            .write(Uuid::nil(), move |tx| {
                let Some(delivery) = tx.alert_delivery(alert)? else {
                    return Ok(());
                };
                if delivery.lease.is_some_and(|lease| lease.node_id == node_id) {
                    let now = tx.now_micros();
                    tx.put_alert_delivery(&change(delivery, now));
                }
                Ok(())
            })
            .await
    }
}
