//! The one error type of the crate and its single mapping to `tonic::Status`.
//!
//! Every error knows its gRPC code and a stable, machine-readable reason
//! (sent as `google.rpc.ErrorInfo.reason`). Causes of internal errors are
//! logged once, here, and never sent to the caller.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// `google.rpc.ErrorInfo.domain` of every error Stepwise returns.
pub const ERROR_DOMAIN: &str = "stepwise.v1";

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem with one request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Request-relative path of the field, e.g. `goal.title`.
    pub field: String,
    /// What is wrong, in words a person understands.
    pub description: String,
}

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; nothing was changed.
    #[error("invalid request: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// The record does not exist, was deleted, or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A record with the requested id already exists.
    #[error("{0} with this id already exists")]
    AlreadyExists(&'static str),
    /// The caller's version is not the record's current version.
    #[error("{what} was changed since version {expected}; current version is {current}")]
    VersionMismatch {
        /// The kind of record.
        what: &'static str,
        /// The version the caller sent.
        expected: i64,
        /// The record's current version.
        current: i64,
    },
    /// No bearer token, or one the server does not know.
    #[error("missing or unknown bearer token; send `authorization: Bearer <token>`")]
    Unauthenticated,
    /// The caller's role may not call this method.
    #[error("{0}")]
    PermissionDenied(&'static str),
    /// The caller's sync cursor cannot be served: the device must drop its
    /// replica and sync again from scratch.
    #[error("{0}; sync again from an empty cursor")]
    ResyncRequired(&'static str),
    /// A record gained a child while it was being deleted; the store
    /// retries the delete, so callers never see this.
    #[error("the record changed while it was being deleted; try again")]
    FamilyChanged,
    /// A sync mutation reuses the id of an earlier, different edit. Only
    /// ever a push's rejection reason: the id is taken, so nothing can fix
    /// the mutation but a new id.
    #[error(
        "this mutation id was already used for a different edit, so this edit was not applied; give every edit a new mutation id and keep it only for retries of that same edit"
    )]
    MutationIdReused,
    /// No invite has this code.
    #[error("no invite has this code; check it with your therapist")]
    InviteNotFound,
    /// The invite was used already.
    #[error("this invite code was used already; ask your therapist for a new one")]
    InviteUsed,
    /// The invite expired.
    #[error("this invite code has expired; ask your therapist for a new one")]
    InviteExpired,
    /// Too many wrong codes from one address.
    #[error("too many wrong invite codes; try again in a few minutes")]
    TooManyAttempts,
    /// The client is already linked to the therapist.
    #[error("you are already linked to this therapist")]
    AlreadyLinked,
    /// The client revoked the therapist's access.
    #[error("the client revoked your access; delete your copy of their data")]
    AccessRevoked,
    /// A message exceeds the size limit (in MiB).
    #[error(
        "the request is larger than the {0} MiB limit; send less at once (for example, smaller push batches)"
    )]
    TooLarge(usize),
    /// The request's bytes are not a valid message of its type.
    #[error("the request is not a valid protobuf message for this method")]
    Malformed,
    /// The caller holds the most live streams an account may (the limit).
    #[error(
        "you already have {0} live streams open (Subscribe and WatchClients), the most one account may; close the streams you no longer use and try again"
    )]
    TooManyStreams(usize),
    /// The server is shutting down; retry against it later.
    #[error("the server is shutting down; reconnect and resume from your last cursor")]
    ShuttingDown,
    /// A failure inside the server; the cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An `InvalidArgument` error about a single field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    /// Wraps a storage or I/O failure.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(cause.into())
    }

    /// The gRPC status code and the stable `ErrorInfo.reason` of this error.
    pub fn code_and_reason(&self) -> (Code, &'static str) {
        match self {
            Error::InvalidArgument(_) => (Code::InvalidArgument, "INVALID_FIELDS"),
            Error::NotFound(_) => (Code::NotFound, "NOT_FOUND"),
            Error::AlreadyExists(_) => (Code::AlreadyExists, "ALREADY_EXISTS"),
            Error::VersionMismatch { .. } => (Code::Aborted, "VERSION_MISMATCH"),
            Error::Unauthenticated => (Code::Unauthenticated, "UNAUTHENTICATED"),
            Error::PermissionDenied(_) => (Code::PermissionDenied, "PERMISSION_DENIED"),
            Error::ResyncRequired(_) => (Code::FailedPrecondition, "RESYNC_REQUIRED"),
            // FAILED_PRECONDITION, not INVALID_ARGUMENT: the same mutation
            // is valid under an unused id; what fails is the store's state
            // (the id is taken), and retrying it unchanged never helps.
            Error::MutationIdReused => (Code::FailedPrecondition, "MUTATION_ID_REUSED"),
            Error::InviteNotFound => (Code::NotFound, "INVITE_NOT_FOUND"),
            Error::InviteUsed => (Code::FailedPrecondition, "INVITE_USED"),
            Error::InviteExpired => (Code::FailedPrecondition, "INVITE_EXPIRED"),
            Error::TooManyAttempts => (Code::ResourceExhausted, "TOO_MANY_ATTEMPTS"),
            Error::AlreadyLinked => (Code::AlreadyExists, "ALREADY_LINKED"),
            Error::AccessRevoked => (Code::PermissionDenied, "ACCESS_REVOKED"),
            Error::Malformed => (Code::InvalidArgument, "MALFORMED_REQUEST"),
            Error::TooLarge(_) => (Code::ResourceExhausted, "MESSAGE_TOO_LARGE"),
            Error::TooManyStreams(_) => (Code::ResourceExhausted, "TOO_MANY_STREAMS"),
            Error::FamilyChanged => (Code::Aborted, "CONCURRENT_CHANGE"),
            Error::ShuttingDown => (Code::Unavailable, "SHUTTING_DOWN"),
            Error::Internal(_) => (Code::Internal, "INTERNAL"),
        }
    }
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<Error> for Status {
    fn from(error: Error) -> Status {
        let (code, reason) = error.code_and_reason();
        if let Error::Internal(cause) = &error {
            tracing::error!(error = %cause, "internal error");
        }
        let mut details = ErrorDetails::new();
        details.set_error_info(reason, ERROR_DOMAIN, []);
        if let Error::InvalidArgument(violations) = &error {
            for v in violations {
                details.add_bad_request_violation(v.field.clone(), v.description.clone());
            }
        }
        Status::with_error_details(code, error.to_string(), details)
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::internal(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(e)
    }
}

/// Collects the violations of a whole request, so the caller learns about
/// every bad field at once rather than one per round trip.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value of a successful parse, or records why `field` is bad
    /// and returns a placeholder that `finish` guarantees is never used.
    pub fn check<T: Default>(&mut self, field: &str, parsed: Result<T, String>) -> T {
        parsed.unwrap_or_else(|description| {
            self.add(field, description);
            T::default()
        })
    }

    /// Records a violation.
    pub fn add(&mut self, field: &str, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.to_owned(),
            description: description.into(),
        });
    }

    /// `Ok` when no violation was recorded.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(self.0))
        }
    }
}
