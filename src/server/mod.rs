//! Builds and runs the gRPC server: Stepwise's services behind the auth
//! layer, health, reflection (v1 and v1alpha), and graceful shutdown.

pub mod alert_webhook;
mod auth;
mod handshake;
mod incoming;
pub mod status;
mod trace;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tonic::transport::Server as Transport;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tonic_web::GrpcWebLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::{App, Retention};

use crate::config::ServeConfig;
use crate::data_dir;
use crate::domain::SystemClock;
use crate::domain::crisis::CrisisDirectory;
use crate::limits;
use crate::metrics::ScrapeGauge;
use crate::pb;
use crate::store::Store;
use crate::store::kv::engine::Engine;
use crate::store::kv::postgres::PgKv;
use crate::store::kv::seal::{MASTER_KEY_FILE, MasterKeySource};
use crate::store::kv::sled::SledKv;
use alert_webhook::AlertWebhook;
use auth::AuthLayer;
use incoming::Incoming;
use prometheus_client::registry::Unit;
use trace::RpcTraceLayer;

/// Errors that stop the server from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data dir could not be opened or prepared.
    #[error("cannot open the store in {}: {}", .dir.display(), crate::error::with_causes(.source))]
    Store {
        /// The data dir.
        dir: PathBuf,
        /// Why.
        source: crate::error::Error,
    },
    /// The database of `--database-url` could not be reached or opened.
    #[error("{0}")]
    Database(#[from] crate::store::kv::postgres::OpenError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be read or used.
    #[error("cannot use the TLS certificate and key: {0}")]
    Tls(String),
    /// Reflection could not be built from the descriptor set.
    #[error("cannot build server reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The crisis resources file could not be read or is not valid.
    #[error("cannot use the crisis resources in {}: {message}", .path.display())]
    CrisisResources {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line when one is at fault.
        message: String,
    },
    /// The alert webhook's settings cannot be used.
    #[error("{0}")]
    AlertWebhook(#[from] alert_webhook::WebhookSettingsError),
    /// The transport failed.
    #[error("server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// A task that runs beside the server until it stops.
type BackgroundTask = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A bound, ready-to-run server.
pub struct Server {
    incoming: Incoming,
    local_addr: SocketAddr,
    app: App,
    heartbeat: Duration,
    cors: CorsLayer,
    metrics: Option<(SocketAddr, BackgroundTask)>,
    alert_webhook: Option<AlertWebhook>,
}

/// Where a browser on this machine finds the dashboard, which the API's
/// listener serves: an address that listens on every interface is reached
/// through loopback.
fn dashboard_url(listening: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let mut reachable = listening;
    if reachable.ip().is_unspecified() {
        reachable.set_ip(match listening {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("{scheme}://{reachable}/")
}

/// How long a shutdown waits for in-flight calls and open connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// The names the health service reports on: the whole server (`""`) and
/// every service of Stepwise's own API, read from its descriptors so that a
/// new service is never missing.
fn health_names() -> Vec<String> {
    use prost::Message;
    let Ok(set) = prost_types::FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET) else {
        return vec![String::new()];
    };
    let services = set.file.iter().flat_map(|file| {
        file.service
            .iter()
            .map(move |service| format!("{}.{}", file.package(), service.name()))
    });
    std::iter::once(String::new()).chain(services).collect()
}

impl Server {
    /// Raises the open-file limit to its hard limit, makes the data dir
    /// private (see [`crate::data_dir`]; this sets the process umask to
    /// 0o077), opens the store (creating the first administrator on a new
    /// data dir), removes backup files left by a crash, and binds the
    /// listen address.
    pub async fn build(config: &ServeConfig) -> Result<Self, ServerError> {
        let max_connections = incoming::max_connections(config.max_connections);
        // Before anything is opened: a bad file is a mistake to fix first.
        let crisis = crisis_resources(config.crisis_resources.as_deref())?;
        let alert_webhook = AlertWebhook::from_config(config)?;
        let dir = config.data_dir.clone();
        let store_error = |source| ServerError::Store {
            dir: dir.clone(),
            source,
        };
        let io_error = |e: std::io::Error| store_error(e.into());
        data_dir::create_private(&dir).map_err(io_error)?;
        let clock = config
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock));
        let store: Store = match &config.database_url {
            Some(url) => {
                let every = Duration::from_millis(config.poll_ms);
                let engine =
                    PgKv::connect(url.expose(), every, config.database_pool_size as usize)?;
                open_store(engine, config, clock.clone()).map_err(store_error)?
            }
            None => {
                let engine =
                    SledKv::open(&dir, config.cache_mb * 1024 * 1024).map_err(store_error)?;
                open_store(engine, config, clock.clone()).map_err(store_error)?
            }
        };
        // Only after sled's exclusive lock is held: a second server started
        // on the same data dir fails above without touching the scratch dir
        // that the first one is using.
        data_dir::make_private(&dir).map_err(io_error)?;
        let scratch = data_dir::clear_scratch(&dir).map_err(io_error)?;
        let store = Arc::new(store.with_scratch_dir(scratch));
        let app = App::new(store, Duration::from_secs(config.invite_ttl_secs), clock)
            .with_retention(config.retention())
            .with_crisis_resources(crisis)
            .with_sessions(config.sessions());
        bootstrap_admin(&app, &dir).await.map_err(store_error)?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        let metrics = match config.metrics_listen {
            Some(addr) => {
                let (bound, serving) = crate::metrics::serve(addr, scrape_gauges(&app))
                    .await
                    .map_err(|source| ServerError::Bind { addr, source })?;
                tracing::info!(address = %bound, "serving metrics");
                Some((
                    bound,
                    Box::pin(serving) as Pin<Box<dyn Future<Output = ()> + Send>>,
                ))
            }
            None => None,
        };
        Ok(Self {
            metrics,
            alert_webhook,
            incoming: Incoming {
                tcp: tcp_incoming(listener),
                tls: tls(config)?,
                max_connections,
                handshake_timeout: Duration::from_millis(config.handshake_timeout_ms),
            },
            local_addr,
            app,
            heartbeat: Duration::from_millis(config.heartbeat_ms),
            cors: cors(&config.cors_origins),
        })
    }

    /// The address of the metrics endpoint, when enabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Runs retention passes on demand, besides the periodic ones that
    /// [`Server::run_until`] starts ([`crate::app::FIRST_PASS_DELAY`] after the
    /// start, then every [`crate::app::PASS_INTERVAL`]).
    pub fn retention(&self) -> Retention {
        self.app.retention()
    }

    /// Serves until `shutdown` completes, then reports NOT_SERVING, lets
    /// in-flight calls finish, and flushes the store.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let metrics = self.metrics.map(|(_, serving)| tokio::spawn(serving));
        self.app.spawn_retention();
        let (stop_webhook, webhook_stop) = tokio::sync::watch::channel(false);
        let webhook = self
            .alert_webhook
            .map(|webhook| tokio::spawn(webhook.run(self.app.clone(), webhook_stop)));
        let (health, health_service) = tonic_health::server::health_reporter();
        set_health(&health, ServingStatus::Serving).await;
        // Both reflection versions describe everything, each other included,
        // and google.rpc's error details, so grpcurl can decode them.
        let reflection = || {
            pb::DESCRIPTOR_SETS.iter().fold(
                tonic_reflection::server::Builder::configure().include_reflection_service(false),
                |builder, set| builder.register_encoded_file_descriptor_set(set),
            )
        };
        let store = self.app.store().clone();
        let store_watch = tokio::spawn(watch_store(store.clone(), health.clone())).abort_handle();
        let app = self.app.clone();
        let lifecycle = self.app.clone();
        let (draining, drain_started) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight calls");
            store_watch.abort();
            set_health(&health, ServingStatus::NotServing).await;
            app.begin_shutdown();
            stop_webhook.send_replace(true);
            let _ = draining.send(());
        };
        let dashboard = dashboard_url(self.local_addr, self.incoming.tls.is_some());
        tracing::info!(address = %self.local_addr, %dashboard, "serving");
        // HTTP/1.1 is accepted for gRPC-Web from browsers. The dashboard's
        // files answer GETs first; CORS answers preflights before anything
        // else looks at a call. TLS is done by `incoming`, under the
        // handshake deadline.
        let builder = Transport::builder();
        let heartbeat = self.heartbeat;
        let mut routes = crate::service::routes(&self.app, heartbeat);
        routes
            .add_service(health_service)
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?);
        let serve = builder
            .accept_http1(true)
            .max_concurrent_streams(limits::MAX_CONCURRENT_STREAMS)
            .timeout(limits::MAX_CALL_DURATION)
            .http2_keepalive_interval(Some(limits::HTTP2_KEEPALIVE_INTERVAL))
            .http2_keepalive_timeout(Some(limits::HTTP2_KEEPALIVE_TIMEOUT))
            .layer(crate::web::DashboardLayer)
            .layer(self.cors)
            .layer(GrpcWebLayer::new())
            .layer(RpcTraceLayer)
            .layer(AuthLayer::new(self.app.clone()))
            // Inside the trace layer, so a panic is counted and logged as
            // the INTERNAL it is answered with.
            .layer(CatchPanicLayer::custom(status::answer_panic))
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(self.incoming.start(), signal);
        // A peer that never lets its connection close must not keep the
        // process alive: past the grace period the remaining connections
        // are dropped (acknowledged writes are already on disk).
        let grace_over = async {
            if drain_started.await.is_ok() {
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            served = serve => served?,
            () = grace_over => tracing::warn!(
                grace_secs = SHUTDOWN_GRACE.as_secs(),
                "connections still open after the grace period; closing them"
            ),
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // It releases a claim in flight before the store closes.
        if let Some(webhook) = webhook
            && tokio::time::timeout(SHUTDOWN_GRACE, webhook).await.is_err()
        {
            tracing::warn!("the alert webhook's sender still running after the grace period");
        }
        // Stream tasks end on their own once shutdown began; waiting for
        // them means the store is closed when this returns, so a new server
        // can open the same data dir at once.
        if tokio::time::timeout(SHUTDOWN_GRACE, lifecycle.streams_ended())
            .await
            .is_err()
        {
            tracing::warn!("streams still running after the grace period");
        }
        if let Err(e) = store.close().await {
            tracing::error!(error = %e, "final flush failed");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The store over `engine`, its text sealed with the configured master key
/// (made in the data dir at the first start, unless the operator keeps it).
fn open_store(
    engine: impl Engine,
    config: &ServeConfig,
    clock: Arc<dyn crate::domain::Clock>,
) -> Result<Store, crate::error::Error> {
    let master = match &config.master_key_file {
        Some(path) => MasterKeySource::Operator(path.clone()),
        None => MasterKeySource::DataDir(config.data_dir.join(MASTER_KEY_FILE)),
    }
    .load(Store::is_sealed(&engine)?)?;
    Store::open_with_outbox(engine, clock, master, config.alert_webhook.is_some())
}

/// The crisis resources of the operator's file, checked; without one, the
/// example list compiled in.
fn crisis_resources(path: Option<&Path>) -> Result<CrisisDirectory, ServerError> {
    let Some(path) = path else {
        tracing::warn!(
            "no --crisis-resources file: apps get the example list compiled in \
             (docs/crisis-resources.jsonl), which nobody verified for this deployment"
        );
        return Ok(CrisisDirectory::built_in());
    };
    let refused = |message: String| ServerError::CrisisResources {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| refused(e.to_string()))?;
    let directory = CrisisDirectory::parse(&text).map_err(|e| refused(e.to_string()))?;
    tracing::info!(path = %path.display(), resources = directory.len(), "crisis resources");
    Ok(directory)
}

/// On a store without accounts, makes an administrator and writes its
/// token to [`data_dir::ADMIN_TOKEN_FILE`] in `dir` (mode 0600). The token
/// is written before the account is stored, so a crash in between leaves a
/// store without accounts and the next start tries again; when another
/// server on the same database made its administrator first, the file is
/// removed, as its token would open nothing.
async fn bootstrap_admin(app: &App, dir: &Path) -> Result<(), crate::error::Error> {
    let Some(first) = app.first_admin().await? else {
        return Ok(());
    };
    let path = dir.join(data_dir::ADMIN_TOKEN_FILE);
    data_dir::write_secret(&path, first.token(), false)?;
    if app.store_first_admin(first).await? {
        tracing::info!(path = %path.display(), "wrote the administrator token");
    } else {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}

/// Accepted connections with TCP keepalive, and with TCP_NODELAY as tonic
/// sets it on listeners it binds itself (it applies neither to a listener
/// it is given).
fn tcp_incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(limits::TCP_KEEPALIVE_IDLE))
        .with_keepalive_interval(Some(limits::TCP_KEEPALIVE_INTERVAL))
        .with_keepalive_retries(Some(limits::TCP_KEEPALIVE_RETRIES))
}

/// What the metrics read at each scrape.
fn scrape_gauges(app: &App) -> Vec<ScrapeGauge> {
    let (store, streams) = (app.store().clone(), app.clone());
    vec![
        ScrapeGauge::new(
            "stepwise_store_size",
            "Size of the store on disk.",
            Some(Unit::Bytes),
            move || store.size_on_disk(),
        ),
        ScrapeGauge::new(
            "stepwise_active_subscriptions",
            "Open Subscribe and WatchClients streams",
            None,
            move || streams.open_streams() as u64,
        ),
    ]
}

/// TLS, when a certificate and key are configured: rustls on ring, offering
/// HTTP/2 as tonic does (a client that names no protocol may still speak
/// HTTP/1.1).
fn tls(config: &ServeConfig) -> Result<Option<TlsAcceptor>, ServerError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) else {
        return Ok(None);
    };
    let unusable = |path: &std::path::PathBuf, e: &dyn std::fmt::Display| {
        ServerError::Tls(format!("{}: {e}", path.display()))
    };
    let read = |path| std::fs::read(path).map_err(|e| unusable(path, &e));
    let chain = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unusable(cert, &e))?;
    if chain.is_empty() {
        return Err(unusable(cert, &"no certificate"));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|e| unusable(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder
                .with_no_client_auth()
                .with_single_cert(chain, key_der)
        })
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    server.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Some(TlsAcceptor::from(Arc::new(server))))
}

