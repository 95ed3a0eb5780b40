//! [`PgKv`]: the store's ordered keyspace in one PostgreSQL table, so that
//! several Stepwise servers can share one database.
//!
//! **One table, not a relational schema.** `kv (key BYTEA PRIMARY KEY,
//! value BYTEA NOT NULL)` holds exactly what sled holds: BYTEA order is the
//! keys' byte order, so everything above the engine (the key layout, the
//! codec, the sealing of clients' text, the exact change index, retention,
//! erasure) is the same code on both backends, one implementation of the
//! store's rules. Migrations are versioned in `migrations/` and applied at
//! start-up ([`MIGRATIONS`]).
//!
//! **Transactions.** A group of writes ([`Engine::run_group`]) is one
//! SERIALIZABLE transaction on one connection: the writers' reads go to it,
//! then the group's batch, then COMMIT, before any writer is answered. A
//! serialization failure or deadlock (SQLSTATE 40001, 40P01) with another
//! server's group rolls back and runs the whole group again, up to
//! [`MAX_ATTEMPTS`] times with a short jittered pause; then its writers
//! are answered UNAVAILABLE. Reads outside groups run in autocommit on a
//! pooled connection.
//!
//! **The SQL subset**, chosen to be served by CockroachDB and YugabyteDB
//! too (by design, not by test: only PostgreSQL runs here): `SELECT ...
//! WHERE key = $1`, `key = ANY($1)`, ranges with `>`/`>=`/`<`/`<=`,
//! `ORDER BY key LIMIT n` (scans are paged: each page continues after the
//! last key), `INSERT ... SELECT * FROM unnest($1, $2) ON CONFLICT (key) DO
//! UPDATE`, `DELETE ... WHERE key = ANY($1)`, `BEGIN ISOLATION LEVEL
//! SERIALIZABLE`, and `CREATE TABLE IF NOT EXISTS`. No LISTEN/NOTIFY, no
//! advisory locks: other servers' writes are found by polling
//! (`super::poller`), and servers starting together each run the
//! migrations in a transaction that tolerates the race (see `migrate`).
//!
//! **The driver.** The store calls its engine synchronously, from tokio
//! tasks (the tests' runtimes are often single-threaded) and from the
//! writer thread. So `tokio-postgres` with a `deadpool-postgres` pool runs
//! on a small runtime of its own, and a caller blocks on a channel until
//! its query's answer arrives: the same blocking as sled's disk reads,
//! without ever entering another runtime from inside one.
//!
//! **Start-up.** [`PgKv::connect`] makes the first connection itself, so
//! that a database it cannot reach stops the server at once with an
//! [`OpenError`] an operator can act on: where (hosts, ports, database,
//! user; never the password), why (refused, timed out, a host name that
//! does not resolve, authentication, a missing database) and what to check.
//! Making a connection is bounded by the URL's `connect_timeout` (seconds,
//! as libpq reads it), [`DEFAULT_CONNECT_TIMEOUT`] without one. Once
//! serving, a database that goes away answers callers UNAVAILABLE instead.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::Config;
use tokio_postgres::config::Host;
use tokio_postgres::error::SqlState;

use self::tls::DatabaseTls;
pub use self::tls::TlsSettingsError;

mod tls;

use super::engine::{Batch, Engine, KvRead, Visit};
use crate::error::{Error, Result, with_causes};

/// The schema's versions, oldest first: (version, name, SQL). Each runs
/// once, in a transaction that also records it in `schema_migrations`.
pub const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "kv", include_str!("../../../migrations/0001_kv.sql"))];

/// The table of applied migrations, made before any of them runs.
const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Most runs of one group of writes that conflicts with other servers'.
pub const MAX_ATTEMPTS: u32 = 10;
/// How long a call waits for a pooled connection to be free.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// How long making a connection may take (resolving the host, TCP,
/// PostgreSQL's start-up and authentication) when the URL sets no
/// `connect_timeout`: long enough for a database across a network, short
/// enough that a wrong address stops a start promptly.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Rows of a scan's first page: most scans are short (a client's few
/// links, one record's children).
const FIRST_PAGE: i64 = 128;
/// Rows of each further page.
const NEXT_PAGE: i64 = 1024;

/// What the callers of a store that cannot reach its database are told.
const UNREACHABLE: &str = "the database cannot be reached; retry shortly";
/// What the writers of a group that kept conflicting are told.
const CONTENDED: &str =
    "the database is busy with conflicting writes from other servers; retry shortly";

