//! Acknowledged writes survive `kill -9`: the real binary as a child
//! process, killed while writers are busy, restarted on the same data dir.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

use stepwise::pb;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::sync_service_client::SyncServiceClient;

use crate::binary::{authed, new_client, start_with};
use crate::devices::{pull_everything, pull_from};
use crate::helpers::goal;

/// The `stepwise` binary serving `data_dir`, and the address it bound.
fn start(data_dir: &Path) -> (Child, SocketAddr) {
    start_with(data_dir, &[])
}

/// What the writers saw: goals acknowledged, and pushes acknowledged or
/// cut off by the kill (to replay).
#[derive(Default)]
struct Seen {
    acked_goals: Vec<pb::Goal>,
    acked_deletes: Vec<String>,
    acked_pushes: Vec<(pb::PushRequest, pb::PushResponse)>,
    lost_pushes: Vec<pb::PushRequest>,
}

/// A push of `size` new goals with fresh mutation ids.
fn push_of_new_goals(label: &str, size: usize) -> pb::PushRequest {
    pb::PushRequest {
        cursor: String::new(),
        device_id: label.into(),
        mutations: (0..size)
            .map(|n| pb::Mutation {
                mutation_id: format!("{label}-{n}"),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertGoal(pb::Goal {
                    id: uuid::Uuid::new_v4().to_string(),
                    ..goal(&format!("{label} goal {n}"))
                })),
            })
            .collect(),
        ..Default::default()
    }
}

/// Writes until the server dies: even writers create goals one by one,
/// odd writers push batches.
async fn write_until_killed(
    addr: SocketAddr,
    token: String,
    writer: usize,
    round: usize,
    seen: Arc<Mutex<Seen>>,
) {
    let mut goals = GoalServiceClient::new(authed(addr, &token).await);
    let mut sync = SyncServiceClient::new(authed(addr, &token).await);
    for n in 0.. {
        let label = format!("r{round}-w{writer}-{n}");
        if writer.is_multiple_of(2) {
            let request = pb::CreateGoalRequest {
                goal: Some(goal(&label)),
            };
            let created = match goals.create_goal(request).await {
                Ok(created) => created.into_inner(),
                Err(_) => return,
            };
            // Every third goal is deleted again, leaving a tombstone.
            if n % 3 == 2 {
                let delete = pb::DeleteGoalRequest {
                    id: created.id.clone(),
                    version: created.version,
                };
                match goals.delete_goal(delete).await {
                    Ok(_) => seen.lock().expect("lock").acked_deletes.push(created.id),
                    Err(_) => return,
                }
            } else {
                seen.lock().expect("lock").acked_goals.push(created);
            }
        } else {
            let request = push_of_new_goals(&label, 5);
            match sync.push(request.clone()).await {
                Ok(response) => seen
                    .lock()
                    .expect("lock")
                    .acked_pushes
                    .push((request, response.into_inner())),
                Err(_) => {
                    seen.lock().expect("lock").lost_pushes.push(request);
                    return;
                }
            }
        }
    }
}

