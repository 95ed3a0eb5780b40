//! TLS to the database, asked for as libpq asks for it: `sslmode` and
//! `sslrootcert` in the URL's query.
//!
//! tokio-postgres reads `sslmode` as `disable`, `prefer` or `require` only
//! and knows no `sslrootcert`, and the verification is the connector's: so
//! [`DatabaseTls::split`] takes both off the URL before tokio-postgres
//! parses it, and builds the rustls connector the mode needs.
//!
//! | `sslmode` | encrypted | the server's certificate |
//! | --- | --- | --- |
//! | `disable` | never | not looked at |
//! | `prefer` (the default, as libpq's) | when the server offers TLS | not checked |
//! | `require` | always | not checked: a warning at start-up |
//! | `verify-full` | always | signed by `sslrootcert`'s CA and naming the URL's host |
//!
//! `verify-ca` (a trusted CA, any host name) is refused with a pointer to
//! `verify-full`: trusting any certificate a CA ever signed, for any host,
//! is rarely what an operator means.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_postgres::Config;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    WebPkiSupportedAlgorithms, ring, verify_tls12_signature, verify_tls13_signature,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// How the connections to the database are secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TlsMode {
    /// Never encrypted.
    Disable,
    /// Encrypted when the server offers TLS; its certificate unchecked.
    Prefer,
    /// Always encrypted; the server's certificate unchecked.
    Require,
    /// Always encrypted, to a server whose certificate a trusted CA signed
    /// for the host the URL names.
    VerifyFull,
}

/// Why the URL's TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSettingsError {
    /// An `sslmode` libpq knows but Stepwise does not take.
    #[error(
        "sslmode={0} is not supported: use sslmode=verify-full (with sslrootcert=FILE, the CA's \
         certificate) to check the server's certificate, or sslmode=require to encrypt without \
         checking it"
    )]
    UnsupportedMode(String),
    /// An `sslmode` nobody knows.
    #[error("sslmode={0} is not a TLS mode: use disable, prefer, require or verify-full")]
    UnknownMode(String),
    /// `verify-full` without a CA to verify with.
    #[error(
        "sslmode=verify-full needs the CA that signed the server's certificate: add \
         sslrootcert=FILE (PEM) to the URL, or sslrootcert=system for the system's CAs"
    )]
    NoRootCert,
    /// The CA file cannot be read.
    #[error("cannot read sslrootcert {path}: {reason}")]
    RootCert {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the settings.
    #[error("cannot set up TLS to the database: {0}")]
    Rustls(#[from] tokio_rustls::rustls::Error),
}

/// Where the trusted CAs come from.
enum Roots {
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
    /// The operating system's CAs (`sslrootcert=system`, as libpq 16 reads it).
    System,
}

/// The URL's TLS settings, as tokio-postgres and its connector take them.
pub(super) struct DatabaseTls {
    /// The mode the URL asks for; `None` when it names none, or is a
    /// `key=value` connection string (which tokio-postgres reads itself).
    requested: Option<TlsMode>,
    /// The connector that secures each connection as `mode` says.
    pub(super) connector: MakeRustlsConnect,
}

impl DatabaseTls {
    /// Takes `sslmode` and `sslrootcert` off `url`'s query; returns the URL
    /// tokio-postgres can parse and the settings they asked for.
    pub(super) fn split(url: &str) -> Result<(String, DatabaseTls), TlsSettingsError> {
        let (url, mode, roots) = take_tls_params(url)?;
        let requested = match mode.as_deref() {
            None => None,
            Some("disable") => Some(TlsMode::Disable),
            Some("prefer") => Some(TlsMode::Prefer),
            Some("require") => Some(TlsMode::Require),
            Some("verify-full") => Some(TlsMode::VerifyFull),
            Some(mode @ ("allow" | "verify-ca")) => {
                return Err(TlsSettingsError::UnsupportedMode(mode.to_owned()));
            }
            Some(other) => return Err(TlsSettingsError::UnknownMode(other.to_owned())),
        };
        let provider = Arc::new(ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let config = match requested {
            Some(TlsMode::VerifyFull) => builder
                .with_root_certificates(trusted(roots.ok_or(TlsSettingsError::NoRootCert)?)?)
                .with_no_client_auth(),
            _ => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unchecked(
                    provider.signature_verification_algorithms,
                )))
                .with_no_client_auth(),
        };
        Ok((
            url,
            DatabaseTls {
                requested,
                connector: MakeRustlsConnect::new(config),
            },
        ))
    }

    /// Sets the mode the URL asked for in `config`, as tokio-postgres
    /// negotiates it; returns a warning for the operator when the
    /// connections will be encrypted without checking whose certificate
    /// the server shows.
    pub(super) fn apply(&self, config: &mut Config) -> Option<&'static str> {
        if let Some(mode) = self.requested {
            config.ssl_mode(match mode {
                TlsMode::Disable => SslMode::Disable,
                TlsMode::Prefer => SslMode::Prefer,
                TlsMode::Require | TlsMode::VerifyFull => SslMode::Require,
            });
        }
        let unchecked = self.requested != Some(TlsMode::VerifyFull);
        (unchecked && matches!(config.get_ssl_mode(), SslMode::Require)).then_some(
            "sslmode=require encrypts the connections to the database without checking the \
             server's certificate: anyone on the network path can pose as the database. Use \
             sslmode=verify-full&sslrootcert=FILE (the CA that signed the server's certificate)",
        )
    }
}

