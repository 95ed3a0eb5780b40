//! The one error type of the crate, with one table of codes and reasons.
//!
//! Every error knows its [`Code`] and a stable, machine-readable reason
//! derived from its variant's name (sent as `google.rpc.ErrorInfo.reason`).
//! Nothing here knows a transport: the server maps errors to
//! `tonic::Status` in one place (`crate::server::status`), where the causes
//! of internal errors are logged once and never sent to the caller.

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One bad field: where, and what is wrong with it in words a person
/// understands. The one type for it, from the domain's rules to the API's
/// `google.rpc.BadRequest`.
///
/// In an error the path is relative to the request (`goal.title`). A
/// domain rule that checks a whole value reports paths relative to that
/// value (`answers[3]`, `bands[1].min_score`); its caller puts them under
/// the value's own path ([`FieldViolation::under`],
/// [`Violations::extend_under`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `goal.title`.
    pub field: String,
    /// What is wrong, for example "must be between 0 and 3, got 5".
    pub description: String,
}

impl FieldViolation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The same violation under a parent path: `items[2]` + `text` gives
    /// `items[2].text`.
    pub fn under(self, parent: &str) -> Self {
        Self {
            field: format!("{parent}.{}", self.field),
            description: self.description,
        }
    }
}

impl std::fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Fields of the request are invalid; nothing was changed.
    #[error("invalid request: {}", describe(.0))]
    InvalidFields(Vec<FieldViolation>),
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
    /// No bearer token, one not sent as `Bearer <token>`, or one the
    /// server does not know; the message says which.
    #[error("{0}")]
    Unauthenticated(Credentials),
    /// The token was revoked.
    #[error("this token was revoked; sign in again to get a new one")]
    TokenRevoked,
    /// The token's expiry time has passed.
    #[error("this token has expired; sign in again to get a new one")]
    TokenExpired,
    /// An access token's expiry time has passed; its session may still
    /// work.
    #[error("this access token has expired; get a new one with AuthService.RefreshSession")]
    AccessTokenExpired,
    /// The device session of the call's access token, or of a refresh
    /// token, has ended.
    #[error("this device's session has ended; sign in again")]
    SessionEnded,
    /// A wrong email or password: which one is not said.
    #[error("the email or the password is wrong")]
    SignInFailed,
    /// Too many failed sign-ins lately from the caller's address, or for
    /// the email from it.
    #[error(
        "too many failed sign-ins; try again in {} seconds",
        (retry_after_us + 999_999) / 1_000_000
    )]
    SignInThrottled {
        /// How long to wait, in microseconds.
        retry_after_us: i64,
    },
    /// A refresh token that had been replaced was presented again.
    #[error(
        "this refresh token was replaced already, so it may have been copied: the device's \
         session has ended for safety; sign in again"
    )]
    RefreshTokenReused,
    /// A refresh token of another device session than the one named.
    #[error("this refresh token belongs to another device session than session_id")]
    RefreshTokenOfAnotherSession,
    /// A call that only a device session can make came with a personal
    /// access token.
    #[error(
        "this call came with a personal access token, not a signed-in device's: revoke it with \
         AccountService.RevokeToken"
    )]
    NotADeviceSession,
    /// No setup code is this one.
    #[error("no account has this setup code; check it, or ask your administrator for a new one")]
    SetupCodeNotFound,
    /// The setup code expired.
    #[error("this setup code has expired; ask your administrator for a new one")]
    SetupCodeExpired,
    /// The account has a second factor, and the sign-in gave no code.
    #[error(
        "this account has a second factor: send the authenticator's current code, or a recovery \
         code, as second_factor_code"
    )]
    SecondFactorNeeded,
    /// The second factor's code is wrong or was used already.
    #[error(
        "this code is not the authenticator's current code, or was used already; wait for the \
         next code, or use a recovery code"
    )]
    SecondFactorWrong,
    /// The account has a second factor already.
    #[error("this account has a second factor already; remove it first to add another")]
    SecondFactorExists,
    /// No recovery code is this one.
    #[error("no account has this recovery code; check it, or ask for a new one")]
    RecoveryCodeNotFound,
    /// The recovery code expired.
    #[error("this recovery code has expired; ask your therapist or administrator for a new one")]
    RecoveryCodeExpired,
    /// The account has no email and password to recover.
    #[error("this account has no sign-in email; it cannot be recovered with a code")]
    NoSignInEmail,
    /// A therapist or administrator without a second factor asked for a
    /// client's data.
    #[error("add a second factor (AuthService.BeginTotpEnrollment) before reading clients' data")]
    SecondFactorRequired,
    /// No authenticator is being added.
    #[error("no authenticator is being added: begin with BeginTotpEnrollment")]
    NoTotpEnrollment,
    /// Another account signs in with this email.
    #[error("another account signs in with this email; choose another")]
    EmailInUse,
    /// An administrator disabled the account.
    #[error("this account is disabled; ask your administrator")]
    AccountDisabled,
    /// The account was deleted, with everything it kept.
    #[error("this account was deleted; delete what this device keeps of it")]
    AccountDeleted,
    /// An administrator asked to disable or delete their own account.
    #[error("administrators cannot disable or delete their own account; ask another administrator")]
    OwnAccount,
    /// The account was deleted; nothing can change it any more.
    #[error("this account was deleted; nothing about it can change")]
    AlreadyDeleted,
    /// Only client accounts can be deleted.
    #[error("only client accounts can be deleted; disable other accounts instead")]
    NotAClientAccount,
    /// The caller's role may not call this method.
    #[error("{0}")]
    PermissionDenied(&'static str),
    /// The caller's sync cursor cannot be served: the device must drop its
    /// replica and sync again from scratch.
    #[error("{0}; sync again from an empty cursor")]
    ResyncRequired(&'static str),
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
    MessageTooLarge(usize),
    /// The request's bytes are not a valid message of its type.
    #[error("the request is not a valid protobuf message for this method")]
    MalformedRequest,
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
    /// A goal without an attainment scale cannot be rated for attainment.
    #[error(
        "this goal has no attainment scale; describe its five levels (attainment_scale) before rating it"
    )]
    NoAttainmentScale,
    /// A risk acknowledgement for a client with no open risk alert.
    #[error("this client has no open risk alert to acknowledge")]
    NoOpenRiskAlert,
    /// Answers were given to another version of the instrument than the
    /// current one.
    #[error(
        "the instrument is at version {current}, not {answered}; fetch it again and answer its current questions"
    )]
    InstrumentChanged {
        /// The version the client answered.
        answered: i64,
        /// The instrument's current version.
        current: u32,
    },
    /// The database cannot take the call now (unreachable, or too many
    /// conflicting writes); retrying later may succeed.
    #[error("{0}")]
    StoreUnavailable(&'static str),
    /// This server's store cannot do what was asked (the message names the
    /// tool that can).
    #[error("{0}")]
    Unsupported(&'static str),
    /// A store or backup is in an on-disk format this version does not
    /// read (the format may change before 1.0; nothing is migrated).
    #[error(
        "it is in Stepwise's on-disk format {found}, and this version reads format {reads} only \
         (the format may change before 1.0 and is never migrated): use it with the version of \
         Stepwise that wrote it, or start this version on a new, empty data dir"
    )]
    StoreFormat {
        /// The format found.
        found: u32,
        /// The format this version reads.
        reads: u32,
    },
}