fn acked_count(seen: &Mutex<Seen>) -> usize {
    let seen = seen.lock().expect("lock");
    seen.acked_goals.len() + seen.acked_pushes.len() * 5
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_survives_kill_9() {
    const WRITERS: usize = 8;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut server, mut addr) = start(data_dir.path());
    let admin = std::fs::read_to_string(data_dir.path().join("admin.token")).expect("admin token");
    let token = new_client(addr, admin.trim()).await;
    let seen: Arc<Mutex<Seen>> = Arc::default();

    for round in 0..3 {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                tokio::spawn(write_until_killed(
                    addr,
                    token.clone(),
                    writer,
                    round,
                    seen.clone(),
                ))
            })
            .collect();
        // A random moment: after 50 to 400 more acknowledged records.
        let kill_at = acked_count(&seen) + rand::random_range(50..400);
        while acked_count(&seen) < kill_at {
            tokio::task::yield_now().await;
        }
        server.kill().expect("SIGKILL");
        server.wait().expect("killed server is reaped");
        for writer in writers {
            writer.await.expect("writer ends");
        }

        (server, addr) = start(data_dir.path());
        let mut goals = GoalServiceClient::new(authed(addr, &token).await);
        let mut sync = SyncServiceClient::new(authed(addr, &token).await);
        let (acked_goals, acked_deletes, acked_pushes, lost_pushes) = {
            let mut seen = seen.lock().expect("lock");
            let lost = std::mem::take(&mut seen.lost_pushes);
            (
                seen.acked_goals.clone(),
                seen.acked_deletes.clone(),
                seen.acked_pushes.clone(),
                lost,
            )
        };
        for deleted in &acked_deletes {
            let status = goals
                .get_goal(pb::GetGoalRequest {
                    id: deleted.clone(),
                })
                .await
                .expect_err("an acknowledged delete stays deleted");
            assert_eq!(status.code(), tonic::Code::NotFound);
        }

        // Every acknowledged write is there, at its acknowledged version.
        let mut expected: Vec<pb::Goal> = acked_goals;
        for (_, response) in &acked_pushes {
            for result in &response.results {
                assert_eq!(result.outcome, pb::Outcome::Applied as i32);
                if let Some(pb::change::Entity::Goal(goal)) =
                    result.current.as_ref().and_then(|c| c.entity.clone())
                {
                    expected.push(goal);
                }
            }
        }
        for acked in &expected {
            let stored = goals
                .get_goal(pb::GetGoalRequest {
                    id: acked.id.clone(),
                })
                .await
                .unwrap_or_else(|e| panic!("acknowledged goal {} lost: {e}", acked.id))
                .into_inner();
            assert_eq!(&stored, acked, "kept at its acknowledged version");
        }

        // The change index is exact: from sequence 0 (tombstones included)
        // each record and tombstone appears once, in strictly increasing
        // sequence; the live ones are exactly the store's contents.
        let (_, initial_cursor) = pull_everything(&mut sync).await;
        let mut from_zero = stepwise::domain::Cursor::decode(&initial_cursor).expect("cursor");
        from_zero.seq = 0;
        let (everything, _) = pull_from(&mut sync, &from_zero.encode(), 0).await;
        let tombstones: BTreeSet<String> = everything
            .iter()
            .filter_map(|c| match &c.entity {
                Some(pb::change::Entity::Tombstone(t)) => Some(t.id.clone()),
                _ => None,
            })
            .collect();
        assert!(
            acked_deletes.iter().all(|id| tombstones.contains(id)),
            "every acknowledged delete has its tombstone"
        );
        let all_ids: BTreeSet<String> = everything
            .iter()
            .map(|c| stepwise::client::change_id(c).to_owned())
            .collect();
        assert_eq!(
            all_ids.len(),
            everything.len(),
            "each record and tombstone once"
        );
        let all_versions: Vec<i64> = everything
            .iter()
            .map(stepwise::client::change_version)
            .collect();
        assert!(
            all_versions.windows(2).all(|w| w[0] < w[1]),
            "strictly increasing sequence"
        );
        // Later pages of an initial sync may carry tombstones of records
        // the device never got; the live records are what must match.
        let (pulled, _) = pull_everything(&mut sync).await;
        let pulled: Vec<pb::Change> = pulled
            .into_iter()
            .filter(|c| !matches!(c.entity, Some(pb::change::Entity::Tombstone(_))))
            .collect();
        let versions: Vec<i64> = pulled
            .iter()
            .map(stepwise::client::change_version)
            .collect();
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "strictly increasing sequence"
        );
        let pulled_ids: BTreeSet<String> = pulled
            .iter()
            .map(|c| stepwise::client::change_id(c).to_owned())
            .collect();
        assert_eq!(pulled_ids.len(), pulled.len(), "each record once");
        let mut listed = BTreeSet::new();
        let mut page_token = String::new();
        loop {
            let page = goals
                .list_goals(pb::ListGoalsRequest {
                    page_size: 1000,
                    page_token: page_token.clone(),
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner();
            listed.extend(page.goals.into_iter().map(|g| g.id));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let only_pulled: Vec<_> = pulled_ids.difference(&listed).collect();
        let only_listed: Vec<_> = listed.difference(&pulled_ids).collect();
        assert!(
            only_pulled.is_empty() && only_listed.is_empty(),
            "a pull from the beginning equals the store: only pulled {only_pulled:?}, only listed {only_listed:?}"
        );

        // Replays are idempotent: an acknowledged push returns its results
        // again; a push cut off by the kill either applied everything (and
        // says so) or nothing, and applies now; never a conflict.
        for (request, response) in acked_pushes.iter().rev().take(3) {
            let replayed = sync
                .push(request.clone())
                .await
                .expect("replay")
                .into_inner();
            assert_eq!(&replayed, response);
        }
        for request in lost_pushes {
            let replayed = sync.push(request).await.expect("replay").into_inner();
            for result in replayed.results {
                assert_eq!(
                    result.outcome,
                    pb::Outcome::Applied as i32,
                    "{}",
                    result.error
                );
            }
        }
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
