//! `stepwise bench`: the benchmark harness.
//!
//! Drives a server (an embedded one on a temporary data dir, with sled or
//! on an empty PostgreSQL database, or a running one given by URL) with `connections` HTTP/2 connections and
//! `concurrency` requests in flight for a fixed time per workload, and
//! reports requests/s and latency percentiles. Every workload is also
//! reported as a ratio to the baseline measured in the same run,
//! `grpc.health.v1.Health/Check` on the same server: the cost of the gRPC
//! stack alone. Absolute numbers move with the machine; the ratios are what
//! to compare between runs.
//!
//! With `--storage-records N`, it then stores N more records and reports
//! the server's resident memory, its data dir's size and the bytes it wrote
//! to disk (from `/proc/<pid>/io`) against their logical size.

mod engine;
mod error;
mod fixture;
mod measure;
mod process;
mod report;
mod request;
mod storage;
mod workload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use stepwise::client;
use stepwise::config::ServeConfig;
use stepwise::server::Server;

use self::error::BenchError;
use self::fixture::Fixture;
use self::measure::{Measurement, measure};
pub use self::workload::Workload;
use super::backup::{ADMIN_TOKEN_ENV, admin_token_source};

/// Settings of `stepwise bench`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Against a running server (--server), the administrator's token comes \
from --admin-token-file or the environment variable STEPWISE_ADMIN_TOKEN."
)]
pub struct BenchArgs {
    /// URL of a running server to measure (`http://HOST:PORT`); without
    /// it, an embedded server on a temporary data dir.
    #[arg(long)]
    pub server: Option<http::Uri>,
    /// With the embedded server: keep its data in this PostgreSQL database
    /// (which must be empty) instead of sled in the temporary data dir.
    #[arg(long, conflicts_with = "server")]
    pub database_url: Option<stepwise::config::DatabaseUrl>,
    /// Process id of `--server`, to read its memory and disk writes for
    /// `--storage-records`.
    #[arg(long, requires = "server")]
    pub server_pid: Option<u32>,
    /// File holding the administrator token of `--server`.
    #[arg(long)]
    pub admin_token_file: Option<PathBuf>,
    /// HTTP/2 connections to open.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub connections: u32,
    /// Requests in flight at once, spread over the connections.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Seconds to run each workload (and the baseline).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Workloads to run, after the baseline (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub workloads: Vec<Workload>,
    /// Print one JSON object per workload instead of a table.
    #[arg(long)]
    pub json: bool,
    /// After the workloads, store this many more records and report memory,
    /// disk use and disk writes against their logical size.
    #[arg(long, default_value_t = 0)]
    pub storage_records: u64,
    /// Instead of everything else: store this many records of a goal's
    /// logical size straight into a sled engine with the server's default
    /// cache, in `--engine-layout`, and report the same (the engine's
    /// floor).
    #[arg(long, default_value_t = 0, conflicts_with_all = ["server", "database_url", "storage_records", "workloads", "seconds"])]
    pub engine_records: u64,
    /// What `--engine-records` stores per record: `record` (one key) or
    /// `indexed` (the record, a change and a parent index entry).
    #[arg(
        long,
        value_enum,
        default_value = "record",
        requires = "engine_records"
    )]
    pub engine_layout: engine::Layout,
}

/// A running embedded server and its data dir.
struct Embedded {
    dir: PathBuf,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), stepwise::server::ServerError>>,
}

