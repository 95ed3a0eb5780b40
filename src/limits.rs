//! The server's explicit limits, in one place (documented in the README).
//!
//! Field lengths, page sizes and push sizes are checked where requests are
//! parsed (see [`crate::domain::fields`] and [`crate::app`]); the limits
//! here apply to the transport.

use std::time::Duration;

/// Largest request or response message.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Concurrent HTTP/2 streams (calls) per connection.
pub const MAX_CONCURRENT_STREAMS: u32 = 128;
/// Longest any unary call may take; a shorter `grpc-timeout` from the
/// client is honoured as well.
pub const MAX_CALL_DURATION: Duration = Duration::from_secs(60);

/// tonic reports an oversized request as OUT_OF_RANGE with an internal
/// message; callers get RESOURCE_EXHAUSTED with the limit instead.
pub fn explain_oversize<B: Default>(response: http::Response<B>) -> http::Response<B> {
    let status = tonic::Status::from_header_map(response.headers());
    match status {
        Some(status)
            if status.code() == tonic::Code::OutOfRange
                && status.message().contains("message length too large") =>
        {
            let error = crate::error::Error::TooLarge(MAX_MESSAGE_BYTES / (1024 * 1024));
            tonic::Status::from(error).into_http()
        }
        _ => response,
    }
}