/// A key and its value.
type Entry = (Vec<u8>, Vec<u8>);

/// PostgreSQL (or a database speaking its protocol and SQL) as an
/// [`Engine`].
pub struct PgKv {
    /// Runs the driver; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    poll_interval: Duration,
}

/// A failure of the database or of reaching it.
#[derive(Debug)]
enum PgError {
    /// No connection could be had.
    Pool(deadpool_postgres::PoolError),
    /// A statement failed.
    Db(tokio_postgres::Error),
}

impl PgError {
    /// Whether running the transaction again may succeed: it lost a
    /// conflict with another (serialization failure, deadlock).
    fn is_conflict(&self) -> bool {
        matches!(self, PgError::Db(e) if e.code().is_some_and(is_conflict))
    }
}

/// Whether the server said it is going away or cannot serve writes now:
/// it is shutting down or crashed (class 57: a restart, a kill of the
/// primary), the connection broke (class 08), it is out of connections or
/// memory (class 53), or it is a standby (25006: read-only, mid-failover).
/// Calls are then answered UNAVAILABLE, to be retried, never INTERNAL.
fn is_going_away(code: &SqlState) -> bool {
    let code = code.code();
    ["08", "57", "53"]
        .iter()
        .any(|class| code.starts_with(class))
        || *code == *SqlState::READ_ONLY_SQL_TRANSACTION.code()
}

fn is_conflict(code: &SqlState) -> bool {
    *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Db(e)
    }
}

impl From<PgError> for Error {
    fn from(e: PgError) -> Self {
        let lost = match e {
            PgError::Db(e) if !e.is_closed() && !e.code().is_some_and(is_going_away) => {
                return Error::internal(e);
            }
            PgError::Db(e) => e.to_string(),
            PgError::Pool(e) => e.to_string(),
        };
        tracing::warn!(error = %lost, "the database cannot be reached");
        Error::StoreUnavailable(UNREACHABLE)
    }
}

/// Why [`PgKv::connect`] failed, said for the operator starting the
/// server: which database, why, and what to check. Never holds the
/// password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not a PostgreSQL URL.
    #[error(
        "--database-url is not a PostgreSQL URL like postgres://user@host/db: {}",
        with_causes(.0)
    )]
    Url(tokio_postgres::Error),
    /// The URL's TLS settings (`sslmode`, `sslrootcert`) cannot be used.
    #[error("the TLS settings in --database-url cannot be used: {0}")]
    Tls(#[from] TlsSettingsError),
    /// No connection could be made.
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Unreachable {
        /// Where the URL points.
        target: String,
        /// Why, and what to check.
        reason: Reason,
    },
    /// Connected, but the store could not be opened there (a migration
    /// failed, or the schema is newer than this server).
    #[error("cannot open the store in PostgreSQL at {target}: {}", with_causes(.source))]
    Store {
        /// Where the URL points.
        target: String,
        /// Why.
        source: Error,
    },
}

/// Where `config` points, as an operator names it: hosts and ports,
/// database and user; never the password.
fn describe(config: &Config) -> String {
    let mut addresses: Vec<String> = hosts(config)
        .map(|(host, port)| match host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
        })
        .collect();
    if addresses.is_empty() {
        let addrs = config.get_hostaddrs().iter().zip(ports(config));
        addresses = addrs.map(|(ip, port)| format!("{ip}:{port}")).collect();
    }
    let addresses = addresses.join(", ");
    // Without a user, tokio-postgres logs in as the system user; without a
    // database, PostgreSQL takes the user's name.
    match (config.get_dbname(), config.get_user()) {
        (Some(database), Some(user)) => {
            format!("{addresses} (database \"{database}\", user \"{user}\")")
        }
        (None, Some(user)) => format!("{addresses} (database and user \"{user}\")"),
        (Some(database), None) => {
            format!("{addresses} (database \"{database}\", no user: this system user's name)")
        }
        (None, None) => format!("{addresses} (no database and no user: this system user's name)"),
    }
}

/// The hosts given by name (not by address), with their ports: the ones
/// whose name lookup can fail.
fn host_names(config: &Config) -> Vec<(String, u16)> {
    if !config.get_hostaddrs().is_empty() {
        return Vec::new();
    }
    hosts(config)
        .filter_map(|(host, port)| match host {
            Host::Tcp(name) if name.parse::<IpAddr>().is_err() => Some((name.clone(), port)),
            _ => None,
        })
        .collect()
}

