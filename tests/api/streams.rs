//! Live streams (`Subscribe`, `WatchClients`) and the connections under
//! them: how many one account may hold open, what streams nobody reads may
//! hold, and how silent connections are noticed.

use std::time::Duration;

use stepwise::limits::MAX_STREAMS_PER_ACCOUNT;
use stepwise::pb;
use stepwise::pb::care_service_client::CareServiceClient;
use tonic::Code;
use tonic::codec::Streaming;

use crate::care::team;
use crate::devices::sync_api;
use crate::helpers::*;

/// Opens a subscription to the caller's own changes.
async fn subscribe(
    app: &TestApp,
    token: &str,
) -> Result<Streaming<pb::SubscribeResponse>, tonic::Status> {
    sync_api(app, token)
        .await
        .subscribe(pb::SubscribeRequest::default())
        .await
        .map(tonic::Response::into_inner)
}

/// Asserts that a stream was refused for being one too many.
#[track_caller]
fn assert_too_many(outcome: Result<impl Sized, tonic::Status>) {
    let Err(status) = outcome else {
        panic!("a stream past the limit of {MAX_STREAMS_PER_ACCOUNT} was opened");
    };
    assert_status(&status, Code::ResourceExhausted, "TOO_MANY_STREAMS");
    assert!(
        status
            .message()
            .contains(&MAX_STREAMS_PER_ACCOUNT.to_string()),
        "the message names the limit: {status:?}"
    );
}

#[tokio::test]
async fn an_account_may_hold_a_limited_number_of_subscriptions_open() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bo = app.new_client("Bo").await;

    let mut open = Vec::new();
    for _ in 0..MAX_STREAMS_PER_ACCOUNT {
        open.push(
            subscribe(&app, &ada)
                .await
                .expect("a stream within the limit"),
        );
    }
    assert_too_many(subscribe(&app, &ada).await);

    // Another account is not affected.
    let _bos = subscribe(&app, &bo).await.expect("Bo's stream opens");

    // Closing a stream makes room. The server learns of the close a moment
    // later, so opening is retried: each refused try is a round trip that
    // gives the server time to notice.
    drop(open.pop());
    let reopened = tokio::time::timeout(Duration::from_secs(10), async {
        for _ in 0..10_000 {
            match subscribe(&app, &ada).await {
                Ok(stream) => return stream,
                Err(status) => assert_status(&status, Code::ResourceExhausted, "TOO_MANY_STREAMS"),
            }
        }
        panic!("the closed stream's place never came back");
    })
    .await
    .expect("the closed stream's place comes back");
    open.push(reopened);
    assert_too_many(subscribe(&app, &ada).await);
}

#[tokio::test]
async fn a_therapists_watches_and_subscriptions_count_toward_one_limit() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let care = CareServiceClient::new(app.authed(&team.therapist).await);
    let watch = || {
        let mut care = care.clone();
        async move { care.watch_clients(pb::WatchClientsRequest {}).await }
    };
    let follow_client = || async {
        sync_api(&app, &team.therapist)
            .await
            .subscribe(pb::SubscribeRequest {
                client_id: team.client_id.clone(),
                ..Default::default()
            })
            .await
    };

    let mut open = Vec::new();
    for _ in 0..MAX_STREAMS_PER_ACCOUNT / 2 {
        open.push(
            watch()
                .await
                .expect("a watch within the limit")
                .into_inner(),
        );
    }
    let mut followed = Vec::new();
    for _ in MAX_STREAMS_PER_ACCOUNT / 2..MAX_STREAMS_PER_ACCOUNT {
        followed.push(
            follow_client()
                .await
                .expect("a subscription within the limit"),
        );
    }

    assert_too_many(watch().await);
    assert_too_many(follow_client().await);
    // The client's own streams are theirs to count.
    let _own = subscribe(&app, &team.client)
        .await
        .expect("the client's stream opens");
}