/// CORS for gRPC-Web calls from the given origins' pages.
fn cors(origins: &[http::HeaderValue]) -> CorsLayer {
    use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static("x-grpc-web"),
            HeaderName::from_static("x-user-agent"),
            HeaderName::from_static("grpc-timeout"),
        ])
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(24 * 3600))
}

/// Reports NOT_SERVING while the store cannot be read (its database went
/// away: a restart, a failover) and SERVING once it can again, so that a
/// load balancer sends calls to nodes that can answer them and an operator
/// (or a test) can wait for a node to be back.
async fn watch_store(store: Arc<Store>, health: HealthReporter) {
    let mut reachable = true;
    let mut every = tokio::time::interval(limits::STORE_CHECK_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let checked = store.clone();
        let now = tokio::task::spawn_blocking(move || checked.check_reachable()).await;
        let reachable_now = matches!(now, Ok(Ok(())));
        if reachable_now == reachable {
            continue;
        }
        reachable = reachable_now;
        if reachable {
            tracing::info!("the store answers again: serving");
            set_health(&health, ServingStatus::Serving).await;
        } else {
            let error = match now {
                Ok(Err(error)) => error.to_string(),
                Err(panicked) => panicked.to_string(),
                Ok(Ok(())) => unreachable!("reachable"),
            };
            tracing::warn!(%error, "the store cannot be read: not serving until it can");
            set_health(&health, ServingStatus::NotServing).await;
        }
    }
}

async fn set_health(health: &HealthReporter, status: ServingStatus) {
    for name in health_names() {
        health.set_service_status(name, status).await;
    }
}

#[cfg(test)]
mod tests {
    use super::dashboard_url;

    #[test]
    fn the_dashboard_is_at_the_root_of_the_listen_address_through_loopback_if_need_be() {
        let url = |addr: &str, tls| dashboard_url(addr.parse().expect("address"), tls);
        assert_eq!(url("127.0.0.1:50051", false), "http://127.0.0.1:50051/");
        assert_eq!(url("192.0.2.7:443", true), "https://192.0.2.7:443/");
        assert_eq!(url("0.0.0.0:50051", false), "http://127.0.0.1:50051/");
        assert_eq!(url("[::]:50051", true), "https://[::1]:50051/");
    }
}
