//! `TestApp`: the real server on 127.0.0.1:0 with a temporary data dir, and
//! real tonic clients that send a bearer token (the library's public
//! client). `TEST_LOG=1` shows the servers' logs.

use std::net::SocketAddr;

use stepwise::app::Retention;
use stepwise::client::accounts::{AccountLogin, create_account_with_token};
use stepwise::client::{BearerToken, authenticated};
use stepwise::config::ServeConfig;
use stepwise::data_dir::ADMIN_TOKEN_FILE;
use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use stepwise::pb::assessment_service_client::AssessmentServiceClient;
use stepwise::pb::comment_service_client::CommentServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::insight_service_client::InsightServiceClient;
use stepwise::pb::progress_service_client::ProgressServiceClient;
use stepwise::pb::skill_service_client::SkillServiceClient;
use stepwise::server::Server;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The password of the accounts tests make.
pub const PASSWORD: &str = "correct horse battery staple";

/// A new email address, unique in the test run.
pub fn new_email() -> String {
    format!("{}@example.org", uuid::Uuid::now_v7().simple())
}

/// How long the personal access tokens that tests make work, from the
/// server's now: nearly the longest allowed, since tests move clocks far.
pub const TEST_TOKEN_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(3650 * 24 * 3600);

/// A personal access token made with a device session's `tokens`, working
/// for [`TEST_TOKEN_LIFETIME`] from the session's start.
pub async fn long_lived_token(app: &TestApp, tokens: &pb::SessionTokens) -> String {
    let now = tokens
        .session
        .as_ref()
        .and_then(|session| session.create_time)
        .expect("session start");
    app.accounts(&tokens.access_token)
        .await
        .create_token(pb::CreateTokenRequest {
            label: "first token".into(),
            expire_time: Some(prost_types::Timestamp {
                seconds: now.seconds + TEST_TOKEN_LIFETIME.as_secs() as i64,
                nanos: 0,
            }),
        })
        .await
        .expect("a device makes a token")
        .into_inner()
        .secret
}

/// A channel that authenticates as one account.
pub type Authed = InterceptedService<Channel, BearerToken>;

/// A running server.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where it serves metrics, when enabled.
    pub metrics_addr: Option<SocketAddr>,
    /// The first administrator's token, read from `admin.token`.
    pub admin_token: String,
    retention: Retention,
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
        // TEST_LOG=1 shows the servers' logs (with --nocapture, or of
        // failing tests), as zero-to-production does.
        if std::env::var_os("TEST_LOG").is_some() {
            // Logs are written for as long as the test process runs.
            static LOGS: std::sync::OnceLock<stepwise::telemetry::LogGuard> =
                std::sync::OnceLock::new();
            LOGS.get_or_init(|| stepwise::telemetry::init(stepwise::telemetry::LogFormat::Pretty));
        }
        let mut config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), data_dir.path());
        config.database_url = super::database::database_for(data_dir.path())
            .map(|url| url.parse().expect("database URL"));
        adjust(&mut config);
        let app = Server::build(&config).await.expect("server starts");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let retention = app.retention();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = stop.await;
            })
            .await
            .expect("server runs");
        });
        // A restored data dir has no token file: the store keeps only hashes.
        let admin_token = std::fs::read_to_string(data_dir.path().join(ADMIN_TOKEN_FILE))
            .map(|token| token.trim().to_owned())
            .unwrap_or_default();
        Self {
            addr,
            metrics_addr,
            admin_token,
            retention,
            data_dir,
            shutdown,
            server,
        }
    }

    /// Starts a second server on the same database as this one (testing on
    /// PostgreSQL only), with a data dir of its own and the same master
    /// key, and with adjusted settings. Its `admin_token` is empty: the
    /// first server made the administrator.
    pub async fn spawn_beside(&self, adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        super::database::share_database(self.data_dir(), data_dir.path());
        let master_key = self
            .data_dir()
            .join(stepwise::store::kv::seal::MASTER_KEY_FILE);
        Self::spawn_in(data_dir, |config| {
            config.master_key_file = Some(master_key);
            adjust(config);
        })
        .await
    }

    /// Stops the server gracefully and starts a new one on the same data
    /// dir (a restart).
    pub async fn restart(self) -> Self {
        let data_dir = self.stop().await;
        Self::spawn_in(data_dir, |_| {}).await
    }

    /// Stops the server gracefully and starts a new one on the same data
    /// dir with adjusted settings (a restart that keeps its flags).
    pub async fn restart_with(self, adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        let data_dir = self.stop().await;
        Self::spawn_in(data_dir, adjust).await
    }

    /// Stops the server gracefully; returns its data dir.
    pub async fn stop(self) -> TempDir {
        let _ = self.shutdown.send(());
        self.server.await.expect("server task ends cleanly");
        self.data_dir
    }

    /// Runs a retention pass now, as the server does every hour, as of the
    /// server's clock; returns what it removed.
    pub async fn run_retention(&self) -> stepwise::domain::PurgeReport {
        self.retention.run_pass().await.expect("retention pass")
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
        authenticated(self.channel().await, token)
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

    /// AssessmentService as the holder of `token`.
    pub async fn assessments(&self, token: &str) -> AssessmentServiceClient<Authed> {
        AssessmentServiceClient::new(self.authed(token).await)
    }

    /// CommentService as the holder of `token`.
    pub async fn comments(&self, token: &str) -> CommentServiceClient<Authed> {
        CommentServiceClient::new(self.authed(token).await)
    }

    /// SkillService as the holder of `token`.
    pub async fn skills(&self, token: &str) -> SkillServiceClient<Authed> {
        SkillServiceClient::new(self.authed(token).await)
    }

    /// InsightService as the holder of `token`.
    pub async fn insights(&self, token: &str) -> InsightServiceClient<Authed> {
        InsightServiceClient::new(self.authed(token).await)
    }

    /// Creates an account with `role` through the admin, sets it up with a
    /// new email and [`PASSWORD`], and returns it with a personal access
    /// token that works for nearly ten years of the server's clock (tests
    /// move it far).
    pub async fn create_account(&self, role: pb::Role, name: &str) -> (pb::Account, String) {
        let account = pb::Account {
            role: role as i32,
            display_name: name.into(),
            ..Default::default()
        };
        self.create_account_by(&self.admin_token, account)
            .await
            .expect("admin creates account")
    }

    /// Creates `account` as the administrator holding `admin_token` and
    /// sets it up as [`TestApp::create_account`] does.
    pub async fn create_account_by(
        &self,
        admin_token: &str,
        account: pb::Account,
    ) -> Result<(pb::Account, String), tonic::Status> {
        let login = AccountLogin {
            email: new_email(),
            password: PASSWORD.into(),
            token_label: "first token".into(),
            token_lifetime: Some(TEST_TOKEN_LIFETIME),
        };
        create_account_with_token(&self.channel().await, admin_token, account, login).await
    }

    /// A new client account's token.
    pub async fn new_client(&self, name: &str) -> String {
        self.create_account(pb::Role::Client, name).await.1
    }
}