/// The hosts of `config` with their ports.
fn hosts(config: &Config) -> impl Iterator<Item = (&Host, u16)> {
    config.get_hosts().iter().zip(ports(config))
}

/// The port of each host, as tokio-postgres reads them: one port for all
/// hosts, or one each; 5432 without any.
fn ports(config: &Config) -> impl Iterator<Item = u16> {
    let ports = config.get_ports();
    (0..).map(|i| ports.get(i).or(ports.first()).copied().unwrap_or(5432))
}

/// Why no connection could be made, with what to check.
#[derive(Debug)]
pub enum Reason {
    /// A host name does not resolve.
    NoSuchHost {
        /// The name.
        host: String,
        /// The resolver's answer.
        cause: io::Error,
    },
    /// Nothing listens on the port.
    Refused,
    /// No answer within the connect timeout.
    TimedOut(Duration),
    /// The server asks for a password and the URL has none.
    NoPassword,
    /// The server refused the password (SQLSTATE 28P01).
    AuthenticationFailed(String),
    /// The server refused this user from this host (SQLSTATE 28000: no
    /// `pg_hba.conf` entry, a `reject` rule, a role that does not exist).
    Rejected(String),
    /// The database does not exist (SQLSTATE 3D000).
    NoDatabase(String),
    /// The server's certificate was refused (`sslmode=verify-full`).
    Certificate(String),
    /// The URL requires TLS and the server does not offer it.
    NoTls,
    /// Anything else, as the driver or the server said it.
    Other(String),
}

impl Reason {
    /// The reason of the pool's failure to make its first connection;
    /// `names` are the hosts to look up when the driver's error does not
    /// say what failed.
    async fn of(
        error: deadpool_postgres::PoolError,
        names: &[(String, u16)],
        timeout: Duration,
        has_password: bool,
    ) -> Self {
        use deadpool_postgres::PoolError;
        let error = match error {
            PoolError::Timeout(_) => return Reason::TimedOut(timeout),
            PoolError::Backend(error) => error,
            other => return Reason::Other(other.to_string()),
        };
        if let Some(db) = error.as_db_error() {
            let message = db.message().to_owned();
            return match *db.code() {
                SqlState::INVALID_PASSWORD => Reason::AuthenticationFailed(message),
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION => Reason::Rejected(message),
                SqlState::INVALID_CATALOG_NAME => Reason::NoDatabase(message),
                _ => Reason::Other(format!("PostgreSQL says: {message}")),
            };
        }
        if let Some(refused) = rustls_error(&error) {
            return Reason::Certificate(refused.to_string());
        }
        let io_kind = std::error::Error::source(&error)
            .and_then(|cause| cause.downcast_ref::<io::Error>())
            .map(io::Error::kind);
        match io_kind {
            Some(io::ErrorKind::ConnectionRefused) => return Reason::Refused,
            Some(io::ErrorKind::TimedOut) => return Reason::TimedOut(timeout),
            // The resolver's failures have no kind of their own: look the
            // names up again to tell them apart.
            Some(_) => {
                for (host, port) in names {
                    let lookup = tokio::net::lookup_host((host.as_str(), *port));
                    if let Ok(Err(cause)) = tokio::time::timeout(timeout, lookup).await {
                        let host = host.clone();
                        return Reason::NoSuchHost { host, cause };
                    }
                }
            }
            None => {}
        }
        let said = with_causes(&error);
        if said.contains("server does not support TLS") {
            return Reason::NoTls;
        }
        // tokio-postgres tells of a password the server asked for and the
        // URL lacks only in words.
        if !has_password && said.contains("password missing") {
            return Reason::NoPassword;
        }
        Reason::Other(said)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NoSuchHost { host, cause } => write!(
                f,
                "the host name \"{host}\" does not resolve ({cause}); check the host in \
                 --database-url"
            ),
            Reason::Refused => f.write_str(
                "connection refused; is PostgreSQL running and listening there? Check the \
                 host and port in --database-url, and listen_addresses and port in \
                 postgresql.conf",
            ),
            Reason::TimedOut(timeout) => write!(
                f,
                "timed out: no answer within {} s; check the host and port in \
                 --database-url (is it PostgreSQL that listens there?) and any firewall on \
                 the way; a slow network may need a longer ?connect_timeout=SECONDS in the URL",
                timeout.as_secs_f32()
            ),
            Reason::NoPassword => f.write_str(
                "authentication failed: the server asks for a password and --database-url \
                 has none; give it as postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ),
            Reason::AuthenticationFailed(said) => write!(
                f,
                "authentication failed ({said}); check the user and password in \
                 --database-url against the role's password in PostgreSQL"
            ),
            Reason::Rejected(said) => write!(
                f,
                "PostgreSQL refused the connection ({said}); check that the role exists and \
                 that pg_hba.conf lets it connect to this database from this host, and the \
                 user in --database-url"
            ),
            Reason::NoDatabase(said) => write!(
                f,
                "{said}; create it (createdb --owner USER DATABASE) or name an existing one \
                 in --database-url"
            ),
            Reason::Certificate(said) => write!(
                f,
                "the database server's certificate was refused ({said}); check that \
                 sslrootcert in --database-url names the CA that signed it and that the host in \
                 the URL is a name the certificate carries"
            ),
            Reason::NoTls => f.write_str(
                "the server does not offer TLS and the sslmode in --database-url requires it; \
                 turn ssl on in postgresql.conf (ssl_cert_file, ssl_key_file)",
            ),
            Reason::Other(said) => write!(f, "{said}; check --database-url"),
        }
    }
}