/// What was wrong with the credentials of an unauthenticated call. All
/// share the reason `UNAUTHENTICATED`; the messages differ, so that someone
/// who sent a token learns that its value, not its absence, is the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// No `authorization` metadata, or no token in it.
    Missing,
    /// `authorization` metadata that does not start with `Bearer `.
    NotBearer,
    /// More than one word after `Bearer `: `Bearer` twice, or a whole
    /// `authorization: Bearer <token>` header sent as the token.
    NotBare,
    /// A token the server does not know (or whose account is gone).
    Unknown,
}

impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Missing => {
                "no bearer token: send the metadata `authorization: Bearer <token>`"
            }
            Credentials::NotBearer => {
                "the `authorization` metadata does not start with `Bearer `: send \
                 `authorization: Bearer <token>`"
            }
            Credentials::NotBare => {
                "the `authorization` metadata holds more than `Bearer ` and one token \
                 (`Bearer` twice, or a whole header pasted as the token?): send \
                 `authorization: Bearer <token>` with the bare token, once"
            }
            Credentials::Unknown => {
                "this server does not know this token: check that it was copied whole and \
                 that this server (or the store it was restored from) issued it"
            }
        })
    }
}

impl Error {
    /// An `INVALID_FIELDS` error about a single field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidFields(vec![FieldViolation::new(field, description)])
    }

    /// Wraps a storage or I/O failure.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(cause.into())
    }

    /// The stable, machine-readable reason of this error: its variant's
    /// name in UPPER_SNAKE_CASE (`VersionMismatch` is `VERSION_MISMATCH`),
    /// so reasons cannot drift from variants.
    pub fn reason(&self) -> String {
        upper_snake_case(self.variant_name())
    }
}

/// What kind of failure an error is, independent of any transport; the
/// server maps these one to one onto gRPC's canonical codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The request is wrong; retrying it unchanged fails again.
    InvalidArgument,
    /// The record does not exist (or the caller may not know it does).
    NotFound,
    /// What the request would create exists already.
    AlreadyExists,
    /// A concurrent change won; read again and retry.
    Aborted,
    /// The caller is not authenticated.
    Unauthenticated,
    /// The caller may not do this.
    PermissionDenied,
    /// The system is not in a state in which this can be done.
    FailedPrecondition,
    /// A limit was reached.
    ResourceExhausted,
    /// The server cannot serve now; retry later.
    Unavailable,
    /// Not supported by this server.
    Unimplemented,
    /// A failure inside the server.
    Internal,
}

