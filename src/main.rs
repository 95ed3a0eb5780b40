//! The `stepwise` binary: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use stepwise::config::{Cli, Command};
use stepwise::server::Application;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            stepwise::telemetry::init(config.log_format);
            #[cfg(feature = "failpoints")]
            stepwise::failpoints::control_from_stdin();
            let result = async {
                Application::build(&config)
                    .await?
                    .run_until(shutdown_signal())
                    .await
            }
            .await;
            exit_code(result)
        }
        Command::Bench(config) => exit_code(stepwise::bench::run(config).await.map(drop)),
        Command::Backup(mut config) => {
            config.admin_token = std::env::var(stepwise::backup::ADMIN_TOKEN_ENV).ok();
            exit_code(stepwise::backup::backup(&config).await.map(|entries| {
                println!(
                    "backup written to {} ({entries} entries)",
                    config.to.display()
                );
            }))
        }
        Command::Restore(config) => {
            exit_code(stepwise::backup::restore_store(&config).map(|entries| {
                println!(
                    "store rebuilt in {} ({entries} entries, new epoch)",
                    config.data_dir.display()
                );
            }))
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
