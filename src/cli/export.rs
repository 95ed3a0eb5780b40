//! `stepwise export`: a client's own data, saved from a running server as
//! JSON lines (see [`stepwise::client::export`]).
//!
//! The client's token never comes from the command line: from the file
//! named with `--token-file`, or from `STEPWISE_TOKEN`.

use std::path::PathBuf;

use clap::Args;
use stepwise::client;

use super::error::CommandError;
use super::remote::{ServerArgs, TokenSource};

/// Environment variable that may hold the client's token.
pub const TOKEN_ENV: &str = "STEPWISE_TOKEN";

/// Settings of `stepwise export`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Your token comes from --token-file or, without it, from the environment \
variable STEPWISE_TOKEN; never from the command line. The file holds one JSON object per \
line (protobuf's JSON mapping of stepwise.v1.ExportDataResponse), the trailer with the \
count and SHA-256 of the items last; it is readable only by you."
)]
pub struct ExportArgs {
    /// File to write the export to (replaced only once the export is whole
    /// and checked).
    #[arg(long)]
    pub to: PathBuf,
    /// The server.
    #[command(flatten)]
    pub remote: ServerArgs,
    /// File holding your token: the bare token (`Bearer <token>` is read
    /// too; surrounding whitespace is ignored). Takes precedence over
    /// `STEPWISE_TOKEN`.
    #[arg(long, env = "STEPWISE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

/// `stepwise export`: streams the caller's data into `args.to`.
pub async fn export(args: ExportArgs) -> Result<(), CommandError> {
    let token = TokenSource {
        file: args.token_file.as_deref(),
        flag: "--token-file",
        env: TOKEN_ENV,
        whose: "client's",
    }
    .read(std::env::var(TOKEN_ENV).ok())?;
    let channel = args.remote.connect().await?;
    let items = client::export::download(channel, &token, &args.to).await?;
    println!(
        "export written to {} ({items} items, checked against the trailer)",
        args.to.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::Cli;

    #[test]
    fn the_token_is_never_taken_from_the_command_line() {
        let parsed = Cli::try_parse_from([
            "stepwise",
            "export",
            "--to",
            "ada.jsonl",
            "--token",
            "secret",
        ]);
        assert!(parsed.is_err(), "argv is visible to every user in ps");
    }
}