/// The table of every error's code; its reason comes from the variant's
/// name. A new variant without a row here does not compile.
macro_rules! error_codes {
    ($($variant:ident => $code:ident,)*) => {
        impl Error {
            /// The code of this error.
            pub fn code(&self) -> Code {
                match self {
                    $(Error::$variant { .. } => Code::$code,)*
                }
            }

            fn variant_name(&self) -> &'static str {
                match self {
                    $(Error::$variant { .. } => stringify!($variant),)*
                }
            }
        }
    };
}

error_codes! {
    InvalidFields => InvalidArgument,
    NotFound => NotFound,
    AlreadyExists => AlreadyExists,
    VersionMismatch => Aborted,
    Unauthenticated => Unauthenticated,
    TokenRevoked => Unauthenticated,
    TokenExpired => Unauthenticated,
    AccessTokenExpired => Unauthenticated,
    SessionEnded => Unauthenticated,
    SignInFailed => Unauthenticated,
    SignInThrottled => ResourceExhausted,
    RefreshTokenReused => Unauthenticated,
    RefreshTokenOfAnotherSession => Unauthenticated,
    NotADeviceSession => FailedPrecondition,
    SetupCodeNotFound => NotFound,
    SetupCodeExpired => FailedPrecondition,
    EmailInUse => AlreadyExists,
    SecondFactorNeeded => Unauthenticated,
    SecondFactorWrong => Unauthenticated,
    SecondFactorExists => FailedPrecondition,
    NoTotpEnrollment => FailedPrecondition,
    SecondFactorRequired => FailedPrecondition,
    RecoveryCodeNotFound => NotFound,
    RecoveryCodeExpired => FailedPrecondition,
    NoSignInEmail => FailedPrecondition,
    AccountDisabled => Unauthenticated,
    AccountDeleted => Unauthenticated,
    OwnAccount => FailedPrecondition,
    AlreadyDeleted => FailedPrecondition,
    NotAClientAccount => FailedPrecondition,
    PermissionDenied => PermissionDenied,
    ResyncRequired => FailedPrecondition,
    MutationIdReused => FailedPrecondition,
    InviteNotFound => NotFound,
    InviteUsed => FailedPrecondition,
    InviteExpired => FailedPrecondition,
    TooManyAttempts => ResourceExhausted,
    AlreadyLinked => AlreadyExists,
    AccessRevoked => PermissionDenied,
    MessageTooLarge => ResourceExhausted,
    MalformedRequest => InvalidArgument,
    TooManyStreams => ResourceExhausted,
    ShuttingDown => Unavailable,
    Internal => Internal,
    NoAttainmentScale => FailedPrecondition,
    NoOpenRiskAlert => FailedPrecondition,
    InstrumentChanged => FailedPrecondition,
    StoreUnavailable => Unavailable,
    Unsupported => Unimplemented,
    StoreFormat => FailedPrecondition,
}

/// `VersionMismatch` → `VERSION_MISMATCH`.
fn upper_snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The violations of an `INVALID_FIELDS` error, in order.
pub fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(FieldViolation::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// An error and its chain of causes, on one line.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text = format!("{text}: {next}");
        cause = next.source();
    }
    text
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(e)
    }
}

/// Collects the violations of a whole request or value while it is
/// checked field by field, so the caller learns about every bad field at
/// once rather than one per round trip.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value of a successful parse, or records why `field` is bad
    /// and returns a placeholder that `finish` guarantees is never used.
    pub fn check<T: Default>(&mut self, field: impl Into<String>, parsed: Result<T, String>) -> T {
        self.ok(field, parsed).unwrap_or_default()
    }

    /// Keeps the value of a check that passed; records the violation of
    /// one that failed and returns `None`.
    pub fn ok<T>(&mut self, field: impl Into<String>, parsed: Result<T, String>) -> Option<T> {
        parsed
            .map_err(|description| self.add(field, description))
            .ok()
    }

    /// Records a violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Records the violations of a nested value (paths relative to it)
    /// under its path `parent`.
    pub fn extend_under(&mut self, parent: &str, nested: Vec<FieldViolation>) {
        self.0.extend(nested.into_iter().map(|v| v.under(parent)));
    }

    /// Whether nothing was recorded so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations recorded, to be reported later with others.
    pub fn into_vec(self) -> Vec<FieldViolation> {
        self.0
    }

    /// `Ok` when no violation was recorded, else `INVALID_FIELDS` with
    /// every one.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidFields(self.0))
        }
    }

    /// `Ok(value())` when no violation was recorded, else every one: for a
    /// rule whose caller puts the paths under its own.
    pub fn finish_with<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldViolation>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

impl Extend<FieldViolation> for Violations {
    fn extend<I: IntoIterator<Item = FieldViolation>>(&mut self, violations: I) {
        self.0.extend(violations);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_violations_carry_their_parent_path() {
        let mut v = Violations::new();
        assert_eq!(v.ok("title", Ok::<_, String>(1)), Some(1));
        v.extend_under(
            "items[2]",
            vec![FieldViolation::new("text", "must not be empty")],
        );
        assert_eq!(
            v.finish_with(|| ()),
            Err(vec![FieldViolation::new(
                "items[2].text",
                "must not be empty"
            )])
        );
    }
}