/// The TLS failure somewhere in `error`'s causes, if it is one.
fn rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a tokio_rustls::rustls::Error> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(refused) = error.downcast_ref::<tokio_rustls::rustls::Error>() {
            return Some(refused);
        }
        if let Some(inner) = error
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
        {
            return Some(inner);
        }
        cause = error.source();
    }
    None
}

/// Where a query runs: a pooled connection in autocommit, or the
/// connection of a group's transaction.
#[derive(Clone)]
enum Conn {
    Pool(Pool),
    Held(Arc<Object>),
}

impl Conn {
    async fn get(self) -> Result<Arc<Object>, PgError> {
        match self {
            Conn::Pool(pool) => Ok(Arc::new(pool.get().await.map_err(PgError::Pool)?)),
            Conn::Held(client) => Ok(client),
        }
    }
}

impl PgKv {
    /// Connects to the database at `url` (`postgres://user:password@host:
    /// port/database`) and applies the migrations it lacks; other servers'
    /// writes are looked for every `poll_interval`; at most `pool_size`
    /// connections are open at once.
    pub fn connect(
        url: &str,
        poll_interval: Duration,
        pool_size: usize,
    ) -> Result<Self, OpenError> {
        let (url, tls) = DatabaseTls::split(url)?;
        let mut config: Config = url.parse().map_err(OpenError::Url)?;
        if let Some(warning) = tls.apply(&mut config) {
            tracing::warn!(database = %describe(&config), "{warning}");
        }
        let timeout = *config
            .get_connect_timeout()
            .unwrap_or(&DEFAULT_CONNECT_TIMEOUT);
        config.connect_timeout(timeout);
        let target = describe(&config);
        let store_error = |source: Error| OpenError::Store {
            target: target.clone(),
            source,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stepwise-postgres")
            .enable_all()
            .build()
            .map_err(|e| store_error(e.into()))?;
        let names = host_names(&config);
        let has_password = config.get_password().is_some();
        let manager = Manager::from_config(
            config,
            tls.connector,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| store_error(Error::internal(e)))?;
        let kv = Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            pool,
            poll_interval,
        };
        if let Some(reason) = kv.first_connection(names, timeout, has_password) {
            return Err(OpenError::Unreachable { target, reason });
        }
        kv.migrate().map_err(store_error)?;
        Ok(kv)
    }

    /// Makes the pool's first connection (left in the pool for the
    /// migrations), or says why none can be made.
    fn first_connection(
        &self,
        names: Vec<(String, u16)>,
        timeout: Duration,
        has_password: bool,
    ) -> Option<Reason> {
        let pool = self.pool.clone();
        let reached = self.block(async move {
            Ok(match pool.get().await {
                Ok(_) => None,
                Err(error) => Some(Reason::of(error, &names, timeout, has_password).await),
            })
        });
        // `block` fails only when the driver's runtime is gone.
        reached.unwrap_or_else(|_| Some(Reason::Other("the database driver stopped".into())))
    }

