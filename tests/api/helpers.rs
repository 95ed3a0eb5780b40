//! `TestApp`: the real server on 127.0.0.1:0 with a temporary data dir, and
//! real tonic clients that send a bearer token.

use std::net::SocketAddr;

use futures_util::StreamExt;
use stepwise::config::ServeConfig;
use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::progress_service_client::ProgressServiceClient;
use stepwise::server::Server;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Response, Status};

/// Adds `authorization: Bearer <token>` to every call (none when empty).
#[derive(Clone)]
pub struct Bearer(pub String);

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if !self.0.is_empty() {
            let value: MetadataValue<_> = format!("Bearer {}", self.0)
                .parse()
                .map_err(|_| tonic::Status::internal("token is not valid metadata"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

/// A channel that authenticates as one account.
pub type Authed = InterceptedService<Channel, Bearer>;

/// A running server.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where it serves metrics, when enabled.
    pub metrics_addr: Option<SocketAddr>,
    /// The first administrator's token, read from `admin.token`.
    pub admin_token: String,
    data_dir: TempDir,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl TestApp {
    /// Starts a server on a new, empty data dir.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server on a new, empty data dir with adjusted settings.
    pub async fn spawn_with(adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        Self::spawn_in(tempfile::tempdir().expect("temp dir"), adjust).await
    }

    /// Starts a server on an existing data dir.
    pub async fn spawn_on(data_dir: TempDir) -> Self {
        Self::spawn_in(data_dir, |_| {}).await
    }

    async fn spawn_in(data_dir: TempDir, adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        let mut config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), data_dir.path());
        adjust(&mut config);
        let app = Server::build(&config).await.expect("server starts");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = stop.await;
            })
            .await
            .expect("server runs");
        });
        // A restored data dir has no token file: the store keeps only hashes.
        let admin_token = std::fs::read_to_string(data_dir.path().join("admin.token"))
            .map(|token| token.trim().to_owned())
            .unwrap_or_default();
        Self {
            addr,
            metrics_addr,
            admin_token,
            data_dir,
            shutdown,
            server,
        }
    }

    /// Stops the server gracefully and starts a new one on the same data
    /// dir (a restart).
    pub async fn restart(self) -> Self {
        let data_dir = self.stop().await;
        Self::spawn_in(data_dir, |_| {}).await
    }

    /// Stops the server gracefully; returns its data dir.
    pub async fn stop(self) -> TempDir {
        let _ = self.shutdown.send(());
        self.server.await.expect("server task ends cleanly");
        self.data_dir
    }

    /// The data dir.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// A plain channel to the server.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    }

    /// A channel sending `token` ("" sends none).
    pub async fn authed(&self, token: &str) -> Authed {
        InterceptedService::new(self.channel().await, Bearer(token.to_owned()))
    }

    /// AccountService as the holder of `token` ("" sends no token).
    pub async fn accounts(&self, token: &str) -> AccountServiceClient<Authed> {
        AccountServiceClient::new(self.authed(token).await)
    }

    /// GoalService as the holder of `token`.
    pub async fn goals(&self, token: &str) -> GoalServiceClient<Authed> {
        GoalServiceClient::new(self.authed(token).await)
    }

    /// ProgressService as the holder of `token`.
    pub async fn progress(&self, token: &str) -> ProgressServiceClient<Authed> {
        ProgressServiceClient::new(self.authed(token).await)
    }

    /// Creates an account with `role` through the admin; returns it and its
    /// token.
    pub async fn create_account(&self, role: pb::Role, name: &str) -> (pb::Account, String) {
        let response = self
            .accounts(&self.admin_token)
            .await
            .create_account(pb::CreateAccountRequest {
                account: Some(pb::Account {
                    role: role as i32,
                    display_name: name.into(),
                    ..Default::default()
                }),
            })
            .await
            .expect("admin creates account")
            .into_inner();
        (response.account.expect("account"), response.token)
    }

    /// A new client account's token.
    pub async fn new_client(&self, name: &str) -> String {
        self.create_account(pb::Role::Client, name).await.1
    }
}

// --- Requests, as an app would build them ---

/// A new client-generated id, as an app that works offline makes one.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A goal with just a title.
pub fn goal(title: &str) -> pb::Goal {
    pb::Goal {
        title: title.into(),
        ..Default::default()
    }
}

