//! Prometheus metrics, served in the OpenMetrics text format on
//! `--metrics-listen` (`GET /metrics`, and `GET /`).
//!
//! Owns the process-wide metric families (RPCs by method and status code,
//! latency by method, group-commit batch sizes and flush time, open
//! subscriptions) and the rule that keeps their labels bounded: only the
//! gRPC methods the server declares ([`crate::pb::DESCRIPTOR_SETS`]) get a
//! `method` value of their own; every other path a caller sends counts as
//! `unknown`. The store's size on disk is read at scrape time through a
//! function the server hands to [`serve`], so this module knows no store.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use prost::Message;
use tokio::net::TcpListener;

/// Upper bounds of the latency buckets, in seconds.
const SECONDS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Upper bounds of the commit batch buckets.
const BATCH: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The `method` of calls to paths the server does not declare.
const UNKNOWN_METHOD: &str = "unknown";

/// What Prometheus asks for and what the encoder writes.
const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of a finished call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    code: Code,
}

/// Labels of a call's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

/// A gRPC status code, labelled by its name (`Ok`, `NotFound`, ...).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
struct Code(tonic::Code);

impl EncodeLabelValue for Code {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        fmt::Write::write_fmt(encoder, format_args!("{:?}", self.0))
    }
}

/// The process-wide metric families; see [`metrics`].
pub struct Metrics {
    requests: Family<CallLabels, Counter>,
    latency: Family<MethodLabels, Histogram, fn() -> Histogram>,
    commit_batch: Histogram,
    flush_seconds: Histogram,
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics {
        requests: Family::default(),
        latency: Family::new_with_constructor(|| Histogram::new(SECONDS)),
        commit_batch: Histogram::new(BATCH),
        flush_seconds: Histogram::new(SECONDS),
    })
}

/// The `method` label of a call, resolved from its path when the call
/// starts, so that recording its end needs no copy of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcMethod(&'static str);

impl RpcMethod {
    /// The method of a call to `path` (the request's URI path).
    pub fn of(path: &str) -> Self {
        Self(method_label(path))
    }
}

impl Metrics {
    /// Records a finished call to `method`.
    pub fn rpc(&self, RpcMethod(method): RpcMethod, code: tonic::Code, latency: Duration) {
        self.requests
            .get_or_create(&CallLabels {
                method,
                code: Code(code),
            })
            .inc();
        self.latency
            .get_or_create(&MethodLabels { method })
            .observe(latency.as_secs_f64());
    }

    /// Calls to `method` recorded as ended with `code`, so far.
    #[cfg(test)]
    pub fn calls(&self, RpcMethod(method): RpcMethod, code: tonic::Code) -> u64 {
        self.requests
            .get_or_create(&CallLabels {
                method,
                code: Code(code),
            })
            .get()
    }

    /// Records one group commit: how many writers it answered and how
    /// long the flush took.
    pub fn commit(&self, batch: usize, flush: Duration) {
        self.commit_batch.observe(batch as f64);
        self.flush_seconds.observe(flush.as_secs_f64());
    }

    /// A registry of these metrics (they share their values with it) and
    /// of `gauges`, read at each scrape. Names are those dashboards already
    /// use.
    fn registry(&self, gauges: Vec<ScrapeGauge>) -> Registry {
        let mut registry = Registry::default();
        registry.register(
            "stepwise_requests",
            "RPCs by method and status code",
            self.requests.clone(),
        );
        registry.register_with_unit(
            "stepwise_request_duration",
            "RPC latency by method",
            Unit::Seconds,
            self.latency.clone(),
        );
        registry.register(
            "stepwise_commit_batch_size",
            "Writers answered by one group commit",
            self.commit_batch.clone(),
        );
        registry.register_with_unit(
            "stepwise_flush_duration",
            "Time to flush and fdatasync the store",
            Unit::Seconds,
            self.flush_seconds.clone(),
        );
        for gauge in gauges {
            registry.register_collector(Box::new(gauge));
        }
        registry
    }
}

/// The `method` label of a call to `path`: the path when the server
/// declares that method, otherwise `unknown`. Any caller can send any path,
/// so labelling paths as sent would let callers grow the metrics without
/// bound.
fn method_label(path: &str) -> &'static str {
    known_methods()
        .get(path)
        .map_or(UNKNOWN_METHOD, String::as_str)
}

/// Every `/package.Service/Method` of the descriptor sets the server
/// registers, decoded once.
fn known_methods() -> &'static HashSet<String> {
    static KNOWN: OnceLock<HashSet<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        crate::pb::DESCRIPTOR_SETS
            .iter()
            // The sets are compiled in; one that failed to decode would only
            // put its methods under `unknown` (which the API tests notice).
            .filter_map(|set| prost_types::FileDescriptorSet::decode(*set).ok())
            .flat_map(|set| set.file)
            .flat_map(|file| {
                let package = file.package().to_owned();
                file.service.into_iter().flat_map(move |service| {
                    let name = match package.as_str() {
                        "" => service.name().to_owned(),
                        package => format!("{package}.{}", service.name()),
                    };
                    service
                        .method
                        .into_iter()
                        .map(move |method| format!("/{name}/{}", method.name()))
                })
            })
            .collect()
    })
}

/// A gauge whose value is read when scraped (the store's size, the open
/// streams): what others already count is not counted twice.
pub struct ScrapeGauge {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    read: Box<dyn Fn() -> u64 + Send + Sync>,
}

impl ScrapeGauge {
    /// A gauge `name` described by `help`, in `unit`, valued by `read`.
    pub fn new(
        name: &'static str,
        help: &'static str,
        unit: Option<Unit>,
        read: impl Fn() -> u64 + Send + Sync + 'static,
    ) -> Self {
        Self {
            name,
            help,
            unit,
            read: Box::new(read),
        }
    }
}

impl fmt::Debug for ScrapeGauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl Collector for ScrapeGauge {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let gauge = ConstGauge::new((self.read)());
        let metric = encoder.encode_descriptor(
            self.name,
            self.help,
            self.unit.as_ref(),
            gauge.metric_type(),
        )?;
        gauge.encode(metric)
    }
}

/// Binds `addr`; the returned future serves the metrics, with `gauges`
/// read at each scrape, over HTTP until it is dropped.
pub async fn serve(
    addr: SocketAddr,
    gauges: Vec<ScrapeGauge>,
) -> std::io::Result<(SocketAddr, impl Future<Output = ()> + Send + 'static)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let registry = Arc::new(metrics().registry(gauges));
    // `/` as well as `/metrics`, for scrapers set up without a path.
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .route("/", axum::routing::get(scrape))
        .with_state(registry);
    let serving = async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics endpoint stopped");
        }
    };
    Ok((bound, serving))
}

/// One scrape: the registry in the OpenMetrics text format.
async fn scrape(State(registry): State<Arc<Registry>>) -> Response {
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &registry) {
        Ok(()) => ([(header::CONTENT_TYPE, OPENMETRICS_TEXT)], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
