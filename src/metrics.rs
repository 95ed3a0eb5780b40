//! Prometheus metrics, served as text on `--metrics-listen`.
//!
//! One process-wide registry: requests by method and status code, latency
//! histograms, group-commit batch sizes and flush latency, open
//! subscriptions, and the store's size on disk (read at scrape time).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::store::Store;

/// Upper bounds of the latency buckets, in seconds.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Upper bounds of the commit batch buckets.
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

#[derive(Clone, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (count, bound) in self.counts.iter_mut().zip(bounds) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in bounds.iter().enumerate() {
            let count = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// The registry.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    commit_batch: Mutex<Histogram>,
    flush_seconds: Mutex<Histogram>,
    subscriptions: AtomicI64,
}

/// The process-wide registry.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// Counts an open subscription for as long as it lives.
pub struct SubscriptionGauge(());

impl SubscriptionGauge {
    /// A subscription opened.
    pub fn open() -> Self {
        metrics().subscriptions.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for SubscriptionGauge {
    fn drop(&mut self) {
        metrics().subscriptions.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Records a finished RPC.
    pub fn rpc(&self, method: &str, code: tonic::Code, latency: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_owned(), format!("{code:?}")))
                .or_default() += 1;
        }
        if let Ok(mut latency_by_method) = self.latency.lock() {
            latency_by_method
                .entry(method.to_owned())
                .or_default()
                .observe(SECONDS, latency.as_secs_f64());
        }
    }

    /// Records one group commit: how many writers it answered and how
    /// long the flush took.
    pub fn commit(&self, batch: usize, flush: Duration) {
        if let Ok(mut h) = self.commit_batch.lock() {
            h.observe(BATCH, batch as f64);
        }
        if let Ok(mut h) = self.flush_seconds.lock() {
            h.observe(SECONDS, flush.as_secs_f64());
        }
    }

    /// The text exposition format.
    pub fn render(&self, store_bytes: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP stepwise_requests_total RPCs by method and status code.\n");
        out.push_str("# TYPE stepwise_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, code), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "stepwise_requests_total{{method=\"{method}\",code=\"{code}\"}} {count}"
                );
            }
        }
        out.push_str("# HELP stepwise_request_duration_seconds RPC latency by method.\n");
        out.push_str("# TYPE stepwise_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (method, histogram) in latency.iter() {
                let labels = format!("method=\"{method}\"");
                histogram.render(
                    &mut out,
                    "stepwise_request_duration_seconds",
                    &labels,
                    SECONDS,
                );
            }
        }
        out.push_str("# HELP stepwise_commit_batch_size Writers answered by one group commit.\n");
        out.push_str("# TYPE stepwise_commit_batch_size histogram\n");
        if let Ok(h) = self.commit_batch.lock() {
            h.render(&mut out, "stepwise_commit_batch_size", "", BATCH);
        }
        out.push_str(
            "# HELP stepwise_flush_duration_seconds Time to flush and fdatasync the store.\n",
        );
        out.push_str("# TYPE stepwise_flush_duration_seconds histogram\n");
        if let Ok(h) = self.flush_seconds.lock() {
            h.render(&mut out, "stepwise_flush_duration_seconds", "", SECONDS);
        }
        out.push_str(
            "# HELP stepwise_active_subscriptions Open Subscribe and WatchClients streams.\n",
        );
        out.push_str("# TYPE stepwise_active_subscriptions gauge\n");
        let _ = writeln!(
            out,
            "stepwise_active_subscriptions {}",
            self.subscriptions.load(Ordering::Relaxed)
        );
        out.push_str("# HELP stepwise_store_size_bytes Size of the store on disk.\n");
        out.push_str("# TYPE stepwise_store_size_bytes gauge\n");
        let _ = writeln!(out, "stepwise_store_size_bytes {store_bytes}");
        out
    }
}

/// Binds the metrics address; the returned future answers every HTTP
/// request on it with the metrics until the process ends.
pub async fn serve(
    addr: SocketAddr,
    store: Arc<Store>,
) -> std::io::Result<(SocketAddr, impl Future<Output = ()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let serving = async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                // Read the request head (scrapers send no body), then answer.
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = metrics().render(store.size_on_disk());
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    };
    Ok((bound, serving))
}