/// A 3-per-week action step under `goal_id`.
pub fn step(goal_id: &str, title: &str) -> pb::ActionStep {
    pb::ActionStep {
        goal_id: goal_id.into(),
        title: title.into(),
        schedule: Some(pb::Schedule {
            times: 3,
            period_days: 7,
        }),
        ..Default::default()
    }
}

/// A check-in of `step_id` on `date`.
pub fn check_in(step_id: &str, date: &str, state: pb::CheckInState) -> pb::CheckIn {
    pb::CheckIn {
        action_step_id: step_id.into(),
        local_date: date.into(),
        state: state as i32,
        ..Default::default()
    }
}

/// What a self-efficacy rating is about.
#[derive(Debug, Clone)]
pub enum Rated {
    /// A goal, by id.
    Goal(String),
    /// An action step, by id.
    Step(String),
}

impl Rated {
    /// The target of a rating.
    pub fn target(&self) -> pb::efficacy_rating::Target {
        use pb::efficacy_rating::Target;
        match self {
            Rated::Goal(id) => Target::GoalId(id.clone()),
            Rated::Step(id) => Target::ActionStepId(id.clone()),
        }
    }

    /// The target of a list request.
    pub fn list_target(&self) -> pb::list_efficacy_ratings_request::Target {
        use pb::list_efficacy_ratings_request::Target;
        match self {
            Rated::Goal(id) => Target::GoalId(id.clone()),
            Rated::Step(id) => Target::ActionStepId(id.clone()),
        }
    }
}

/// A rating of `of` with `score`, given now.
pub fn rating(of: &Rated, score: i32) -> pb::EfficacyRating {
    pb::EfficacyRating {
        target: Some(of.target()),
        score,
        ..Default::default()
    }
}

/// An update mask of `paths`.
pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A timestamp at `seconds` since the Unix epoch.
pub fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

/// Microseconds since the Unix epoch of a timestamp.
pub fn micros(ts: &Option<prost_types::Timestamp>) -> i64 {
    let ts = ts.as_ref().expect("timestamp is set");
    ts.seconds * 1_000_000 + i64::from(ts.nanos / 1000)
}

/// Microseconds since the Unix epoch, now, by the clock the server uses.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

// --- Calls. `try_*`, `get_*`, `update_*`, `delete_*` and lists return the
// outcome; `create_goal` and `create_step` expect success. ---

/// Creates a goal as `token` and returns it.
pub async fn create_goal(app: &TestApp, token: &str, title: &str) -> pb::Goal {
    try_create_goal(app, token, goal(title))
        .await
        .expect("create goal")
}

/// Creates `goal` as `token`.
pub async fn try_create_goal(
    app: &TestApp,
    token: &str,
    goal: pb::Goal,
) -> Result<pb::Goal, Status> {
    let request = pb::CreateGoalRequest { goal: Some(goal) };
    app.goals(token)
        .await
        .create_goal(request)
        .await
        .map(Response::into_inner)
}

