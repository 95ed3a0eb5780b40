//! A throw-away PostgreSQL cluster of the test's own, for what the shared
//! test database cannot show: its `pg_hba.conf` asks for a password
//! (`scram-sha-256`) on TCP, where `.ci/run`'s cluster trusts everyone.
//! Made as `.ci/run` makes its own: Debian's binaries, `initdb` as the
//! unprivileged user `stepwise-ci` when the tests run as root (initdb
//! refuses root), a free port on 127.0.0.1, the socket in the cluster's dir.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The user that owns the cluster when the tests run as root.
const CLUSTER_USER: &str = "stepwise-ci";

/// A running cluster; stopped and removed when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
}

/// The settings of a cluster of these tests, as lines of
/// `postgresql.auto.conf` (so that a restart keeps them): its port, its
/// socket in its dir, TCP on loopback only, and `more`.
fn server_settings(port: u16, dir: &Path, more: &str) -> String {
    format!(
        "\nport = {port}\nunix_socket_directories = '{}'\nlisten_addresses = '127.0.0.1'\n\
         fsync = off\n{more}\n",
        dir.display()
    )
}

impl Cluster {
    /// A cluster whose TCP connections must authenticate with a password
    /// (`scram-sha-256`) while its Unix socket trusts the superuser
    /// `postgres`. `None`, after saying so, when PostgreSQL's binaries are
    /// not installed; under CI (`CI=true`, where `.ci/run` installs them
    /// first) that fails the test instead, so that it never skips there.
    pub fn with_passwords() -> Option<Cluster> {
        Self::start("scram-sha-256", "", |_| {})
    }

    /// A cluster that trusts every user, on TCP too. `None` as
    /// [`Cluster::with_passwords`].
    pub fn with_trust() -> Option<Cluster> {
        Self::start("trust", "", |_| {})
    }

