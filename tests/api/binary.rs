//! The real `stepwise` binary as a child process, for tests of what only a
//! separate process shows: kills, signals, its umask.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use stepwise::pb;
use tonic::transport::Channel;

use crate::helpers::Authed;

/// The binary under test.
pub const STEPWISE: &str = env!("CARGO_BIN_EXE_stepwise");

/// Arguments of `stepwise serve` on `data_dir`, on a free port, with JSON
/// logs (from which [`spawn_server`] reads the bound address).
pub fn serve_args(data_dir: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["serve", "--listen", "127.0.0.1:0", "--log-format", "json"]
        .map(OsString::from)
        .into();
    args.push("--data-dir".into());
    args.push(data_dir.into());
    if let Some(url) = crate::helpers::database::database_for(data_dir) {
        args.push("--database-url".into());
        args.push(url.into());
    }
    args
}

/// The binary serving `data_dir` with the extra `flags`, and the address
/// it bound.
pub fn start_with(data_dir: &Path, flags: &[&str]) -> (Child, SocketAddr) {
    spawn_server(
        Command::new(STEPWISE)
            .args(serve_args(data_dir))
            .args(flags),
    )
}

/// Spawns `command` (one that runs [`serve_args`]) and returns the child
/// and the address it logged once bound.
pub fn spawn_server(command: &mut Command) -> (Child, SocketAddr) {
    let (child, address, _) = spawn_server_logged(command);
    (child, address)
}

/// [`spawn_server`], also returning the lines the server logged before
/// the address (what it logs as it starts).
pub fn spawn_server_logged(command: &mut Command) -> (Child, SocketAddr, Vec<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut before = Vec::new();
    let address = loop {
        let line = lines
            .next()
            .expect("server logs before exiting")
            .expect("log line");
        if let Some(rest) = line.split("\"address\":\"").nth(1) {
            break rest
                .split('"')
                .next()
                .expect("address")
                .parse()
                .expect("socket address");
        }
        before.push(line);
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address, before)
}

/// The `stepwise` binary as a child process, killed when dropped (also
/// when a test fails).
pub struct ServerProcess(pub Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A channel to the server at `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

/// A channel to `addr` sending `token`.
pub async fn authed(addr: SocketAddr, token: &str) -> Authed {
    stepwise::client::authenticated(channel(addr).await, token)
}

/// A new client account's token, created by the administrator.
pub async fn new_client(addr: SocketAddr, admin_token: &str) -> String {
    let ada = pb::Account {
        role: pb::Role::Client as i32,
        display_name: "Ada".into(),
        ..Default::default()
    };
    let login = stepwise::client::accounts::AccountLogin {
        email: crate::helpers::new_email(),
        password: crate::helpers::PASSWORD.into(),
        token_label: "first token".into(),
        token_lifetime: None,
    };
    stepwise::client::accounts::create_account_with_token(
        &channel(addr).await,
        admin_token,
        ada,
        login,
    )
    .await
    .expect("create account")
    .1
}