/// Creates `count` goals as `token`, several at a time, and returns them in
/// commit order (by version): the calls complete in any order, so the order
/// of their answers means nothing.
pub async fn create_goals(app: &TestApp, token: &str, count: usize) -> Vec<pb::Goal> {
    let client = app.goals(token).await;
    let mut goals: Vec<pb::Goal> = futures_util::stream::iter(1..=count)
        .map(|n| {
            let mut client = client.clone();
            async move {
                let request = pb::CreateGoalRequest {
                    goal: Some(goal(&format!("Goal {n}"))),
                };
                client
                    .create_goal(request)
                    .await
                    .expect("create goal")
                    .into_inner()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    goals.sort_by_key(|goal| goal.version);
    goals
}

/// A goal, as `token` sees it.
pub async fn get_goal(app: &TestApp, token: &str, id: &str) -> Result<pb::Goal, Status> {
    let request = pb::GetGoalRequest { id: id.into() };
    app.goals(token)
        .await
        .get_goal(request)
        .await
        .map(Response::into_inner)
}

/// All of the caller's goals (one page of the largest size).
pub async fn list_goals(app: &TestApp, token: &str) -> Vec<pb::Goal> {
    let request = pb::ListGoalsRequest {
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .goals(token)
        .await
        .list_goals(request)
        .await
        .expect("list goals");
    let response = response.into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all goals fit on one page"
    );
    response.goals
}

/// Updates the fields of `goal` named in `paths` (all when empty).
pub async fn update_goal(
    app: &TestApp,
    token: &str,
    goal: pb::Goal,
    paths: &[&str],
) -> Result<pb::Goal, Status> {
    let request = pb::UpdateGoalRequest {
        goal: Some(goal),
        update_mask: mask(paths),
    };
    app.goals(token)
        .await
        .update_goal(request)
        .await
        .map(Response::into_inner)
}

/// Deletes a goal, at `version` when not 0.
pub async fn delete_goal(app: &TestApp, token: &str, id: &str, version: i64) -> Result<(), Status> {
    let request = pb::DeleteGoalRequest {
        id: id.into(),
        version,
    };
    app.goals(token)
        .await
        .delete_goal(request)
        .await
        .map(Response::into_inner)
}

/// Creates a 3-per-week action step under `goal_id` as `token`.
pub async fn create_step(app: &TestApp, token: &str, goal_id: &str, title: &str) -> pb::ActionStep {
    try_create_step(app, token, step(goal_id, title))
        .await
        .expect("create action step")
}

/// Creates `step` as `token`.
pub async fn try_create_step(
    app: &TestApp,
    token: &str,
    step: pb::ActionStep,
) -> Result<pb::ActionStep, Status> {
    let request = pb::CreateActionStepRequest {
        action_step: Some(step),
    };
    app.goals(token)
        .await
        .create_action_step(request)
        .await
        .map(Response::into_inner)
}

/// An action step, as `token` sees it.
pub async fn get_step(app: &TestApp, token: &str, id: &str) -> Result<pb::ActionStep, Status> {
    let request = pb::GetActionStepRequest { id: id.into() };
    app.goals(token)
        .await
        .get_action_step(request)
        .await
        .map(Response::into_inner)
}

/// All action steps of a goal (one page of the largest size).
pub async fn list_steps(
    app: &TestApp,
    token: &str,
    goal_id: &str,
) -> Result<Vec<pb::ActionStep>, Status> {
    let request = pb::ListActionStepsRequest {
        goal_id: goal_id.into(),
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .goals(token)
        .await
        .list_action_steps(request)
        .await?
        .into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all steps fit on one page"
    );
    Ok(response.action_steps)
}

/// Updates the fields of `step` named in `paths` (all when empty).
pub async fn update_step(
    app: &TestApp,
    token: &str,
    step: pb::ActionStep,
    paths: &[&str],
) -> Result<pb::ActionStep, Status> {
    let request = pb::UpdateActionStepRequest {
        action_step: Some(step),
        update_mask: mask(paths),
    };
    app.goals(token)
        .await
        .update_action_step(request)
        .await
        .map(Response::into_inner)
}

/// Deletes an action step, at `version` when not 0.
pub async fn delete_step(app: &TestApp, token: &str, id: &str, version: i64) -> Result<(), Status> {
    let request = pb::DeleteActionStepRequest {
        id: id.into(),
        version,
    };
    app.goals(token)
        .await
        .delete_action_step(request)
        .await
        .map(Response::into_inner)
}

/// Logs a check-in of `step_id` on `date` as `token`.
pub async fn log_check_in(
    app: &TestApp,
    token: &str,
    step_id: &str,
    date: &str,
    state: pb::CheckInState,
) -> Result<pb::CheckIn, Status> {
    log(app, token, check_in(step_id, date, state)).await
}

/// Logs `check_in` as `token`.
pub async fn log(app: &TestApp, token: &str, check_in: pb::CheckIn) -> Result<pb::CheckIn, Status> {
    let request = pb::LogCheckInRequest {
        check_in: Some(check_in),
    };
    app.progress(token)
        .await
        .log_check_in(request)
        .await
        .map(Response::into_inner)
}

/// All check-ins of a step from `start` to `end` ("" for no bound).
pub async fn list_check_ins(
    app: &TestApp,
    token: &str,
    step_id: &str,
    start: &str,
    end: &str,
) -> Result<Vec<pb::CheckIn>, Status> {
    let request = pb::ListCheckInsRequest {
        action_step_id: step_id.into(),
        start_date: start.into(),
        end_date: end.into(),
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .progress(token)
        .await
        .list_check_ins(request)
        .await?
        .into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all check-ins fit on one page"
    );
    Ok(response.check_ins)
}

/// Deletes a check-in, at `version` when not 0.
pub async fn delete_check_in(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
) -> Result<(), Status> {
    let request = pb::DeleteCheckInRequest {
        id: id.into(),
        version,
    };
    app.progress(token)
        .await
        .delete_check_in(request)
        .await
        .map(Response::into_inner)
}

/// Records `rating` as `token`.
pub async fn record_rating(
    app: &TestApp,
    token: &str,
    rating: pb::EfficacyRating,
) -> Result<pb::EfficacyRating, Status> {
    let request = pb::RecordEfficacyRatingRequest {
        rating: Some(rating),
    };
    app.progress(token)
        .await
        .record_efficacy_rating(request)
        .await
        .map(Response::into_inner)
}

/// All ratings of `of` (one page of the largest size).
pub async fn list_ratings(
    app: &TestApp,
    token: &str,
    of: &Rated,
) -> Result<Vec<pb::EfficacyRating>, Status> {
    let request = pb::ListEfficacyRatingsRequest {
        target: Some(of.list_target()),
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .progress(token)
        .await
        .list_efficacy_ratings(request)
        .await?
        .into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all ratings fit on one page"
    );
    Ok(response.efficacy_ratings)
}

/// Deletes a rating, at `version` when not 0.
pub async fn delete_rating(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
) -> Result<(), Status> {
    let request = pb::DeleteEfficacyRatingRequest {
        id: id.into(),
        version,
    };
    app.progress(token)
        .await
        .delete_efficacy_rating(request)
        .await
        .map(Response::into_inner)
}

/// Fetches every page of a list, starting with an empty token and following
/// `next_page_token` until it is empty; returns the pages.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Vec<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = (Vec<T>, String)>,
{
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let (items, next) = fetch(token).await;
        pages.push(items);
        if next.is_empty() {
            return pages;
        }
        assert!(pages.len() < 10_000, "paging never ends");
        token = next;
    }
}

// --- Fixtures ---

/// A goal with one action step.
pub async fn goal_with_step(app: &TestApp, token: &str) -> (pb::Goal, pb::ActionStep) {
    let goal = create_goal(app, token, "Walk more").await;
    let step = create_step(app, token, &goal.id, "Walk 20 minutes").await;
    (goal, step)
}

/// One of everything a client keeps.
#[derive(Debug, Clone)]
pub struct Plan {
    /// A goal.
    pub goal: pb::Goal,
    /// An action step of `goal`.
    pub step: pb::ActionStep,
    /// A check-in of `step` on 2026-03-02.
    pub check_in: pb::CheckIn,
    /// A rating of `goal`.
    pub goal_rating: pb::EfficacyRating,
    /// A rating of `step`.
    pub step_rating: pb::EfficacyRating,
}

/// Creates a [`Plan`] as `token`.
pub async fn seed_plan(app: &TestApp, token: &str) -> Plan {
    let (goal, step) = goal_with_step(app, token).await;
    let check_in = log_check_in(app, token, &step.id, "2026-03-02", pb::CheckInState::Done)
        .await
        .expect("log check-in");
    let goal_rating = record_rating(app, token, rating(&Rated::Goal(goal.id.clone()), 60))
        .await
        .expect("rate goal");
    let step_rating = record_rating(app, token, rating(&Rated::Step(step.id.clone()), 80))
        .await
        .expect("rate step");
    Plan {
        goal,
        step,
        check_in,
        goal_rating,
        step_rating,
    }
}

// --- Assertions on errors ---

/// Asserts the code and `ErrorInfo` reason of an error.
#[track_caller]
pub fn assert_status(status: &Status, code: Code, expected_reason: &str) {
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    assert_eq!(
        reason(status),
        expected_reason,
        "unexpected reason: {status:?}"
    );
}

/// Asserts `INVALID_ARGUMENT` with reason `INVALID_FIELDS` that names
/// exactly `fields` (in any order) as violated.
#[track_caller]
pub fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_status(status, Code::InvalidArgument, "INVALID_FIELDS");
    let mut actual = violated_fields(status);
    actual.sort();
    let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(actual, expected, "violated fields of {status:?}");
}

/// Asserts `NOT_FOUND`.
#[track_caller]
pub fn assert_not_found(status: &Status) {
    assert_status(status, Code::NotFound, "NOT_FOUND");
}

/// The field paths of a status's `google.rpc.BadRequest` violations.
pub fn violated_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The `google.rpc.ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// The goals of `client_id` as the holder of `token` sees them.
pub async fn list_goals_of(app: &TestApp, token: &str, client_id: &str) -> Vec<pb::Goal> {
    app.goals(token)
        .await
        .list_goals(pb::ListGoalsRequest {
            client_id: client_id.into(),
            ..Default::default()
        })
        .await
        .expect("list goals")
        .into_inner()
        .goals
}
