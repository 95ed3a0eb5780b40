//! The server's settings: one documented struct, parsed from flags and
//! `STEPWISE_*` environment variables by the binary, validated at start,
//! and built in code by tests and embedders.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::app::SessionSettings;
use crate::domain::retention::{
    DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_INVITE_RETENTION_DAYS, DEFAULT_SYNC_RETENTION_DAYS,
};
use crate::domain::{Clock, RetentionPolicy};
use crate::telemetry::LogFormat;

/// Default size of the database page cache, in MiB.
pub const DEFAULT_CACHE_MB: u64 = 128;
/// Default interval of heartbeats on idle streams, in milliseconds.
pub const DEFAULT_HEARTBEAT_MS: u64 = 5000;
/// Connections to PostgreSQL per server unless `--database-pool-size` says.
pub const DEFAULT_DATABASE_POOL_SIZE: u32 = 8;
/// Default interval at which a server on PostgreSQL looks for other
/// servers' changes, in milliseconds.
pub const DEFAULT_POLL_MS: u64 = 200;
/// Default lifetime of an invite code, in seconds: 7 days.
pub const DEFAULT_INVITE_TTL_SECS: u64 = 7 * 24 * 3600;
/// Default lifetime of a device session's access token, in seconds: 15
/// minutes.
pub const DEFAULT_ACCESS_TOKEN_TTL_SECS: u64 = 15 * 60;
/// Default time a replaced refresh token still gets the same successor, in
/// seconds: 10 minutes.
pub const DEFAULT_REFRESH_GRACE_SECS: u64 = 10 * 60;
/// Default wait after a webhook delivery's first failure, in milliseconds;
/// it doubles with each further failure.
pub const DEFAULT_ALERT_WEBHOOK_BACKOFF_BASE_MS: u64 = 1000;
/// Default longest wait between a webhook delivery's attempts, in
/// milliseconds: 10 minutes.
pub const DEFAULT_ALERT_WEBHOOK_BACKOFF_CAP_MS: u64 = 600_000;
/// Default interval at which a server looks for risk alerts to deliver, in
/// milliseconds (new ones through any server; those due again sooner are
/// tried when due).
pub const DEFAULT_ALERT_WEBHOOK_POLL_MS: u64 = 1000;
/// Default time a webhook delivery is claimed for: longer than a send may
/// take, after which another server takes over.
pub const DEFAULT_ALERT_WEBHOOK_LEASE_MS: u64 = 60_000;

/// Default time a new connection has to finish its handshakes, in
/// milliseconds: enough for TLS over a poor mobile network.
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;