/// The resident and peak resident memory of process `pid`, in bytes.
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or_else(|| panic!("{name} in {status}"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A push of `size` new goals, each with a `why` of the longest length.
fn push_of_long_goals(batch: usize, size: usize) -> pb::PushRequest {
    pb::PushRequest {
        cursor: String::new(),
        device_id: "phone".into(),
        mutations: (0..size)
            .map(|n| pb::Mutation {
                mutation_id: format!("{batch}-{n}"),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertGoal(pb::Goal {
                    id: new_id(),
                    why: "w".repeat(4000),
                    ..goal(&format!("Goal {batch}-{n}"))
                })),
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_nobody_reads_hold_bounded_memory_and_the_server_keeps_answering() {
    use pb::sync_service_client::SyncServiceClient;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    use crate::binary::{ServerProcess, authed, channel, new_client, start_with};

    const ACCOUNTS: usize = 4;
    // Pushes of 100 goals of about 4 KiB each: about 400 KiB a push, 2.4 MiB
    // of history per account, then 1.6 MiB more while its streams are stuck.
    const GOALS_PER_PUSH: usize = 100;
    const HISTORY_PUSHES: usize = 6;
    const LIVE_PUSHES: usize = 4;
    let data_dir = tempfile::tempdir().expect("temp dir");
    // A small page cache, so what grows is mostly what the streams hold.
    let (server, addr) = start_with(data_dir.path(), &["--cache-mb", "16"]);
    let server = ServerProcess(server);
    let admin = std::fs::read_to_string(data_dir.path().join("admin.token")).expect("admin token");
    let mut phones = Vec::new();
    for _ in 0..ACCOUNTS {
        let token = new_client(addr, admin.trim()).await;
        let mut phone = SyncServiceClient::new(authed(addr, &token).await);
        for batch in 0..HISTORY_PUSHES {
            phone
                .push(push_of_long_goals(batch, GOALS_PER_PUSH))
                .await
                .expect("push");
        }
        phones.push((token, phone));
    }
    // Measured once the history is written: what grows from here is what
    // the streams take, and the store's share of the live pushes.
    let (baseline, _) = memory_of(server.0.id());

    // Each account opens as many subscriptions as it may from the start of
    // its history, on one connection, and never reads them; its phone
    // (on its own connection) goes on pushing.
    let mut unread = Vec::new();
    for (token, phone) in &mut phones {
        let api = SyncServiceClient::new(authed(addr, token).await);
        for _ in 0..MAX_STREAMS_PER_ACCOUNT {
            let stream = api
                .clone()
                .subscribe(pb::SubscribeRequest::default())
                .await
                .expect("subscribe");
            unread.push(stream.into_inner());
        }
        for batch in HISTORY_PUSHES..HISTORY_PUSHES + LIVE_PUSHES {
            phone
                .push(push_of_long_goals(batch, GOALS_PER_PUSH))
                .await
                .expect("push");
        }
    }

    // The server still answers health checks and other clients.
    let answers = async {
        let health = HealthClient::new(channel(addr).await)
            .check(HealthCheckRequest::default())
            .await
            .expect("health answers")
            .into_inner();
        assert_eq!(health.status(), ServingStatus::Serving);
        let other = new_client(addr, admin.trim()).await;
        let mut goals = pb::goal_service_client::GoalServiceClient::new(authed(addr, &other).await);
        goals
            .create_goal(pb::CreateGoalRequest {
                goal: Some(goal("Still answered")),
            })
            .await
            .expect("another client's call is answered");
    };
    tokio::time::timeout(Duration::from_secs(30), answers)
        .await
        .expect("answers come while the streams are stuck");

    let (_, peak) = memory_of(server.0.id());
    drop(server);
    drop(unread);
    // The bound: each of the 64 unread streams holds at most one page read
    // from the store (64 changes, 256 KiB), its channel's 64 events (about
    // 4 KiB each here) and HTTP/2's send buffer (hyper's 400 KiB; less in
    // fact, as an account's streams share its connection's 64 KiB window):
    // under 1 MiB each, 64 MiB in all. Add the store's page cache (16 MiB)
    // and its buffers for the 6 MiB pushed meanwhile: under 100 MiB. (With
    // pull-sized pages of 2 MiB, this grew by about 115 MiB; it grows by
    // about 40 MiB now.)
    assert!(
        peak - baseline < 100 << 20,
        "resident memory grew from {} MiB to a peak of {} MiB",
        baseline >> 20,
        peak >> 20
    );
}

/// The kernel's timer kinds (the `tr` column of `/proc/net/tcp`) of the
/// established connections whose local end is `addr`: 2 means keepalive
/// probes are scheduled, 0 that no timer runs.
#[cfg(target_os = "linux")]
fn tcp_timers_of_connections_to(addr: std::net::SocketAddr) -> Vec<String> {
    let std::net::IpAddr::V4(ip) = addr.ip() else {
        panic!("the tests listen on IPv4");
    };
    // Addresses as the kernel prints them: the IPv4 address in host order.
    let local = format!(
        "{:08X}:{:04X}",
        u32::from_le_bytes(ip.octets()),
        addr.port()
    );
    std::fs::read_to_string("/proc/net/tcp")
        .expect("/proc/net/tcp")
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields[1] == local && fields[3] == "01")
        .map(|fields| fields[5].split(':').next().unwrap_or_default().to_owned())
        .collect()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_server_turns_on_tcp_keepalive_for_its_connections() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    let app = TestApp::spawn().await;
    // Once a call is answered, the server has accepted the connection and
    // set its socket options.
    let channel = app.channel().await;
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .expect("health answers");

    // While a segment awaits its ACK, the retransmission timer (1) shows
    // instead; on loopback the ACK is a moment away.
    let timers = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let timers = tcp_timers_of_connections_to(app.addr);
            if !timers.is_empty() && timers.iter().all(|timer| timer != "01") {
                return timers;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the connection is listed, with no segment unacknowledged");
    assert!(
        timers.iter().all(|timer| timer == "02"),
        "keepalive timers on every connection: {timers:?}"
    );
    drop(channel);
}
