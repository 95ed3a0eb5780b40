//! TLS to PostgreSQL: a cluster of the test's own that takes TLS
//! connections only, with a certificate from a CA made in the test.
//! `sslmode=verify-full` with that CA connects and serves; a certificate
//! from another CA, or for another host name, stops the server with a
//! clear error; `sslmode=require` connects without checking and warns.

use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;

use crate::binary::{STEPWISE, ServerProcess, authed, spawn_server, spawn_server_logged};
use crate::database_url::start_fails;
use crate::helpers::cluster::Cluster;

/// A CA of the test's own.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        Self { issuer }
    }

    /// The CA's certificate, as a file in `dir` that a URL's `sslrootcert`
    /// names.
    fn write_to(&self, dir: &std::path::Path) -> String {
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.issuer.pem()).expect("write the CA file");
        path.display().to_string()
    }

    /// A server certificate for `host` and its key, both PEM.
    fn server_certificate(&self, host: &str) -> (String, String) {
        let params = CertificateParams::new(vec![host.to_owned()]).expect("server params");
        let key = KeyPair::generate().expect("server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("server certificate");
        (cert.pem(), key.serialize_pem())
    }
}

/// A TLS-only cluster showing a certificate for "localhost" from `ca`.
fn cluster_signed_by(ca: &TestCa) -> Option<Cluster> {
    let (cert, key) = ca.server_certificate("localhost");
    Cluster::with_tls_only(&cert, &key)
}

/// `stepwise serve` on `url`: serves (it logged its address), and what it
/// logged while starting.
fn serves(url: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, _, logged) = spawn_server_logged(
        Command::new(STEPWISE)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--database-url", url]),
    );
    drop(ServerProcess(child));
    logged
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_connects_over_tls() {
    let ca = TestCa::new("Stepwise test CA");
    let Some(cluster) = cluster_signed_by(&ca) else {
        return;
    };
    let files = tempfile::tempdir().expect("temp dir");
    let root = ca.write_to(files.path());
    let port = cluster.port;

    // The cluster refuses plain TCP (hostssl only): a server that serves
    // on it went over TLS.
    let plain = start_fails(&format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=disable"
    ));
    assert!(plain.contains("no pg_hba.conf entry"), "{plain}");

    let logged = serves(&format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={root}"
    ));
    assert!(
        !logged.iter().any(|line| line.contains("sslmode=require")),
        "verify-full warned as if unchecked: {logged:?}"
    );
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let ca = TestCa::new("Stepwise test CA");
    let Some(cluster) = cluster_signed_by(&ca) else {
        return;
    };
    let files = tempfile::tempdir().expect("temp dir");
    let other = TestCa::new("Some other CA").write_to(files.path());
    let said = start_fails(&format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={other}",
        cluster.port
    ));
    for expected in [
        "certificate was refused",
        "UnknownIssuer",
        "sslrootcert",
        "--database-url",
    ] {
        assert!(said.contains(expected), "{expected:?} missing from: {said}");
    }
}

#[tokio::test]
async fn a_certificate_for_another_host_name_is_refused() {
    let ca = TestCa::new("Stepwise test CA");
    let Some(cluster) = cluster_signed_by(&ca) else {
        return;
    };
    let files = tempfile::tempdir().expect("temp dir");
    let root = ca.write_to(files.path());
    // The certificate names "localhost"; the URL names the address.
    let said = start_fails(&format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={root}",
        cluster.port
    ));
    for expected in [
        "certificate was refused",
        "not valid for name",
        "host in the URL",
    ] {
        assert!(said.contains(expected), "{expected:?} missing from: {said}");
    }
}

#[tokio::test]
async fn require_encrypts_without_checking_and_warns() {
    let ca = TestCa::new("Stepwise test CA");
    let Some(cluster) = cluster_signed_by(&ca) else {
        return;
    };
    let logged = serves(&format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=require",
        cluster.port
    ));
    assert!(
        logged
            .iter()
            .any(|line| line.contains("WARN") && line.contains("without checking")),
        "no warning about an unchecked certificate: {logged:?}"
    );
}

#[test]
fn require_against_a_server_without_tls_says_so() {
    let Some(cluster) = Cluster::with_passwords() else {
        return;
    };
    let said = start_fails(&format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=require",
        cluster.port
    ));
    assert!(said.contains("does not offer TLS"), "{said}");
}

#[test]
fn verify_full_without_a_ca_file_says_what_to_add() {
    let said = start_fails("postgres://postgres@localhost:1/postgres?sslmode=verify-full");
    assert!(said.contains("add sslrootcert=FILE"), "{said}");
}

#[tokio::test]
async fn a_node_keeps_at_most_its_pool_size_of_connections_all_encrypted() {
    let ca = TestCa::new("Stepwise test CA");
    let Some(cluster) = cluster_signed_by(&ca) else {
        return;
    };
    let files = tempfile::tempdir().expect("temp dir");
    let root = ca.write_to(files.path());
    let data = files.path().join("data");
    let (child, addr) = spawn_server(
        Command::new(STEPWISE)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(&data)
            .args(["--database-pool-size", "2", "--database-url"])
            .arg(format!(
                "postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={root}",
                cluster.port
            )),
    );
    let _server = ServerProcess(child);
    let admin = std::fs::read_to_string(data.join("admin.token")).expect("admin token");
    let admin = admin.trim().to_owned();

    // More calls at once than the pool has connections: they take turns.
    let calls = (0..16).map(|_| {
        let admin = admin.clone();
        async move {
            AccountServiceClient::new(authed(addr, &admin).await)
                .get_current_account(pb::GetCurrentAccountRequest {})
                .await
                .expect("the administrator's account")
        }
    });
    futures_util::future::join_all(calls).await;

    let (connections, encrypted): (i64, i64) = {
        let row = cluster
            .superuser()
            .await
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
                 JOIN pg_stat_ssl s USING (pid) WHERE a.client_addr IS NOT NULL",
                &[],
            )
            .await
            .expect("count the node's connections");
        (row.get(0), row.get(1))
    };
    assert!(
        (1..=2).contains(&connections),
        "{connections} connections for a pool of 2"
    );
    assert_eq!(encrypted, connections, "a connection without TLS");
}
