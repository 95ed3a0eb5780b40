//! A node on PostgreSQL through its database's restart and through a
//! failover to a synchronous standby, under write load: calls in the gap
//! fail UNAVAILABLE (never a wrong answer), the node's health says when it
//! can answer again and it reconnects by itself, every write acknowledged
//! before the outage is there after it, a push retried after the gap is
//! applied once, and a subscription resumes from its cursor.
//!
//! The clusters are the tests' own (`helpers::cluster`), so these run
//! wherever PostgreSQL's binaries are (always under `.ci/run`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use stepwise::pb;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response};

use crate::devices::{pull_everything, sync_api, upsert_goal};
use crate::helpers::cluster::Cluster;
use crate::helpers::*;

/// The longest the tests wait for a node to be back (and for anything
/// else that should happen within moments): a bound against a hang.
const GUARD: Duration = Duration::from_secs(60);

/// A node on the database at `url`.
async fn node_on(url: String) -> TestApp {
    TestApp::spawn_with(|config| {
        config.database_url = Some(url.parse().expect("database URL"));
        config.poll_ms = 50;
    })
    .await
}

/// Waits until the node's health reports `wanted`, by its health watch
/// (the stream a load balancer would hold).
async fn health_becomes(app: &TestApp, wanted: ServingStatus) {
    let wanted = match wanted {
        ServingStatus::Serving => health_check_response::ServingStatus::Serving,
        ServingStatus::NotServing => health_check_response::ServingStatus::NotServing,
        ServingStatus::Unknown => health_check_response::ServingStatus::Unknown,
    };
    let mut watch = HealthClient::new(app.channel().await)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch the node's health")
        .into_inner();
    let reached = async {
        while let Some(status) = watch.next().await {
            if status.expect("health").status == wanted as i32 {
                return;
            }
        }
        panic!("the health watch ended");
    };
    tokio::time::timeout(GUARD, reached)
        .await
        .unwrap_or_else(|_| panic!("the node's health did not become {wanted:?} in {GUARD:?}"));
}

/// Creates goals one after another until stopped; keeps the ids of those
/// the node acknowledged, and fails on any error but UNAVAILABLE.
struct Writer {
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    async fn start(app: &TestApp, token: &str) -> Writer {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut goals = app.goals(token).await;
        let kept = acknowledged.clone();
        let task = tokio::spawn(async move {
            let mut n = 0;
            while !*stopped.borrow() {
                n += 1;
                let created = goals
                    .create_goal(pb::CreateGoalRequest {
                        goal: Some(goal(&format!("goal {n}"))),
                    })
                    .await;
                match created {
                    Ok(goal) => kept.lock().unwrap().push(goal.into_inner().id),
                    Err(status) => assert_eq!(
                        status.code(),
                        Code::Unavailable,
                        "a call in the gap got a wrong answer: {status:?}"
                    ),
                }
            }
        });
        Writer {
            acknowledged,
            stop,
            task,
        }
    }

    /// How many writes were acknowledged so far.
    fn count(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until `more` writes beyond `from` were acknowledged.
    async fn until(&self, from: usize, more: usize) {
        let wait = async {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            while self.count() < from + more {
                tick.tick().await;
            }
        };
        tokio::time::timeout(GUARD, wait)
            .await
            .unwrap_or_else(|_| panic!("{more} writes were not acknowledged within {GUARD:?}"));
    }

    /// Stops writing; every acknowledged id.
    async fn finish(self) -> Vec<String> {
        let _ = self.stop.send(true);
        self.task
            .await
            .expect("the writer never got a wrong answer");
        self.acknowledged.lock().unwrap().clone()
    }
}

/// What the tests check around `outage`, which takes the node's database
/// away (the node sees NOT_SERVING), and `recovery`, which brings it (or
/// its standby) back.
async fn survives(url: String, outage: impl FnOnce(), recovery: impl FnOnce()) {
    let app = node_on(url).await;
    let token = app.new_client("Ada").await;
    let mut sync = sync_api(&app, &token).await;
    let (_, cursor) = pull_everything(&mut sync).await;
    let writer = Writer::start(&app, &token).await;
    writer.until(0, 20).await;

    outage();
    health_becomes(&app, ServingStatus::NotServing).await;
    let before = writer.count();
    // A push in the gap fails as retryable, and is sent again later.
    let retried_id = new_id();
    let push = pb::PushRequest {
        device_id: "phone".into(),
        mutations: vec![upsert_goal(
            "retried-after-the-gap",
            0,
            pb::Goal {
                id: retried_id.clone(),
                ..goal("pushed in the gap")
            },
        )],
        ..Default::default()
    };
    let in_gap = sync.push(push.clone()).await;
    if let Err(status) = &in_gap {
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }

    recovery();
    health_becomes(&app, ServingStatus::Serving).await;
    writer.until(writer.count().max(before), 20).await;
    let acknowledged = writer.finish().await;

    // The push, retried: applied once, whether or not it got through in
    // the gap; and once more, a replay.
    for _ in 0..2 {
        let results = sync.push(push.clone()).await.expect("push after the gap");
        let result = &results.into_inner().results[0];
        assert_eq!(result.outcome, pb::Outcome::Applied as i32, "{result:?}");
    }

    // Every acknowledged write is there; the pushed goal once.
    let goals = list_goals(&app, &token).await;
    let ids: std::collections::HashSet<&str> = goals.iter().map(|g| g.id.as_str()).collect();
    for id in &acknowledged {
        assert!(ids.contains(id.as_str()), "acknowledged goal {id} lost");
    }
    assert_eq!(
        goals.iter().filter(|g| g.id == retried_id).count(),
        1,
        "the retried push applied twice"
    );

    // A subscription resumes from the cursor it had before the outage.
    let mut stream = sync
        .subscribe(pb::SubscribeRequest {
            client_id: String::new(),
            cursor,
        })
        .await
        .expect("subscribe after the outage")
        .into_inner();
    let mut awaited: std::collections::HashSet<String> = acknowledged.into_iter().collect();
    awaited.insert(retried_id);
    let all_delivered = async {
        while !awaited.is_empty() {
            let event = stream.next().await.expect("event").expect("ok");
            if let Some(pb::subscribe_response::Event::Change(pb::Change {
                entity: Some(pb::change::Entity::Goal(goal)),
                ..
            })) = event.event
            {
                awaited.remove(&goal.id);
            }
        }
    };
    tokio::time::timeout(GUARD, all_delivered)
        .await
        .expect("the resumed subscription delivers every goal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_under_write_load_loses_nothing() {
    let Some(cluster) = Cluster::with_trust() else {
        return;
    };
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    survives(url, || cluster.stop_immediately(), || cluster.start_again()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_to_the_synchronous_standby_under_write_load_loses_nothing() {
    let Some((primary, standby)) = Cluster::primary_and_standby() else {
        return;
    };
    // Every commit on the primary waits for the standby (once it has
    // reported its first flush): what the primary acknowledged is on the
    // standby when it dies.
    let superuser = primary.superuser().await;
    let synchronous = async {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tick.tick().await;
            let rows = superuser
                .query(
                    "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'",
                    &[],
                )
                .await
                .expect("the primary's replication state");
            if !rows.is_empty() {
                return;
            }
        }
    };
    tokio::time::timeout(GUARD, synchronous)
        .await
        .expect("the standby becomes synchronous");
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write&connect_timeout=2",
        primary.port, standby.port
    );
    survives(url, || primary.kill_9(), || standby.promote()).await;
}