/// Runs the baseline and the workloads, printing results as they finish.
pub async fn run(args: BenchArgs) -> Result<Vec<Measurement>, BenchError> {
    if args.engine_records > 0 {
        let records = args.engine_records;
        let cache_mb = stepwise::config::DEFAULT_CACHE_MB;
        let layout = args.engine_layout;
        let dir = scratch_dir("engine");
        tokio::task::spawn_blocking(move || engine::floor(layout, records, cache_mb, &dir))
            .await
            .map_err(|e| BenchError::Config(e.to_string()))??
            .print(args.json);
        return Ok(Vec::new());
    }
    let (uri, admin_token, embedded) = match &args.server {
        Some(uri) => (uri.clone(), external_token(&args)?, None),
        None => {
            let dir = scratch_dir("bench");
            let listen = "127.0.0.1:0"
                .parse()
                .map_err(|_| BenchError::Config("address".into()))?;
            let mut config = ServeConfig::new(listen, &dir);
            config.database_url = args.database_url.clone();
            let app = Server::build(&config).await?;
            let uri = format!("http://{}", app.local_addr())
                .parse()
                .map_err(|_| BenchError::Config("server address".into()))?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(app.run_until(async {
                let _ = stopped.await;
            }));
            let token = std::fs::read_to_string(dir.join(stepwise::data_dir::ADMIN_TOKEN_FILE))?;
            let embedded = Embedded { dir, stop, server };
            (uri, token.trim().to_owned(), Some(embedded))
        }
    };
    let workloads = if args.workloads.is_empty() {
        Workload::value_variants().to_vec()
    } else {
        args.workloads.clone()
    };
    let mut channels = Vec::new();
    for _ in 0..args.connections {
        channels.push(client::connect(&uri, None).await?);
    }
    let fixture = Arc::new(Fixture::prepare(channels, &admin_token, &workloads).await?);
    let duration = Duration::from_secs_f64(args.seconds.max(0.1));
    // The server's own usage is readable only when it runs apart.
    let server = embedded.is_none().then_some(args.server_pid).flatten();
    let baseline = measure(&fixture, None, args.concurrency, duration, server).await;
    if !args.json {
        measure::print_header();
    }
    baseline.report(&baseline, args.json);
    let mut results = vec![baseline.clone()];
    for workload in workloads {
        let measured = measure(&fixture, Some(workload), args.concurrency, duration, server).await;
        measured.report(&baseline, args.json);
        results.push(measured);
    }
    if args.storage_records > 0 {
        let pid = embedded
            .as_ref()
            .map_or(args.server_pid, |_| Some(std::process::id()));
        let mut report = storage::fill(&fixture, args.storage_records, pid).await?;
        if let Some(embedded) = &embedded {
            report.disk(storage::dir_size(&embedded.dir)?);
        }
        report.print(args.json);
    }
    if let Some(Embedded { dir, stop, server }) = embedded {
        let _ = stop.send(());
        let _ = server.await;
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(results)
}

/// A new path under the system's temporary directory for a run's data
/// (`stepwise-<what>-<uuid>`), removed by the run when it ends.
fn scratch_dir(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("stepwise-{what}-{}", uuid::Uuid::new_v4()))
}

/// The administrator token of a running server: from `--admin-token-file`,
/// else the environment, as `stepwise backup` reads it; never from the
/// command line.
fn external_token(args: &BenchArgs) -> Result<String, BenchError> {
    admin_token_source(args.admin_token_file.as_deref())
        .read(std::env::var(ADMIN_TOKEN_ENV).ok())
        .map_err(|e| BenchError::Config(format!("against --server: {e}")))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn bench(args: &[&str]) -> Result<super::BenchArgs, clap::Error> {
        let cli = Cli::try_parse_from(["stepwise", "bench"].iter().chain(args))?;
        match cli.command {
            Command::Bench(args) => Ok(args),
            other => panic!("expected bench, got {other:?}"),
        }
    }

    #[test]
    fn the_engine_floor_runs_alone_and_its_layout_needs_it() {
        let floor = bench(&["--engine-records", "10", "--engine-layout", "indexed"])
            .expect("an engine floor");
        assert_eq!(floor.engine_records, 10);
        assert!(matches!(
            floor.engine_layout,
            super::engine::Layout::Indexed
        ));
        for mixed in [
            &["--engine-records", "10", "--workloads", "push"][..],
            &["--engine-records", "10", "--seconds", "1"],
            &["--engine-records", "10", "--storage-records", "10"],
            &["--engine-records", "10", "--server", "http://127.0.0.1:1"],
            &["--engine-layout", "indexed"],
        ] {
            assert!(bench(mixed).is_err(), "{mixed:?} is refused");
        }
    }
}
