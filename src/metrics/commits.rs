//! The store's group commits: how many writers each answered and how long
//! its flush took. Recorded by the store's writer, registered with the
//! other families by [`super`]; only prometheus-client, so the store
//! reaches no transport through it.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds of the latency buckets, in seconds.
pub const SECONDS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Upper bounds of the commit batch buckets.
const BATCH: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process-wide histograms of group commits.
struct Commits {
    batch: Histogram,
    flush_seconds: Histogram,
}

fn commits() -> &'static Commits {
    static COMMITS: OnceLock<Commits> = OnceLock::new();
    COMMITS.get_or_init(|| Commits {
        batch: Histogram::new(BATCH),
        flush_seconds: Histogram::new(SECONDS),
    })
}

/// Records one group commit: how many writers it answered and how long
/// the flush took.
pub fn record(batch: usize, flush: Duration) {
    let commits = commits();
    commits.batch.observe(batch as f64);
    commits.flush_seconds.observe(flush.as_secs_f64());
}

/// Registers the histograms (they share their values with `registry`),
/// under the names dashboards already use.
pub fn register(registry: &mut Registry) {
    let commits = commits();
    registry.register(
        "stepwise_commit_batch_size",
        "Writers answered by one group commit",
        commits.batch.clone(),
    );
    registry.register_with_unit(
        "stepwise_flush_duration",
        "Time to flush and fdatasync the store",
        Unit::Seconds,
        commits.flush_seconds.clone(),
    );
}
