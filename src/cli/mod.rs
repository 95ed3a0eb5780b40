//! The commands of the `stepwise` binary. They are the binary's, not the
//! library's: each parses its arguments and runs on the library's public
//! API (the server, the client, the store's backup format).

pub mod backup;
pub mod bench;
pub mod demo;
pub mod error;
pub mod export;
pub mod remote;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stepwise::config::ServeConfig;
use stepwise::server::Server;

/// Stepwise: the server therapy-companion apps sync with over gRPC. It keeps
/// each client's goals, action steps, check-ins, self-efficacy ratings,
/// questionnaires, coping skills and thought records, shares them with the
/// client's care team, and serves the therapists' dashboard.
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
    /// Run the server (the gRPC API and the dashboard, on one port) until
    /// SIGTERM or Ctrl-C.
    Serve(Box<ServeConfig>),
    /// Measure throughput and latency against a health-check baseline.
    Bench(bench::BenchArgs),
    /// Save a consistent backup of a running server to a file.
    Backup(backup::BackupArgs),
    /// Rebuild a store from a backup file, offline, in a new data dir.
    Restore(backup::RestoreArgs),
    /// Save all your data (a client's) from a running server to a file.
    Export(export::ExportArgs),
    /// Fill a new data dir with a fictional therapist's caseload (four
    /// clients, four weeks of history up to today) to try the dashboard.
    Demo(demo::DemoArgs),
}

impl Command {
    /// Runs the command to its end.
    pub async fn run(self) -> ExitCode {
        match self {
            Command::Serve(config) => {
                let _logs = stepwise::telemetry::init(config.log_format);
                #[cfg(feature = "failpoints")]
                stepwise::failpoints::control_from_stdin();
                let result = async {
                    Server::build(&config)
                        .await?
                        .run_until(shutdown_signal())
                        .await
                }
                .await;
                exit_code(result)
            }
            Command::Bench(args) => exit_code(bench::run(args).await.map(drop)),
            Command::Backup(args) => exit_code(backup::backup(args).await),
            Command::Restore(args) => exit_code(backup::restore(&args)),
            Command::Export(args) => exit_code(export::export(args).await),
            Command::Demo(args) => exit_code(demo::demo(args).await),
        }
    }
}

fn exit_code(result: Result<(), impl std::fmt::Display>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stepwise stopped with an error");
            eprintln!("stepwise: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