    /// Runs `work` on the driver's runtime and waits for its result.
    fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, PgError>> + Send + 'static,
    ) -> Result<T, PgError> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = reply.send(work.await);
        });
        answer
            .recv()
            .unwrap_or_else(|_| Err(PgError::Pool(deadpool_postgres::PoolError::Closed)))
    }

    /// Runs `query` on `conn` and waits for its result.
    fn query<T, F>(
        &self,
        conn: Conn,
        query: impl FnOnce(Arc<Object>) -> F + Send + 'static,
    ) -> Result<T, PgError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, tokio_postgres::Error>> + Send,
    {
        self.block(async move { Ok(query(conn.get().await?).await?) })
    }

    fn get_on(&self, conn: Conn, key: &[u8]) -> Result<Option<Vec<u8>>, PgError> {
        let key = key.to_vec();
        self.query(conn, move |client| async move {
            let statement = client
                .prepare_cached("SELECT value FROM kv WHERE key = $1")
                .await?;
            let row = client.query_opt(&statement, &[&key]).await?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    /// The values of `keys`, in their order, in one round trip; the keys
    /// go to the query and come back with its rows, uncopied.
    fn values_of(&self, keys: Vec<Vec<u8>>) -> Result<Vec<Option<Vec<u8>>>> {
        let (keys, mut found): (_, HashMap<Vec<u8>, Vec<u8>>) =
            self.query(Conn::Pool(self.pool.clone()), move |client| async move {
                let statement = client
                    .prepare_cached("SELECT key, value FROM kv WHERE key = ANY($1)")
                    .await?;
                let rows = client.query(&statement, &[&keys]).await?;
                let found = rows
                    .into_iter()
                    .map(|row| (row.get(0), row.get(1)))
                    .collect();
                Ok((keys, found))
            })?;
        Ok(keys.iter().map(|key| found.remove(key)).collect())
    }

    /// One page of a scan: the first `limit` entries in the range.
    fn page_on(
        &self,
        conn: Conn,
        (from, to): (Bound<Vec<u8>>, Bound<Vec<u8>>),
        limit: i64,
    ) -> Result<Vec<Entry>, PgError> {
        self.query(conn, move |client| async move {
            let (lower, from) = match from {
                Bound::Included(key) => (">=", key),
                Bound::Excluded(key) => (">", key),
                Bound::Unbounded => (">=", Vec::new()),
            };
            let (upper, to) = match to {
                Bound::Included(key) => ("AND key <= $2", Some(key)),
                Bound::Excluded(key) => ("AND key < $2", Some(key)),
                Bound::Unbounded => ("", None),
            };
            let limit_at = if to.is_some() { 3 } else { 2 };
            let sql = format!(
                "SELECT key, value FROM kv WHERE key {lower} $1 {upper} ORDER BY key LIMIT ${limit_at}"
            );
            let statement = client.prepare_cached(&sql).await?;
            let rows = match &to {
                Some(to) => client.query(&statement, &[&from, to, &limit]).await?,
                None => client.query(&statement, &[&from, &limit]).await?,
            };
            Ok(rows.into_iter().map(|row| (row.get(0), row.get(1))).collect())
        })
    }

    /// Calls `visit` on the entries of the range, a page at a time (each
    /// page continues after the last key of the one before);
    /// `fail` turns a database failure into the caller's error.
    fn scan_on(
        &self,
        conn: &Conn,
        (from, to): (Bound<&[u8]>, Bound<&[u8]>),
        visit: &mut Visit<'_>,
        fail: &dyn Fn(PgError) -> Error,
    ) -> Result<()> {
        let mut from = from.map(<[u8]>::to_vec);
        let to = to.map(<[u8]>::to_vec);
        let mut limit = FIRST_PAGE;
        loop {
            let rows = self
                .page_on(conn.clone(), (from, to.clone()), limit)
                .map_err(fail)?;
            let full = rows.len() as i64 == limit;
            let mut last = None;
            for (key, value) in rows {
                if !visit(&key, &value)? {
                    return Ok(());
                }
                last = Some(key);
            }
            match last {
                Some(last) if full => from = Bound::Excluded(last),
                _ => return Ok(()),
            }
            limit = NEXT_PAGE;
        }
    }

    /// Runs a group once, in one SERIALIZABLE transaction.
    fn try_group(
        &self,
        run: &mut dyn FnMut(&dyn KvRead) -> Result<Batch>,
    ) -> Result<(), GroupFailure> {
        let pool = self.pool.clone();
        let client = self.block(async move { Conn::Pool(pool).get().await })?;
        execute(self, &client, "BEGIN ISOLATION LEVEL SERIALIZABLE")?;
        let group = PgGroup {
            kv: self,
            conn: Conn::Held(client.clone()),
            failed: RefCell::new(None),
        };
        let outcome = run(&group);
        let failed = group.failed.into_inner();
        let result = match (failed, outcome) {
            (Some(failure), _) => Err(failure.into()),
            (None, Err(error)) => Err(GroupFailure::Refused(error)),
            (None, Ok(batch)) => {
                let held = client.clone();
                self.block(async move {
                    write(&held, batch).await?;
                    held.batch_execute("COMMIT").await?;
                    Ok(())
                })
                .map_err(GroupFailure::from)
            }
        };
        if result.is_err() && execute(self, &client, "ROLLBACK").is_err() {
            // A connection in an unknown state never goes back to the pool.
            if let Ok(client) = Arc::try_unwrap(client) {
                drop(Object::take(client));
            }
        }
        result
    }

    /// Creates the migrations table and applies the migrations the
    /// database lacks, each in a transaction; tried again when servers
    /// starting together race each other.
    fn migrate(&self) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let pool = self.pool.clone();
            match self
                .block(async move { migrate(&*pool.get().await.map_err(PgError::Pool)?).await })
            {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(refusal)) => return Err(refusal),
                Err(e) if attempt < MAX_ATTEMPTS && is_migration_race(&e) => pause(attempt),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// Applies the migrations the database lacks. The outer `Err` is the
/// database's failure; the inner one a refusal to run on this schema.
async fn migrate(client: &deadpool_postgres::ClientWrapper) -> Result<Result<()>, PgError> {
    client.batch_execute(MIGRATIONS_TABLE).await?;
    for (version, name, sql) in MIGRATIONS {
        client
            .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            .await?;
        let applied = async {
            let done = client
                .query_opt(
                    "SELECT version FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?
                .is_some();
            if !done {
                client.batch_execute(sql).await?;
                client
                    .execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2) \
                         ON CONFLICT (version) DO NOTHING",
                        &[version, name],
                    )
                    .await?;
                tracing::info!(version, name, "applied a database migration");
            }
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(error) = applied {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(error.into());
        }
    }
    let newest: Option<i64> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await?
        .get(0);
    let known = MIGRATIONS.last().map_or(0, |(version, _, _)| *version);
    Ok(match newest {
        Some(newest) if newest > known => Err(Error::internal(format!(
            "the database's schema is at version {newest}, newer than this server's \
             ({known}); run the Stepwise version that migrated it"
        ))),
        _ => Ok(()),
    })
}

/// Whether a migration failed only because another server ran it at the
/// same moment.
fn is_migration_race(error: &PgError) -> bool {
    let PgError::Db(e) = error else {
        return false;
    };
    e.code().is_some_and(|code| {
        is_conflict(code)
            || *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::DUPLICATE_TABLE
            || *code == SqlState::DUPLICATE_OBJECT
    })
}

/// Runs one statement without parameters on `client`.
fn execute(kv: &PgKv, client: &Arc<Object>, sql: &'static str) -> Result<(), PgError> {
    let client = client.clone();
    kv.block(async move { Ok(client.batch_execute(sql).await?) })
}

/// Writes a batch: upserts, then removals.
async fn write(client: &Object, batch: Batch) -> Result<(), tokio_postgres::Error> {
    let (mut keys, mut values, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    for (key, value) in batch {
        match value {
            Some(value) => {
                keys.push(key);
                values.push(value);
            }
            None => removed.push(key),
        }
    }
    if !keys.is_empty() {
        let statement = client
            .prepare_cached(
                "INSERT INTO kv (key, value) SELECT * FROM unnest($1::BYTEA[], $2::BYTEA[]) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .await?;
        client.execute(&statement, &[&keys, &values]).await?;
    }
    if !removed.is_empty() {
        let statement = client
            .prepare_cached("DELETE FROM kv WHERE key = ANY($1)")
            .await?;
        client.execute(&statement, &[&removed]).await?;
    }
    Ok(())
}

/// Waits a little before attempt `attempt + 1`: longer after each, and
/// jittered so that servers in conflict do not meet again at once.
fn pause(attempt: u32) {
    let most = 2u64 << attempt.min(6);
    std::thread::sleep(Duration::from_millis(1 + rand::random::<u64>() % most));
}

/// Why a run of a group did not commit.
enum GroupFailure {
    /// Lost a conflict with another server's transaction: run it again.
    Conflict,
    /// Failed otherwise.
    Refused(Error),
}

impl From<PgError> for GroupFailure {
    fn from(e: PgError) -> Self {
        if e.is_conflict() {
            GroupFailure::Conflict
        } else {
            GroupFailure::Refused(e.into())
        }
    }
}

/// The reads of one group of writes: its transaction.
pub struct PgGroup<'a> {
    kv: &'a PgKv,
    conn: Conn,
    /// The first failure of a statement: the transaction is aborted then
    /// (PostgreSQL refuses every statement after it), whatever the writer
    /// made of the error it was handed.
    failed: RefCell<Option<PgError>>,
}

impl PgGroup<'_> {
    /// Notes the transaction's failure; the writer gets an error that ends
    /// its write (the group is run again or fails as a whole).
    fn fail(&self, error: PgError) -> Error {
        let mut failed = self.failed.borrow_mut();
        failed.get_or_insert(error);
        Error::internal("the transaction failed")
    }
}

impl KvRead for PgGroup<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if self.failed.borrow().is_some() {
            return Err(Error::internal("the transaction failed"));
        }
        self.kv
            .get_on(self.conn.clone(), key)
            .map_err(|e| self.fail(e))
    }

    fn scan(&self, range: (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()> {
        if self.failed.borrow().is_some() {
            return Err(Error::internal("the transaction failed"));
        }
        self.kv.scan_on(&self.conn, range, visit, &|e| self.fail(e))
    }
}

impl KvRead for PgKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get_on(Conn::Pool(self.pool.clone()), key)?)
    }

    fn scan(&self, range: (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()> {
        self.scan_on(&Conn::Pool(self.pool.clone()), range, visit, &Error::from)
    }
}

impl Engine for PgKv {
    fn run_group(&self, run: &mut dyn FnMut(&dyn KvRead) -> Result<Batch>) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_group(run) {
                Ok(()) => return Ok(()),
                Err(GroupFailure::Refused(error)) => return Err(error),
                Err(GroupFailure::Conflict) if attempt < MAX_ATTEMPTS => pause(attempt),
                Err(GroupFailure::Conflict) => {
                    tracing::warn!(attempts = attempt, "a group of writes kept conflicting");
                    return Err(Error::StoreUnavailable(CONTENDED));
                }
            }
        }
    }

    fn apply(&self, batch: Batch) -> Result<()> {
        self.run_group(&mut |_| Ok(batch.clone()))
    }

    fn get_each(
        &self,
        keys: &mut dyn Iterator<Item = Vec<u8>>,
        visit: &mut dyn FnMut(Option<&[u8]>) -> Result<bool>,
    ) -> Result<()> {
        for value in self.values_of(keys.collect())? {
            if !visit(value.as_deref())? {
                break;
            }
        }
        Ok(())
    }

    /// Nothing to do: a committed transaction is durable in the database.
    fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// The table's size in the database (0 where the database does not
    /// tell).
    fn size_on_disk(&self) -> u64 {
        let size = self.query(Conn::Pool(self.pool.clone()), |client| async move {
            let row = client
                .query_one("SELECT pg_total_relation_size('kv')", &[])
                .await?;
            Ok(row.get::<_, i64>(0))
        });
        size.ok()
            .and_then(|size| u64::try_from(size).ok())
            .unwrap_or(0)
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(self.poll_interval)
    }

    fn snapshot_refusal(&self) -> Option<&'static str> {
        Some(
            "this server keeps its data in PostgreSQL: back it up with pg_dump \
             (and keep a copy of the master key file apart); see \
             docs/operations.md, \"Backups on PostgreSQL\"",
        )
    }
}