/// Settings of `stepwise serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free port (the bound address is
    /// logged).
    #[arg(long, env = "STEPWISE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Directory of the embedded database, the administrator's first token
    /// (`admin.token`) and the master key; created if missing. Made private
    /// to the server's user (directories 0700, files 0600) at every start.
    #[arg(long, env = "STEPWISE_DATA_DIR", default_value = "./stepwise-data")]
    pub data_dir: PathBuf,
    /// Log format.
    #[arg(long, env = "STEPWISE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Size of the database page cache in MiB; bounds the server's memory.
    #[arg(long, env = "STEPWISE_CACHE_MB", default_value_t = DEFAULT_CACHE_MB, value_parser = clap::value_parser!(u64).range(8..=65536))]
    pub cache_mb: u64,
    /// Interval of heartbeats on idle streams (SyncService.Subscribe and
    /// CareService.WatchClients), in milliseconds; a stream also notices
    /// an expired token by then.
    #[arg(long, env = "STEPWISE_HEARTBEAT_MS", default_value_t = DEFAULT_HEARTBEAT_MS, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub heartbeat_ms: u64,
    /// How long an invite code works, in seconds (default 7 days).
    #[arg(long, env = "STEPWISE_INVITE_TTL_SECS", default_value_t = DEFAULT_INVITE_TTL_SECS)]
    pub invite_ttl_secs: u64,
    /// How long a signed-in device's access token works, in seconds
    /// (default 15 minutes); the device then gets a new one with its
    /// refresh token (AuthService.RefreshSession).
    #[arg(long = "access-token-ttl", env = "STEPWISE_ACCESS_TOKEN_TTL_SECS", default_value_t = DEFAULT_ACCESS_TOKEN_TTL_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub access_token_ttl_secs: u64,
    /// How long after a refresh the replaced refresh token, presented
    /// again, still gets the same successor instead of ending the device's
    /// session, in seconds (default 10 minutes): phones lose answers when
    /// an app is backgrounded or the network hands over.
    #[arg(long = "refresh-grace", env = "STEPWISE_REFRESH_GRACE_SECS", default_value_t = DEFAULT_REFRESH_GRACE_SECS, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub refresh_grace_secs: u64,
    /// The sync window, in days: how long push results and tombstones of
    /// deleted records are kept. A device whose cursor is older than what
    /// was removed must sync again from scratch (RESYNC_REQUIRED).
    #[arg(long, env = "STEPWISE_SYNC_RETENTION_DAYS", default_value_t = DEFAULT_SYNC_RETENTION_DAYS, value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub sync_retention_days: u64,
    /// How long the audit trails (therapists' access events, administrators'
    /// events) are kept, in days (default six years).
    #[arg(long, env = "STEPWISE_AUDIT_RETENTION_DAYS", default_value_t = DEFAULT_AUDIT_RETENTION_DAYS, value_parser = clap::value_parser!(u64).range(1..=36_500))]
    pub audit_retention_days: u64,
    /// How long an expired invite is kept after it expired (its code is
    /// answered INVITE_EXPIRED meanwhile), in days.
    #[arg(long, env = "STEPWISE_INVITE_RETENTION_DAYS", default_value_t = DEFAULT_INVITE_RETENTION_DAYS, value_parser = clap::value_parser!(u64).range(0..=36_500))]
    pub invite_retention_days: u64,
    /// Web origins (e.g. `https://dashboard.example.org`) whose pages may
    /// call the API with gRPC-Web; repeat the flag or separate with commas.
    /// Without any, browsers may call only from the same origin.
    #[arg(long = "cors-origin", env = "STEPWISE_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<http::HeaderValue>,
    /// PEM certificate chain for TLS; with `--tls-key`, the server speaks
    /// only TLS (as mobile apps in production need).
    #[arg(long, env = "STEPWISE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "STEPWISE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Address for Prometheus metrics over plain HTTP (`GET /metrics`, also
    /// `/`); off when unset. Keep it private: it is not authenticated.
    #[arg(long, env = "STEPWISE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// File holding the master key that wraps the clients' keys (64
    /// hexadecimal digits). Without it, `master.key` in the data dir, made
    /// at the first start. Keep a copy apart from the data and its backups:
    /// without it, no client's text can be read.
    #[arg(long, env = "STEPWISE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// PostgreSQL database to keep the data in instead of the embedded
    /// store in the data dir (`postgres://user:password@host:port/db`);
    /// several servers may share one. The data dir then keeps only the
    /// administrator's token and the master key, which every server on the
    /// database must share.
    #[arg(long, env = "STEPWISE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<DatabaseUrl>,
    /// With `--database-url`: how often to look for changes made through
    /// other servers, in milliseconds (their delay to this server's
    /// streams).
    #[arg(long, env = "STEPWISE_POLL_MS", default_value_t = DEFAULT_POLL_MS, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_ms: u64,
    /// With `--database-url`: most connections this server keeps open to
    /// the database (calls beyond them wait for one to be free).
    #[arg(long, env = "STEPWISE_DATABASE_POOL_SIZE", default_value_t = DEFAULT_DATABASE_POOL_SIZE, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_pool_size: u32,
    /// How long a new connection may take to finish its TLS handshake (with
    /// `--tls-cert`) and start speaking HTTP (the HTTP/2 preface and first
    /// frame, or an HTTP/1.1 request's head), in milliseconds; it is closed
    /// if it has not by then.
    #[arg(long, env = "STEPWISE_HANDSHAKE_TIMEOUT_MS", default_value_t = DEFAULT_HANDSHAKE_TIMEOUT_MS, value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub handshake_timeout_ms: u64,
    /// Most connections open at once, from all peers together; more wait
    /// until one closes. By default three quarters of the open-file limit
    /// (raised to its hard limit at start), at most the limit less 64.
    #[arg(long, env = "STEPWISE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// File of the crisis resources (helplines) that apps show, by region
    /// and language: JSON Lines, checked at start (docs/operations.md,
    /// "Crisis resources"). Without it, the example list compiled in
    /// (docs/crisis-resources.jsonl), which nobody verified for your
    /// deployment.
    #[arg(long, env = "STEPWISE_CRISIS_RESOURCES")]
    pub crisis_resources: Option<PathBuf>,
    /// URL (http or https) to POST each new risk alert to, signed with the
    /// secret of `--alert-webhook-secret-file`: ids, flag and time, never
    /// anything a client wrote; retried until the receiver answers 2xx
    /// (docs/operations.md, "Alert webhook").
    #[arg(
        long,
        env = "STEPWISE_ALERT_WEBHOOK",
        requires = "alert_webhook_secret_file"
    )]
    pub alert_webhook: Option<WebhookUrl>,
    /// File holding the secret that signs the webhook's requests
    /// (HMAC-SHA256); leading and trailing whitespace is ignored.
    #[arg(
        long,
        env = "STEPWISE_ALERT_WEBHOOK_SECRET_FILE",
        requires = "alert_webhook"
    )]
    pub alert_webhook_secret_file: Option<PathBuf>,
    /// Wait after a webhook delivery's first failure, in milliseconds.
    #[arg(long, env = "STEPWISE_ALERT_WEBHOOK_BACKOFF_BASE_MS", hide = true, default_value_t = DEFAULT_ALERT_WEBHOOK_BACKOFF_BASE_MS, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub alert_webhook_backoff_base_ms: u64,
    /// Longest wait between a webhook delivery's attempts, in milliseconds.
    #[arg(long, env = "STEPWISE_ALERT_WEBHOOK_BACKOFF_CAP_MS", hide = true, default_value_t = DEFAULT_ALERT_WEBHOOK_BACKOFF_CAP_MS, value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub alert_webhook_backoff_cap_ms: u64,
    /// How often to look for risk alerts to deliver, in milliseconds.
    #[arg(long, env = "STEPWISE_ALERT_WEBHOOK_POLL_MS", hide = true, default_value_t = DEFAULT_ALERT_WEBHOOK_POLL_MS, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub alert_webhook_poll_ms: u64,
    /// How long a server's claim on a delivery lasts, in milliseconds.
    #[arg(long, env = "STEPWISE_ALERT_WEBHOOK_LEASE_MS", hide = true, default_value_t = DEFAULT_ALERT_WEBHOOK_LEASE_MS, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub alert_webhook_lease_ms: u64,
    /// The wall clock; the system's unless a test injects its own.
    #[arg(skip)]
    pub clock: Option<Arc<dyn Clock>>,
}

