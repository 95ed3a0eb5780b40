//! The `stepwise` binary: parse the command line and run the command (see
//! [`cli`]).

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    cli::Cli::parse().command.run().await
}
