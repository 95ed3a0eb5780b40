//! No answer, unary or streamed, carries state that is not on disk
//! (feature `failpoints`). Failpoints hold the flusher and a pull at chosen
//! moments, the server is killed, and after the restart every device that
//! was answered still agrees with the server.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tokio::sync::mpsc;

use crate::binary::{STEPWISE, authed, new_client, serve_args};
use crate::devices::{pull_everything, pull_from};
use crate::helpers::database::{postgres_only, share_database};
use crate::helpers::goal;

/// The real binary, whose failpoints the test holds and releases through
/// its stdin, and whose log lines it reads.
struct Server {
    child: Child,
    addr: SocketAddr,
    stdin: ChildStdin,
    log: mpsc::UnboundedReceiver<String>,
}

/// Longest wait for a log line the test knows must come.
const GUARD: Duration = Duration::from_secs(60);

impl Server {
    async fn start(data_dir: &Path) -> Self {
        let mut server = Self::spawn(data_dir, &[]);
        server.serving().await;
        server
    }

    /// The binary on `data_dir` with `env`, not yet waited for.
    fn spawn(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(STEPWISE)
            .args(serve_args(data_dir))
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, log) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            addr: "127.0.0.1:1".parse().expect("placeholder"),
            stdin,
            log,
        }
    }

    /// Waits until the server serves, and learns its address.
    async fn serving(&mut self) {
        let serving = self.line_with(&["\"serving\""]).await;
        self.addr = serving
            .split("\"address\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("address")
            .parse()
            .expect("socket address");
    }

    /// The next log line containing every one of `parts`.
    async fn line_with(&mut self, parts: &[&str]) -> String {
        tokio::time::timeout(GUARD, async {
            loop {
                let line = self.log.recv().await.expect("the server is running");
                if parts.iter().all(|part| line.contains(part)) {
                    return line;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no log line with {parts:?}"))
    }

    /// Sends a failpoint command and waits until it took effect.
    async fn failpoint(&mut self, command: &str, name: &str) {
        writeln!(self.stdin, "{command} {name}").expect("command sent");
        let named = format!("\"failpoint\":\"{name}\"");
        self.line_with(&["failpoint set", &named]).await;
    }

    /// Waits until a thread reached failpoint `name`.
    async fn reached(&mut self, name: &str) {
        let named = format!("\"failpoint\":\"{name}\"");
        self.line_with(&["failpoint reached", &named]).await;
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("killed server is reaped");
    }
}

/// The administrator's token that the server on `data_dir` wrote.
fn admin_token(data_dir: &Path) -> String {
    let token = std::fs::read_to_string(data_dir.join("admin.token")).expect("admin token");
    token.trim().to_owned()
}

/// The goals of a replica: id → (version, title).
type Replica = BTreeMap<String, (i64, String)>;

fn apply(replica: &mut Replica, changes: Vec<pb::Change>) {
    for change in changes {
        match change.entity {
            Some(pb::change::Entity::Goal(goal)) => {
                replica.insert(goal.id, (goal.version, goal.title));
            }
            Some(pb::change::Entity::Tombstone(tombstone)) => {
                replica.remove(&tombstone.id);
            }
            other => panic!("only goals were written, got {other:?}"),
        }
    }
}

/// An answer, if the server gives one within a moment. Used only for calls
/// that must NOT answer while their data is not durable: an answer that
/// does come is checked against the state after the crash.
async fn answer_if_any<T>(call: tokio::task::JoinHandle<T>) -> Option<T> {
    tokio::time::timeout(Duration::from_secs(1), call)
        .await
        .ok()
        .map(|joined| joined.expect("call task"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_answer_carries_a_change_that_a_crash_then_undoes() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(data_dir.path()).await;
    let token = new_client(server.addr, &admin_token(data_dir.path())).await;
    let mut goals = GoalServiceClient::new(authed(server.addr, &token).await);
    let create = |title: &str| pb::CreateGoalRequest {
        goal: Some(goal(title)),
    };

    // The device has goals 1 and 2; goal 3 is acknowledged after its pull.
    goals.create_goal(create("One")).await.expect("goal 1");
    goals.create_goal(create("Two")).await.expect("goal 2");
    let mut device = SyncServiceClient::new(authed(server.addr, &token).await);
    let (changes, cursor) = pull_everything(&mut device).await;
    let mut replica = Replica::new();
    apply(&mut replica, changes);
    let three = goals
        .create_goal(create("Three"))
        .await
        .expect("goal 3")
        .into_inner();

    // From here on nothing becomes durable. The device's next pull reads
    // the head (goal 3) and waits; meanwhile a tablet moves goal 3 to a new
    // version, which commits but is never acknowledged.
    server.failpoint("hold", "store::flush").await;
    server.failpoint("notify", "store::committed").await;
    server.failpoint("hold", "sync::pull_before_scan").await;
    let pull = tokio::spawn({
        let mut device = device.clone();
        let cursor = cursor.clone();
        async move {
            device
                .pull(pb::PullRequest {
                    cursor,
                    ..Default::default()
                })
                .await
        }
    });
    server.reached("sync::pull_before_scan").await;
    let moved = pb::UpdateGoalRequest {
        goal: Some(pb::Goal {
            id: three.id.clone(),
            title: "Moved".into(),
            ..Default::default()
        }),
        update_mask: crate::helpers::mask(&["title"]),
    };
    let mut tablet = GoalServiceClient::new(authed(server.addr, &token).await);
    let _never_acknowledged = tokio::spawn(async move { tablet.update_goal(moved).await });
    server.reached("store::committed").await;
    // A reader asks for goal 3 while its new version is not on disk.
    let get = tokio::spawn({
        let mut reader = GoalServiceClient::new(authed(server.addr, &token).await);
        let id = three.id.clone();
        async move { reader.get_goal(pb::GetGoalRequest { id }).await }
    });
    server.failpoint("release", "sync::pull_before_scan").await;

    let pulled = answer_if_any(pull).await;
    let got = answer_if_any(get).await;
    server.kill();

    let server = Server::start(data_dir.path()).await;
    let mut goals = GoalServiceClient::new(authed(server.addr, &token).await);
    goals
        .create_goal(create("After the crash"))
        .await
        .expect("a new goal takes the next version");
    // Whatever the device was told before the crash, it converges.
    let mut cursor = cursor;
    if let Some(Ok(page)) = pulled {
        let page = page.into_inner();
        apply(&mut replica, page.changes);
        cursor = page.next_cursor;
    }
    let mut device = SyncServiceClient::new(authed(server.addr, &token).await);
    let (changes, _) = pull_from(&mut device, &cursor, 0).await;
    apply(&mut replica, changes);
    let mut fresh = Replica::new();
    apply(&mut fresh, pull_everything(&mut device).await.0);
    assert_eq!(
        replica, fresh,
        "a device that pulled before the crash has what the server has"
    );
    // A goal shown before the crash exists, at that version, after it.
    if let Some(Ok(shown)) = got {
        let shown = shown.into_inner();
        let (version, title) = &fresh[&shown.id];
        assert_eq!(
            (*version, title.as_str()),
            (shown.version, shown.title.as_str()),
            "GetGoal answered with a version that the crash undid"
        );
    }
    server.kill();
}

/// A call that panics (a bug) is answered `INTERNAL` with the server's own
/// message, and the server, the connection and every other call go on.
#[tokio::test]
async fn a_panicking_call_is_answered_as_internal_and_nothing_else_is_hurt() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(data_dir.path()).await;
    let token = new_client(server.addr, &admin_token(data_dir.path())).await;
    let mut device = SyncServiceClient::new(authed(server.addr, &token).await);
    let mut goals = GoalServiceClient::new(authed(server.addr, &token).await);
    goals
        .create_goal(pb::CreateGoalRequest {
            goal: Some(goal("Walk")),
        })
        .await
        .expect("created");

    server.failpoint("panic", "sync::pull_before_scan").await;
    let failed = device
        .pull(pb::PullRequest::default())
        .await
        .expect_err("the pull panicked");
    assert_eq!(failed.code(), tonic::Code::Internal, "{failed:?}");
    assert_eq!(failed.message(), "internal error");

    server.failpoint("release", "sync::pull_before_scan").await;
    let (pulled, _) = pull_everything(&mut device).await;
    assert_eq!(pulled.len(), 1, "the same channel pulls again");
    goals
        .list_goals(pb::ListGoalsRequest::default())
        .await
        .expect("other calls are answered");
    server.kill();
}

/// An export the server stops sending halfway leaves no file behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_cut_off_halfway_leaves_no_file_behind() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(data_dir.path()).await;
    let token = new_client(server.addr, &admin_token(data_dir.path())).await;
    GoalServiceClient::new(authed(server.addr, &token).await)
        .create_goal(pb::CreateGoalRequest {
            goal: Some(goal("Walk")),
        })
        .await
        .expect("created");

    server.failpoint("hold", "export::after_account").await;
    let out = tempfile::tempdir().expect("temp dir");
    let to = out.path().join("export.jsonl");
    let server_url = format!("http://{}", server.addr).parse().expect("URL");
    let channel = stepwise::client::connect(&server_url, None)
        .await
        .expect("connect");
    let download = tokio::spawn({
        let (token, to) = (token.clone(), to.clone());
        async move { stepwise::client::export::download(channel, &token, &to).await }
    });
    server.reached("export::after_account").await;
    server.kill();
    download
        .await
        .expect("the download ends")
        .expect_err("cut off halfway");
    let left: Vec<_> = std::fs::read_dir(out.path()).expect("list").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Two servers started at once on one empty database make one
/// administrator between them: the second to get there finds the first's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn two_servers_started_at_once_on_an_empty_database_make_one_administrator() {
    postgres_only("two servers share one database");
    let (late_dir, early_dir) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    share_database(late_dir.path(), early_dir.path());
    // The late server found no account, and waits before making its own.
    let bootstrap = "accounts::bootstrap";
    let mut late = Server::spawn(
        late_dir.path(),
        &[("STEPWISE_FAILPOINTS", &format!("hold {bootstrap}"))],
    );
    late.reached(bootstrap).await;
    // Every node has the same master key.
    let key = stepwise::store::kv::seal::MASTER_KEY_FILE;
    std::fs::copy(late_dir.path().join(key), early_dir.path().join(key)).expect("key copied");
    let early = Server::start(early_dir.path()).await;
    late.failpoint("release", bootstrap).await;
    late.serving().await;

    assert!(
        !late_dir.path().join("admin.token").exists(),
        "the late server made no administrator of its own"
    );
    let token = admin_token(early_dir.path());
    let accounts = AccountServiceClient::new(authed(late.addr, &token).await)
        .list_accounts(pb::ListAccountsRequest::default())
        .await
        .expect("listed through the late server")
        .into_inner()
        .accounts;
    let admins = accounts
        .iter()
        .filter(|a| a.role == pb::Role::Admin as i32)
        .count();
    assert_eq!(admins, 1, "{accounts:?}");
    late.kill();
    early.kill();
}