/// A PostgreSQL connection URL; its password is never printed. It is
/// checked when the server connects, not as the flags are read: clap's
/// message about a value it refuses quotes the value, password and all.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL, to connect with.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        Ok(Self(url.to_owned()))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(..)")
    }
}

/// The URL of the alert webhook: http or https, with a host. Only its
/// origin is ever logged (a path may hold a receiver's token).
// Boxed: `ServeConfig` stays about the size of the other commands' args.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Box<http::Uri>);

impl WebhookUrl {
    /// The URL.
    pub fn uri(&self) -> &http::Uri {
        &self.0
    }

    /// Scheme, host and port: what logs may show.
    pub fn origin(&self) -> String {
        let scheme = self.0.scheme_str().unwrap_or("http");
        let authority = self.0.authority().map_or("", |a| a.as_str());
        // Credentials in the authority stay out of the logs too.
        let host = authority.rsplit('@').next().unwrap_or(authority);
        format!("{scheme}://{host}")
    }
}

impl std::str::FromStr for WebhookUrl {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let refused = || format!("not an http:// or https:// URL with a host: {value:?}");
        let uri: http::Uri = value.parse().map_err(|_| refused())?;
        let web = matches!(uri.scheme_str(), Some("http" | "https"));
        if !web || uri.host().is_none_or(str::is_empty) {
            return Err(refused());
        }
        Ok(Self(Box::new(uri)))
    }
}

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookUrl({}/..)", self.origin())
    }
}

