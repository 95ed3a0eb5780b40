//! `stepwise backup` and `stepwise restore`.
//!
//! The administrator's token never comes from the command line, where any
//! user of the machine could read it (`ps`, shell history): it comes from
//! the environment variable `STEPWISE_ADMIN_TOKEN` or from a file named
//! with `--admin-token-file`.

use std::path::{Path, PathBuf};

use clap::Args;
use stepwise::client;

use super::error::CommandError;
use super::remote::{ServerArgs, TokenSource};

/// Environment variable that may hold an administrator's token.
pub const ADMIN_TOKEN_ENV: &str = "STEPWISE_ADMIN_TOKEN";

/// Settings of `stepwise backup`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "The administrator's token comes from --admin-token-file or, without it, \
from the environment variable STEPWISE_ADMIN_TOKEN; never from the command line."
)]
pub struct BackupArgs {
    /// File to write the backup to (replaced only once the backup is
    /// complete and checked).
    #[arg(long)]
    pub to: PathBuf,
    /// The server.
    #[command(flatten)]
    pub remote: ServerArgs,
    /// File holding an administrator's token, such as `admin.token` in
    /// the server's data dir (`Bearer <token>` is read too; surrounding
    /// whitespace is ignored). Takes precedence over
    /// `STEPWISE_ADMIN_TOKEN`.
    #[arg(long, env = "STEPWISE_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
}

impl BackupArgs {
    /// The administrator's token: the contents of `admin_token_file` if
    /// given, else `from_env`.
    fn token(&self, from_env: Option<String>) -> Result<String, CommandError> {
        admin_token_source(self.admin_token_file.as_deref()).read(from_env)
    }
}

/// Where an administrator's token comes from: `file`, given with
/// `--admin-token-file`, else `STEPWISE_ADMIN_TOKEN`.
pub fn admin_token_source(file: Option<&Path>) -> TokenSource<'_> {
    TokenSource {
        file,
        flag: "--admin-token-file",
        env: ADMIN_TOKEN_ENV,
        whose: "administrator",
    }
}

/// Settings of `stepwise restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup file.
    #[arg(long)]
    pub from: PathBuf,
    /// New (or empty) data dir to rebuild the store in; made private to
    /// your user. It gets no `admin.token`: the tokens of the server
    /// backed up keep working.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The master key of the server the backup comes from (its data dir's
    /// `master.key`, or its `--master-key-file`). It is checked against the
    /// backup and copied into the new data dir. Without it, the restored
    /// store's server needs `--master-key-file` at start.
    #[arg(long, env = "STEPWISE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
}

/// `stepwise backup`: streams a backup from the server into `args.to`.
pub async fn backup(args: BackupArgs) -> Result<(), CommandError> {
    let token = args.token(std::env::var(ADMIN_TOKEN_ENV).ok())?;
    let channel = args.remote.connect().await?;
    let entries = client::backup::download(channel, &token, &args.to).await?;
    println!(
        "backup written to {} ({entries} entries)",
        args.to.display()
    );
    Ok(())
}

/// `stepwise restore`: rebuilds a store from a backup file, then says what
/// a newcomer would otherwise find out by failing: that there is no token
/// file, and how to start a server on it beside the one backed up.
pub fn restore(args: &RestoreArgs) -> Result<(), CommandError> {
    let entries = stepwise::store::kv::restore::restore(
        &args.from,
        &args.data_dir,
        args.master_key_file.as_deref(),
    )?;
    println!(
        "store rebuilt in {} from {} ({entries} entries, new epoch: devices sync it afresh)",
        args.data_dir.display(),
        args.from.display()
    );
    println!(
        "it has no admin.token: the store keeps only tokens' hashes, so the administrator's \
         token of the server backed up works on it, as every other token does"
    );
    let mut serve = format!(
        "{} serve --data-dir {} --listen 127.0.0.1:50052",
        this_program(),
        shell_word(&args.data_dir.display().to_string())
    );
    if args.master_key_file.is_none() {
        serve.push_str(" --master-key-file KEY");
        println!(
            "no master key given: start its server with --master-key-file naming the key \
             (KEY) of the server the backup comes from"
        );
    }
    println!(
        "start it with (on a port of its own while the server backed up holds 50051):\n  {serve}"
    );
    Ok(())
}

/// How this program was run (`stepwise`, or `target/debug/stepwise` under
/// `cargo run`), to print commands that work as they are.
fn this_program() -> String {
    std::env::args()
        .next()
        .map_or_else(|| "stepwise".to_owned(), |program| shell_word(&program))
}

/// `word` as one shell word: quoted if it holds anything a shell would
/// split or expand.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@%=".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn backup_config(args: &[&str]) -> Result<BackupArgs, clap::Error> {
        let argv = ["stepwise", "backup", "--to", "stepwise.backup"];
        let cli = Cli::try_parse_from(argv.iter().chain(args))?;
        match cli.command {
            Command::Backup(config) => Ok(config),
            other => panic!("expected backup, got {other:?}"),
        }
    }

    #[test]
    fn the_server_is_a_url_and_a_bare_address_means_http() {
        let server = |value: &str| backup_config(&["--server", value]).map(|c| c.remote.server);
        assert_eq!(
            server("127.0.0.1:50051").expect("bare address").to_string(),
            "http://127.0.0.1:50051/"
        );
        assert_eq!(
            server("https://stepwise.example.org:8443")
                .expect("https URL")
                .scheme_str(),
            Some("https")
        );
        for bad in [
            "ftp://example.org",
            "https://example.org/path",
            "https://",
            "no spaces",
        ] {
            assert!(server(bad).is_err(), "{bad:?} is not a server URL");
        }
    }

    #[test]
    fn the_token_file_is_read_and_trimmed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("admin.token");
        std::fs::write(&path, "sw_secret\n").expect("write token");
        let config = backup_config(&["--admin-token-file", path.to_str().expect("utf-8")])
            .expect("valid flags");
        assert_eq!(config.token(None).expect("token"), "sw_secret");
    }

    #[test]
    fn the_admin_token_is_never_taken_from_the_command_line() {
        let parsed = Cli::try_parse_from([
            "stepwise",
            "backup",
            "--to",
            "stepwise.backup",
            "--admin-token",
            "secret",
        ]);
        assert!(parsed.is_err(), "argv is visible to every user in ps");
    }
}
