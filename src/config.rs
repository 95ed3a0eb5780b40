//! Command line and environment configuration, validated at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::Clock;

/// Stepwise: goals, action steps, check-ins and self-efficacy ratings for
/// therapy-companion apps, over gRPC.
#[derive(Debug, Parser)]
#[command(name = "stepwise", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server until SIGTERM or Ctrl-C.
    Serve(ServeConfig),
    /// Measure throughput and latency against a health-check baseline.
    Bench(crate::bench::BenchConfig),
    /// Save a consistent backup of a running server to a file.
    Backup(crate::backup::BackupConfig),
    /// Rebuild a store from a backup file, offline, in a new data dir.
    Restore(crate::backup::RestoreConfig),
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Settings of `stepwise serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free port (the bound address is
    /// logged).
    #[arg(long, env = "STEPWISE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Directory of the embedded database; created if missing. Made
    /// private to the server's user at every start (see
    /// [`crate::data_dir`]).
    #[arg(long, env = "STEPWISE_DATA_DIR", default_value = "./stepwise-data")]
    pub data_dir: PathBuf,
    /// Log format.
    #[arg(long, env = "STEPWISE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Size of the database page cache in MiB; bounds the server's memory.
    #[arg(long, env = "STEPWISE_CACHE_MB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(8..=65536))]
    pub cache_mb: u64,
    /// Interval of heartbeats on idle Subscribe streams, in milliseconds.
    #[arg(long, env = "STEPWISE_HEARTBEAT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub heartbeat_ms: u64,
    /// How long an invite code works, in seconds (default 7 days).
    #[arg(long, env = "STEPWISE_INVITE_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub invite_ttl_secs: u64,
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
    /// The wall clock; the system's unless a test injects its own.
    #[arg(skip)]
    pub clock: Option<Arc<dyn Clock>>,
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
            cache_mb: 128,
            heartbeat_ms: 5000,
            invite_ttl_secs: 7 * 24 * 3600,
            cors_origins: Vec::new(),
            tls_cert: None,
            tls_key: None,
            metrics_listen: None,
            clock: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_flags_parse_without_touching_the_environment() {
        let cli = Cli::try_parse_from([
            "stepwise",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/tmp/x",
            "--log-format",
            "json",
        ])
        .expect("valid flags");
        let Command::Serve(config) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn cors_origins_are_whole_origins() {
        let cli = Cli::try_parse_from([
            "stepwise",
            "serve",
            "--cors-origin",
            "https://a.example.org,http://localhost:5173",
        ])
        .expect("valid origins");
        let Command::Serve(config) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(config.cors_origins.len(), 2);
        assert!(
            Cli::try_parse_from([
                "stepwise",
                "serve",
                "--cors-origin",
                "https://a.example.org/path"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["stepwise", "serve", "--cors-origin", "*"]).is_err());
    }

    #[test]
    fn bad_addresses_are_rejected() {
        assert!(Cli::try_parse_from(["stepwise", "serve", "--listen", "nowhere"]).is_err());
    }
}