/// A web origin: scheme, host and optional port, nothing else.
fn parse_origin(value: &str) -> Result<http::HeaderValue, String> {
    let uri: http::Uri = value
        .parse()
        .map_err(|_| format!("{value:?} is not an origin"))?;
    let is_origin = matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.host().is_some()
        && uri
            .path_and_query()
            .is_none_or(|p| p.as_str() == "/" || p.as_str().is_empty())
        && !value.ends_with('/');
    if !is_origin {
        return Err(format!(
            "{value:?} is not an origin like https://dashboard.example.org"
        ));
    }
    http::HeaderValue::from_str(value).map_err(|_| format!("{value:?} is not an origin"))
}

impl ServeConfig {
    /// Defaults with the given address and data dir (for tests and
    /// embedding).
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen,
            data_dir: data_dir.into(),
            log_format: LogFormat::Pretty,
            cache_mb: DEFAULT_CACHE_MB,
            heartbeat_ms: DEFAULT_HEARTBEAT_MS,
            invite_ttl_secs: DEFAULT_INVITE_TTL_SECS,
            access_token_ttl_secs: DEFAULT_ACCESS_TOKEN_TTL_SECS,
            refresh_grace_secs: DEFAULT_REFRESH_GRACE_SECS,
            sync_retention_days: DEFAULT_SYNC_RETENTION_DAYS,
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            invite_retention_days: DEFAULT_INVITE_RETENTION_DAYS,
            cors_origins: Vec::new(),
            tls_cert: None,
            tls_key: None,
            metrics_listen: None,
            master_key_file: None,
            database_url: None,
            poll_ms: DEFAULT_POLL_MS,
            database_pool_size: DEFAULT_DATABASE_POOL_SIZE,
            handshake_timeout_ms: DEFAULT_HANDSHAKE_TIMEOUT_MS,
            max_connections: None,
            crisis_resources: None,
            alert_webhook: None,
            alert_webhook_secret_file: None,
            alert_webhook_backoff_base_ms: DEFAULT_ALERT_WEBHOOK_BACKOFF_BASE_MS,
            alert_webhook_backoff_cap_ms: DEFAULT_ALERT_WEBHOOK_BACKOFF_CAP_MS,
            alert_webhook_poll_ms: DEFAULT_ALERT_WEBHOOK_POLL_MS,
            alert_webhook_lease_ms: DEFAULT_ALERT_WEBHOOK_LEASE_MS,
            clock: None,
        }
    }
}

impl ServeConfig {
    /// How long device sessions' tokens work.
    pub fn sessions(&self) -> SessionSettings {
        SessionSettings {
            access_token_ttl: std::time::Duration::from_secs(self.access_token_ttl_secs),
            refresh_grace: std::time::Duration::from_secs(self.refresh_grace_secs),
        }
    }

    /// How long what expires is kept.
    pub fn retention(&self) -> RetentionPolicy {
        RetentionPolicy::from_days(
            self.sync_retention_days,
            self.audit_retention_days,
            self.invite_retention_days,
        )
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// `stepwise serve`'s flags, as the binary parses them.
    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        config: ServeConfig,
    }

    fn parse(args: &[&str]) -> Result<ServeConfig, clap::Error> {
        Serve::try_parse_from(["serve"].iter().chain(args)).map(|s| s.config)
    }

    // Flags take precedence over STEPWISE_* variables, so what these tests
    // check holds whatever the environment of the test run.