    /// A cluster that takes TCP connections over TLS only (`hostssl`; a
    /// plain connection is refused), showing the certificate `cert_pem`
    /// (with its key `key_pem`), and trusting every user. `None` as
    /// [`Cluster::with_passwords`].
    pub fn with_tls_only(cert_pem: &str, key_pem: &str) -> Option<Cluster> {
        Self::start("trust", "ssl = on", |data| {
            let owner = cluster_uid();
            for (name, contents) in [("server.crt", cert_pem), ("server.key", key_pem)] {
                let path = data.join(name);
                std::fs::write(&path, contents).expect("write the server's TLS files");
                // PostgreSQL refuses a key others can read.
                std::fs::set_permissions(
                    &path,
                    std::os::unix::fs::PermissionsExt::from_mode(0o600),
                )
                .expect("chmod the server's TLS files");
                if let Some(uid) = owner {
                    std::os::unix::fs::chown(&path, Some(uid), None).expect("chown a TLS file");
                }
            }
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            )
            .expect("write pg_hba.conf");
        })
    }

    /// Makes and starts a cluster whose TCP connections authenticate with
    /// `auth_host`, its socket trusting everyone; `configure` edits the
    /// data dir before the start, `options` are PostgreSQL's own.
    fn start(auth_host: &str, options: &str, configure: impl FnOnce(&Path)) -> Option<Cluster> {
        let Some(bin) = newest_bin() else {
            let why = "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin";
            assert!(
                !in_ci(),
                "{why}: .ci/run installs postgresql before the tests"
            );
            eprintln!("skipped: {why}");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(uid) = cluster_uid() {
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown the cluster dir");
        }
        let data = dir.path().join("data");
        run(as_cluster_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-E", "UTF8", "--locale=C"])
            .arg("--auth-local=trust")
            .arg(format!("--auth-host={auth_host}")));
        configure(&data);
        let port = free_port();
        std::fs::write(
            data.join("postgresql.auto.conf"),
            server_settings(port, dir.path(), options),
        )
        .expect("write the cluster's settings");
        let cluster = Cluster { bin, dir, port };
        cluster.pg_ctl(&["start"]);
        Some(cluster)
    }

    /// A primary whose commits wait for a synchronous standby
    /// (`synchronous_standby_names = '*'`, streaming replication), and that
    /// standby, both running; TCP connections trusted. `None` as
    /// [`Cluster::with_passwords`].
    pub fn primary_and_standby() -> Option<(Cluster, Cluster)> {
        let primary = Self::start("trust", "synchronous_standby_names = '*'", |_| {})?;
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(uid) = cluster_uid() {
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown the standby dir");
        }
        let data = dir.path().join("data");
        // -R: standby.signal and the primary's address, in postgresql.auto.conf.
        run(as_cluster_user(&primary.bin.join("pg_basebackup"))
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args(["-U", "postgres", "-X", "stream", "-R", "-D"])
            .arg(&data));
        let port = free_port();
        // The standby's own settings after the copied ones: once promoted it
        // has no standby of its own to wait for.
        let mut settings = std::fs::read_to_string(data.join("postgresql.auto.conf"))
            .expect("read the standby's settings");
        settings.push_str(&server_settings(
            port,
            dir.path(),
            "synchronous_standby_names = ''",
        ));
        std::fs::write(data.join("postgresql.auto.conf"), settings)
            .expect("write the standby's settings");
        let standby = Cluster {
            bin: primary.bin.clone(),
            dir,
            port,
        };
        standby.pg_ctl(&["start"]);
        Some((primary, standby))
    }

    /// Kills the postmaster with SIGKILL, as a crash of its machine would
    /// end it (the other processes follow it).
    pub fn kill_9(&self) {
        let pid_file = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid"))
            .expect("the postmaster's pid file");
        let pid = pid_file.lines().next().expect("a pid").trim();
        run(Command::new("kill").args(["-9", pid]));
        // Its children notice their parent's death within moments; the
        // port is free once they have.
        let _ = as_cluster_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }

    /// Stops the cluster at once (`-m immediate`: no checkpoint, as a crash).
    pub fn stop_immediately(&self) {
        self.pg_ctl(&["-m", "immediate", "stop"]);
    }

    /// Starts the cluster again after a stop.
    pub fn start_again(&self) {
        self.pg_ctl(&["start"]);
    }

    /// Promotes the standby to a primary, waiting until it takes writes.
    pub fn promote(&self) {
        self.pg_ctl(&["promote"]);
    }

    /// `pg_ctl` on this cluster's data, waiting for it (`-w`, 60 s at most).
    fn pg_ctl(&self, args: &[&str]) {
        run(as_cluster_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60"])
            .args(args));
    }

    /// The superuser over the cluster's Unix socket (trusted), for setting
    /// up roles and databases.
    pub async fn superuser(&self) -> tokio_postgres::Client {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(self.dir.path())
            .port(self.port)
            .user("postgres")
            .dbname("postgres");
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect to the test cluster as postgres");
        tokio::spawn(connection);
        client
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_cluster_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A port on 127.0.0.1 that nothing listens on now (bound, then let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Whether the tests run under CI.
fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true" | "1"))
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn newest_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The uid of the cluster's user when the tests run as root (who must give
/// it the cluster's files), added when missing.
fn cluster_uid() -> Option<u32> {
    if !rustix::process::geteuid().is_root() {
        return None;
    }
    ensure_cluster_user();
    let uid = run_output(Command::new("id").args(["-u", CLUSTER_USER]));
    Some(uid.trim().parse().expect("a numeric uid"))
}

/// Adds the cluster's user when it is missing (as `.ci/run` does).
fn ensure_cluster_user() {
    let known = Command::new("id")
        .arg(CLUSTER_USER)
        .output()
        .is_ok_and(|out| out.status.success());
    if !known {
        // Another test may add it at the same moment: what counts is that
        // it exists afterwards.
        let _ = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(CLUSTER_USER)
            .output();
    }
}

/// `program`, run as the cluster's user when the tests run as root.
fn as_cluster_user(program: &Path) -> Command {
    if rustix::process::geteuid().is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", CLUSTER_USER, "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command`, failing the test with its output when it fails.
fn run(command: &mut Command) {
    run_output(command);
}

/// Runs `command` and returns its standard output, failing the test with
/// its output when it fails.
fn run_output(command: &mut Command) -> String {
    let out = command.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