impl Drop for PgKv {
    fn drop(&mut self) {
        // A store may be dropped inside an async task, where a runtime
        // cannot wait for its threads.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a real database, which `STEPWISE_TEST_DATABASE_URL` names
    //! (`.ci/run` starts a throw-away cluster and runs these with
    //! `--include-ignored`); `cargo test` lists them as ignored otherwise.

    use std::sync::Barrier;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// The test database; run without one (`--include-ignored`), a test
    /// fails saying so rather than passing without having checked anything.
    fn database() -> PgKv {
        let url = std::env::var("STEPWISE_TEST_DATABASE_URL")
            .expect("this test runs only on PostgreSQL: set STEPWISE_TEST_DATABASE_URL");
        PgKv::connect(&url, Duration::from_secs(1), 8).expect("connects")
    }

    fn counter(value: &[u8]) -> u64 {
        u64::from_be_bytes(value.try_into().expect("8 bytes"))
    }

    #[test]
    #[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
    fn groups_that_conflict_with_another_servers_are_run_again_and_lose_nothing() {
        let first = database();
        let second = database();
        let key = format!("test-counter-{}", uuid::Uuid::new_v4()).into_bytes();
        const INCREMENTS: u32 = 20;
        let runs = AtomicU32::new(0);
        // The first run of each server's first group waits until both have
        // read the counter, so both write over the same value: one of them
        // must fail to serialize and run again.
        let both_read = Barrier::new(2);
        std::thread::scope(|scope| {
            for (server, kv) in [&first, &second].into_iter().enumerate() {
                let (key, runs, both_read) = (&key, &runs, &both_read);
                scope.spawn(move || {
                    for n in 0..INCREMENTS {
                        let mut first_run = n == 0;
                        kv.run_group(&mut |group| {
                            runs.fetch_add(1, Ordering::SeqCst);
                            let now = group.get(key)?.map_or(0, |v| counter(&v));
                            if std::mem::take(&mut first_run) {
                                both_read.wait();
                            }
                            let next = (now + 1).to_be_bytes().to_vec();
                            Ok(vec![(key.clone(), Some(next))])
                        })
                        .unwrap_or_else(|e| panic!("server {server}: {e}"));
                    }
                });
            }
        });
        let total = first.get(&key).expect("read").map(|v| counter(&v));
        assert_eq!(total, Some(2 * u64::from(INCREMENTS)), "no increment lost");
        assert!(
            runs.load(Ordering::SeqCst) > 2 * INCREMENTS,
            "a conflicting group was run again"
        );
        first.apply(vec![(key, None)]).expect("clean up");
    }

    #[test]
    #[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
    fn scans_page_through_long_ranges_in_key_order() {
        let kv = database();
        let prefix = format!("test-scan-{}-", uuid::Uuid::new_v4()).into_bytes();
        let keys: Vec<Vec<u8>> = (0..(FIRST_PAGE + NEXT_PAGE + 7) as u32)
            .map(|n| [prefix.as_slice(), &n.to_be_bytes()].concat())
            .collect();
        kv.apply(keys.iter().map(|k| (k.clone(), Some(vec![1]))).collect())
            .expect("written");
        let end = [prefix.as_slice(), &[0xff]].concat();
        let mut seen = Vec::new();
        kv.scan(
            (Bound::Included(&prefix), Bound::Excluded(&end)),
            &mut |key, _| {
                seen.push(key.to_vec());
                Ok(true)
            },
        )
        .expect("scan");
        assert_eq!(seen, keys);
        let mut first_two = Vec::new();
        kv.scan(
            (Bound::Excluded(&keys[0]), Bound::Included(&keys[2])),
            &mut |key, _| {
                first_two.push(key.to_vec());
                Ok(true)
            },
        )
        .expect("scan");
        assert_eq!(first_two, keys[1..=2]);
        kv.apply(keys.into_iter().map(|k| (k, None)).collect())
            .expect("clean up");
    }
}

#[cfg(test)]
mod describe_tests {
    //! How a start-up error names the database, without one.

    use super::*;

    fn described(url: &str) -> String {
        describe(&url.parse().expect("a valid URL"))
    }

    #[test]
    fn a_url_is_named_by_its_hosts_database_and_user_never_its_password() {
        let cases = [
            (
                "postgres://app:s3cret@db.internal/stepwise",
                "db.internal:5432 (database \"stepwise\", user \"app\")",
            ),
            (
                "postgres://app:s3cret@a:6000,b/stepwise",
                "a:6000, b:5432 (database \"stepwise\", user \"app\")",
            ),
            (
                "postgres://app:s3cret@[::1]:6000",
                "[::1]:6000 (database and user \"app\")",
            ),
            (
                "hostaddr=10.0.0.7 port=6000 password=s3cret dbname=stepwise",
                "10.0.0.7:6000 (database \"stepwise\", no user: this system user's name)",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(described(url), expected, "{url}");
        }
    }

    #[test]
    fn only_hosts_given_by_name_are_looked_up() {
        let config: Config = "postgres://app@db.internal:6000,127.0.0.1/stepwise"
            .parse()
            .expect("a valid URL");
        assert_eq!(host_names(&config), [("db.internal".to_owned(), 6000)]);
    }
}