    #[test]
    fn serve_flags_parse_and_override_the_environment() {
        let config = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/tmp/x",
            "--log-format",
            "json",
            "--cache-mb",
            "64",
        ])
        .expect("valid flags");
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.cache_mb, 64);
    }

    #[test]
    fn cors_origins_are_whole_origins() {
        let config = parse(&[
            "--cors-origin",
            "https://a.example.org,http://localhost:5173",
        ])
        .expect("valid origins");
        assert_eq!(config.cors_origins.len(), 2);
        assert!(parse(&["--cors-origin", "https://a.example.org/path"]).is_err());
        assert!(parse(&["--cors-origin", "*"]).is_err());
    }

    #[test]
    fn retention_defaults_to_90_days_of_sync_and_six_years_of_audit_trail() {
        // Defaults show only when no STEPWISE_*_RETENTION_DAYS is set.
        if std::env::vars().all(|(name, _)| !name.ends_with("_RETENTION_DAYS")) {
            let config = parse(&[]).expect("defaults");
            let days = (
                config.sync_retention_days,
                config.audit_retention_days,
                config.invite_retention_days,
            );
            assert_eq!(days, (90, 2192, 30));
            assert_eq!(config.retention(), RetentionPolicy::default());
        }
        let config = parse(&[
            "--sync-retention-days",
            "30",
            "--audit-retention-days",
            "3653",
            "--invite-retention-days",
            "0",
        ])
        .expect("valid retention");
        assert_eq!(config.retention(), RetentionPolicy::from_days(30, 3653, 0));
        assert!(parse(&["--sync-retention-days", "0"]).is_err());
        assert!(parse(&["--audit-retention-days", "0"]).is_err());
    }

    #[test]
    fn database_urls_are_never_printed() {
        let config = parse(&[
            "--database-url",
            "postgres://app:secret@db.example.org/stepwise",
        ])
        .expect("valid URL");
        let url = config.database_url.expect("set");
        assert!(!format!("{url:?}").contains("secret"));
        // Checked when the server connects (tests/api/database_url.rs), so
        // that no refusal quotes the password.
        let bad = "postgres://app:secret@host:notaport/db";
        assert!(parse(&["--database-url", bad]).is_ok());
    }

    #[test]
    fn connection_limits_parse_within_their_ranges() {
        let config = parse(&["--handshake-timeout-ms", "1500", "--max-connections", "300"])
            .expect("valid limits");
        assert_eq!(config.handshake_timeout_ms, 1500);
        assert_eq!(config.max_connections, Some(300));
        assert!(parse(&["--handshake-timeout-ms", "0"]).is_err());
        assert!(parse(&["--max-connections", "0"]).is_err());
    }

    #[test]
    fn the_crisis_resources_file_is_a_path_read_at_start() {
        let config = parse(&["--crisis-resources", "/etc/stepwise/crisis.jsonl"]).expect("a path");
        assert_eq!(
            config.crisis_resources,
            Some(PathBuf::from("/etc/stepwise/crisis.jsonl"))
        );
    }

    #[test]
    fn the_alert_webhook_is_an_http_url_with_its_secret_file() {
        let config = parse(&[
            "--alert-webhook",
            "https://alerts.example.org/hooks/stepwise?token=x",
            "--alert-webhook-secret-file",
            "/etc/stepwise/webhook.secret",
        ])
        .expect("valid webhook");
        let url = config.alert_webhook.expect("set");
        assert_eq!(url.origin(), "https://alerts.example.org");
        assert!(!format!("{url:?}").contains("token"));
        for bad in [
            "ftp://alerts.example.org/x",
            "alerts.example.org",
            "http://",
            "/hooks",
        ] {
            let refused = parse(&["--alert-webhook", bad, "--alert-webhook-secret-file", "/s"])
                .expect_err(bad)
                .to_string();
            assert!(refused.contains("--alert-webhook"), "{refused}");
        }
        // Neither flag goes without the other.
        assert!(parse(&["--alert-webhook", "https://a.example.org/"]).is_err());
        assert!(parse(&["--alert-webhook-secret-file", "/s"]).is_err());
    }

    #[test]
    fn bad_addresses_are_rejected() {
        assert!(parse(&["--listen", "nowhere"]).is_err());
    }
}
