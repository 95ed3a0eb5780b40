//! Errors that stop a benchmark.

use stepwise::client::ConnectError;
use tonic::Status;

/// Errors that stop a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The settings cannot be used.
    #[error("{0}")]
    Config(String),
    /// The embedded server did not start.
    #[error("embedded server: {0}")]
    Server(#[from] stepwise::server::ServerError),
    /// Connecting failed.
    #[error("{0}")]
    Connect(#[from] ConnectError),
    /// Setting up the benchmark data failed.
    #[error("setting up: {}", .0.message())]
    Setup(#[from] Status),
    /// A local file could not be used.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
