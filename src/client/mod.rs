//! The public client of Stepwise, for tools and tests: authenticated
//! channels, the reference sync client that mobile apps model themselves
//! on ([`SyncClient`]), and downloading backups ([`backup`]) and a
//! client's export ([`export`]), and making a ready-to-use account
//! ([`accounts`]).

pub mod accounts;
mod auth;
pub mod backup;
pub mod export;
mod partial;
mod sync;

pub use auth::{BearerToken, authenticated};
pub use sync::*;

use std::path::Path;

use tonic::transport::{Certificate, Channel, ClientTlsConfig};

pub use crate::error::with_causes;

/// Why a channel to a server could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The settings cannot be used.
    #[error("{0}")]
    Config(String),
    /// Connecting failed (with the causes: "transport error" alone says
    /// nothing about a refused connection or an untrusted certificate).
    #[error("cannot connect: {}", with_causes(.0))]
    Transport(#[from] tonic::transport::Error),
}

/// A channel to the server at `server` (`http://` or `https://`); for
/// `https://`, trusting the PEM certificate in `tls_ca` (a private CA, or
/// the server's own self-signed certificate) or else the system's roots.
pub async fn connect(server: &http::Uri, tls_ca: Option<&Path>) -> Result<Channel, ConnectError> {
    let mut endpoint = Channel::builder(server.clone());
    if server.scheme_str() == Some("https") {
        let tls = match tls_ca {
            Some(ca) => {
                let pem = std::fs::read(ca).map_err(|e| {
                    ConnectError::Config(format!("cannot read {}: {e}", ca.display()))
                })?;
                ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
            }
            None => ClientTlsConfig::new().with_native_roots(),
        };
        endpoint = endpoint.tls_config(tls)?;
    } else if tls_ca.is_some() {
        return Err(ConnectError::Config(format!(
            "a CA certificate needs an https:// server, not {server}"
        )));
    }
    Ok(endpoint.connect().await?)
}
