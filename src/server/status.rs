//! Errors as gRPC statuses: the one mapping from [`Error`] to
//! `tonic::Status`, and the rewrite of tonic's own answers to bad transport
//! input.

use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::{Code, Error};
use crate::limits::MAX_MESSAGE_BYTES;

/// `google.rpc.ErrorInfo.domain` of every error Stepwise returns.
pub const ERROR_DOMAIN: &str = "stepwise.v1";

impl From<Code> for tonic::Code {
    fn from(code: Code) -> Self {
        match code {
            Code::InvalidArgument => tonic::Code::InvalidArgument,
            Code::NotFound => tonic::Code::NotFound,
            Code::AlreadyExists => tonic::Code::AlreadyExists,
            Code::Aborted => tonic::Code::Aborted,
            Code::Unauthenticated => tonic::Code::Unauthenticated,
            Code::PermissionDenied => tonic::Code::PermissionDenied,
            Code::FailedPrecondition => tonic::Code::FailedPrecondition,
            Code::ResourceExhausted => tonic::Code::ResourceExhausted,
            Code::Unavailable => tonic::Code::Unavailable,
            Code::Unimplemented => tonic::Code::Unimplemented,
            Code::Internal => tonic::Code::Internal,
        }
    }
}

impl From<Error> for Status {
    /// The status for an error: its code, its message, an ErrorInfo with
    /// its reason, and for invalid fields a BadRequest naming each. The
    /// cause of an internal error is logged here, once, and not sent.
    fn from(error: Error) -> Status {
        if let Error::Internal(cause) = &error {
            tracing::error!(error = %cause, "internal error");
        }
        let mut details = ErrorDetails::new();
        details.set_error_info(error.reason(), ERROR_DOMAIN, []);
        if let Error::SignInThrottled { retry_after_us } = &error {
            let wait =
                std::time::Duration::from_micros(u64::try_from(*retry_after_us).unwrap_or(0));
            details.set_retry_info(Some(wait));
        }
        if let Error::InvalidFields(violations) = &error {
            for v in violations {
                details.add_bad_request_violation(v.field.clone(), v.description.clone());
            }
        }
        Status::with_error_details(error.code().into(), error.to_string(), details)
    }
}

/// The answer to a call whose handler panicked (a bug): `INTERNAL`, as any
/// internal error, instead of a reset stream that the caller would read as
/// its own cancellation. The panic's message is not logged (it may quote
/// what the call carried); the panic hook prints where it happened.
pub fn answer_panic(_panic: Box<dyn std::any::Any + Send>) -> http::Response<tonic::body::Body> {
    Status::from(Error::internal("a call panicked")).into_http()
}

/// Rewrites tonic's own answers to bad transport input: an oversized
/// request (OUT_OF_RANGE with an internal message) becomes
/// RESOURCE_EXHAUSTED naming the limit, and bytes that are not a valid
/// message (INTERNAL, as gRPC's guide has it) become INVALID_ARGUMENT: the
/// caller's request is at fault, not the server.
pub fn explain_bad_input<B: Default>(response: http::Response<B>) -> http::Response<B> {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    let error = match status.code() {
        tonic::Code::OutOfRange if status.message().contains("message length too large") => {
            Error::MessageTooLarge(MAX_MESSAGE_BYTES / (1024 * 1024))
        }
        tonic::Code::Internal
            if status
                .message()
                .starts_with("failed to decode Protobuf message") =>
        {
            Error::MalformedRequest
        }
        _ => return response,
    };
    Status::from(error).into_http()
}
