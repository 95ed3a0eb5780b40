//! Acknowledged writes survive `kill -9`: the real binary as a child
//! process, killed while writers are busy, restarted on the same data dir.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::devices::pull_everything;
use crate::helpers::{Authed, Bearer, goal};

/// The `stepwise` binary serving `data_dir`, and the address it bound.
fn start(data_dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
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
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

async fn authed(addr: SocketAddr, token: &str) -> Authed {
    InterceptedService::new(channel(addr).await, Bearer(token.to_owned()))
}

async fn new_client(addr: SocketAddr, admin_token: &str) -> String {
    let request = pb::CreateAccountRequest {
        account: Some(pb::Account {
            role: pb::Role::Client as i32,
            display_name: "Ada".into(),
            ..Default::default()
        }),
    };
    AccountServiceClient::new(authed(addr, admin_token).await)
        .create_account(request)
        .await
        .expect("create account")
        .into_inner()
        .token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_survives_kill_9() {
    const WRITERS: usize = 8;
    const ACKS_BEFORE_KILL: usize = 150;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut server, mut addr) = start(data_dir.path());
    let admin = std::fs::read_to_string(data_dir.path().join("admin.token")).expect("admin token");
    let token = new_client(addr, admin.trim()).await;

    let acknowledged: Arc<Mutex<Vec<pb::Goal>>> = Arc::default();
    for round in 0..3 {
        let (done, mut enough) = tokio::sync::mpsc::channel::<()>(WRITERS);
        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let acknowledged = acknowledged.clone();
            let done = done.clone();
            let mut api = GoalServiceClient::new(authed(addr, &token).await);
            writers.push(tokio::spawn(async move {
                for n in 0.. {
                    let request = pb::CreateGoalRequest {
                        goal: Some(goal(&format!("round {round} writer {writer} goal {n}"))),
                    };
                    match api.create_goal(request).await {
                        Ok(created) => {
                            let mut acked = acknowledged.lock().expect("lock");
                            acked.push(created.into_inner());
                            if acked.len() >= ACKS_BEFORE_KILL * (round + 1) {
                                let _ = done.try_send(());
                            }
                        }
                        // The server was killed under this call.
                        Err(_) => return,
                    }
                }
            }));
        }
        enough.recv().await.expect("writers acknowledge writes");
        server.kill().expect("SIGKILL");
        server.wait().expect("killed server is reaped");
        for writer in writers {
            writer.await.expect("writer ends");
        }

        (server, addr) = start(data_dir.path());
        let mut api = GoalServiceClient::new(authed(addr, &token).await);
        let acked_so_far = acknowledged.lock().expect("lock").clone();
        for acked in &acked_so_far {
            let stored = api
                .get_goal(pb::GetGoalRequest {
                    id: acked.id.clone(),
                })
                .await
                .unwrap_or_else(|e| panic!("acknowledged goal {} lost: {e}", acked.id))
                .into_inner();
            assert_eq!(
                &stored, acked,
                "acknowledged goal kept with its acknowledged version"
            );
        }
        let mut sync = SyncServiceClient::new(authed(addr, &token).await);
        let (pulled, _) = pull_everything(&mut sync).await;
        let mut versions: Vec<i64> = pulled
            .iter()
            .map(stepwise::client::change_version)
            .collect();
        let count = versions.len();
        versions.sort_unstable();
        versions.dedup();
        assert_eq!(
            versions.len(),
            count,
            "each change once, at distinct sequence numbers"
        );
        assert!(count >= acked_so_far.len());
    }
    server.kill().expect("stop the server");
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly_and_keeps_its_data() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut server, addr) = start(data_dir.path());
    let admin = std::fs::read_to_string(data_dir.path().join("admin.token")).expect("admin token");
    let token = new_client(addr, admin.trim()).await;
    let created = GoalServiceClient::new(authed(addr, &token).await)
        .create_goal(pb::CreateGoalRequest {
            goal: Some(goal("Stretch")),
        })
        .await
        .expect("create goal")
        .into_inner();

    let pid = server.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("waiter")
        .expect("server exits");
    assert!(status.success(), "exit status {status:?}");

    let (mut server, addr) = start(data_dir.path());
    let stored = GoalServiceClient::new(authed(addr, &token).await)
        .get_goal(pb::GetGoalRequest {
            id: created.id.clone(),
        })
        .await
        .expect("goal kept")
        .into_inner();
    assert_eq!(stored, created);
    server.kill().expect("stop the server");
    let _ = server.wait();
}