/// `url` without its `sslmode` and `sslrootcert` query parameters, and
/// their values (percent-decoded). A connection string that is not a URL
/// is left to tokio-postgres whole.
fn take_tls_params(url: &str) -> Result<(String, Option<String>, Option<Roots>), TlsSettingsError> {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
        return Ok((url.to_owned(), None, None));
    };
    let (mut mode, mut roots, mut kept) = (None, None, Vec::new());
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        };
        match key {
            "sslmode" => mode = Some(decoded()),
            "sslrootcert" => {
                let value = decoded();
                roots = Some(if value == "system" {
                    Roots::System
                } else {
                    Roots::File(value.into())
                });
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, mode, roots))
}

/// The CAs `roots` names.
fn trusted(roots: Roots) -> Result<RootCertStore, TlsSettingsError> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let unreadable = |reason: String| TlsSettingsError::RootCert {
                path: path.clone(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| unreadable(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| unreadable(e.to_string()))?;
            if certs.is_empty() {
                return Err(unreadable("it holds no PEM certificate".into()));
            }
            for cert in certs {
                store
                    .add(cert)
                    .map_err(|e| unreadable(format!("a certificate in it is not usable: {e}")))?;
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(TlsSettingsError::RootCert {
                    path: "system".into(),
                    reason: "the system has no CA certificates Stepwise can read".into(),
                });
            }
        }
    }
    Ok(store)
}

/// Accepts any certificate (`prefer`, `require`): the connection is
/// encrypted, but anyone on the path may pose as the database. The
/// handshake's signatures are still checked, as TLS needs them to be.
#[derive(Debug)]
struct Unchecked(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_leave_the_url_and_others_stay() {
        let (url, mode, roots) = take_tls_params(
            "postgres://u:p@db:5432/s?connect_timeout=3&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&target_session_attrs=read-write",
        )
        .expect("settings");
        assert_eq!(
            url,
            "postgres://u:p@db:5432/s?connect_timeout=3&target_session_attrs=read-write"
        );
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert!(
            matches!(roots, Some(Roots::File(path)) if path == std::path::Path::new("/etc/ca.pem"))
        );
    }

    #[test]
    fn a_url_with_only_tls_parameters_loses_its_query() {
        let (url, _, _) = take_tls_params("postgres://db/s?sslmode=require").expect("settings");
        assert_eq!(url, "postgres://db/s");
    }

    #[test]
    fn modes_stepwise_does_not_take_are_refused_with_what_to_use() {
        for (url, says) in [
            (
                "postgres://db/s?sslmode=verify-ca",
                "use sslmode=verify-full",
            ),
            ("postgres://db/s?sslmode=strict", "not a TLS mode"),
            (
                "postgres://db/s?sslmode=verify-full",
                "add sslrootcert=FILE",
            ),
            (
                "postgres://db/s?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
                "cannot read sslrootcert /nonexistent/ca.pem",
            ),
        ] {
            let error = DatabaseTls::split(url).err().expect("refused").to_string();
            assert!(error.contains(says), "{url}: {error}");
        }
    }
}
