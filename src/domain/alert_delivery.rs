//! The delivery of a new risk alert to the operator's webhook
//! (`serve --alert-webhook`): an outbox entry written in the same write that
//! opens the alert, so an acknowledged self-harm answer never loses its
//! delivery, and the rules of its retries (capped exponential backoff) and
//! of the lease that lets one server of several send it.
//!
//! The entry holds ids and times only: what the webhook is told never
//! includes anything a client wrote.

use std::time::Duration;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::encoding::Stored;

/// A risk alert waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Stored)]
pub struct AlertDelivery {
    /// The alert, and the idempotency key of its delivery.
    pub alert_id: Uuid,
    /// The client the alert is about.
    pub client_id: Uuid,
    /// The assessment result that opened it.
    pub result_id: Uuid,
    /// The day the result is for, in the client's time zone.
    pub result_date: NaiveDate,
    /// When the alert opened, microseconds since the Unix epoch.
    pub open_time_us: i64,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Not to be tried before, microseconds since the Unix epoch.
    pub next_attempt_us: i64,
    /// The server sending it now, if any.
    pub lease: Option<Lease>,
}

/// A server's claim on a delivery while it sends it: no other server tries
/// until it expires (the holder died mid-send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub struct Lease {
    /// The server's id for this run.
    pub node_id: Uuid,
    /// When the claim lapses, microseconds since the Unix epoch.
    pub until_us: i64,
}

impl AlertDelivery {
    /// The delivery of the alert `alert_id`, due at once.
    pub fn new(
        (alert_id, client_id): (Uuid, Uuid),
        (result_id, result_date): (Uuid, NaiveDate),
        open_time_us: i64,
    ) -> Self {
        Self {
            alert_id,
            client_id,
            result_id,
            result_date,
            open_time_us,
            attempts: 0,
            next_attempt_us: open_time_us,
            lease: None,
        }
    }

    /// Whether a server may claim it at `now_us`: due, and nobody's lease
    /// still runs.
    pub fn claimable(&self, now_us: i64) -> bool {
        self.next_attempt_us <= now_us && self.lease.is_none_or(|lease| lease.until_us <= now_us)
    }

    /// The same delivery, claimed by `node_id` until `lease` from `now_us`.
    pub fn claimed(self, node_id: Uuid, now_us: i64, lease: Duration) -> Self {
        Self {
            lease: Some(Lease {
                node_id,
                until_us: now_us.saturating_add(micros(lease)),
            }),
            ..self
        }
    }

    /// The same delivery after a failed attempt at `now_us`: released, due
    /// again after the backoff of its attempts.
    pub fn failed(self, now_us: i64, backoff: Backoff) -> Self {
        let attempts = self.attempts + 1;
        Self {
            attempts,
            next_attempt_us: now_us.saturating_add(micros(backoff.after(attempts))),
            lease: None,
            ..self
        }
    }
}

/// How long a delivery waits after failed attempts: `base`, doubled with
/// each further failure, never more than `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Backoff {
    /// The wait after `attempts` failed attempts (1 or more).
    pub fn after(self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
        self.base
            .checked_mul(2u32.saturating_pow(doublings))
            .unwrap_or(self.cap)
            .min(self.cap)
    }
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> AlertDelivery {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        AlertDelivery::new(
            (Uuid::from_u128(1), Uuid::from_u128(2)),
            (Uuid::from_u128(3), day),
            1_000,
        )
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let backoff = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (1..=8).map(|n| backoff.after(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff.after(i64::MAX), Duration::from_secs(60));
    }

    #[test]
    fn a_lease_keeps_other_servers_off_until_it_lapses() {
        let node = Uuid::from_u128(9);
        let fresh = delivery();
        assert!(fresh.claimable(1_000));
        let claimed = fresh.claimed(node, 1_000, Duration::from_micros(500));
        assert!(!claimed.claimable(1_499));
        assert!(claimed.claimable(1_500));
        let backoff = Backoff {
            base: Duration::from_micros(100),
            cap: Duration::from_micros(1_000),
        };
        let failed = claimed.failed(1_200, backoff);
        assert_eq!((failed.attempts, failed.next_attempt_us), (1, 1_300));
        assert!(failed.lease.is_none() && !failed.claimable(1_299));
    }
}
