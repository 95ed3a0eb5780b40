//! The server's explicit limits, in one place (documented in docs/api.md,
//! "Limits").
//!
//! Field lengths, page sizes and push sizes are checked where requests are
//! parsed (see [`crate::domain::fields`] and [`crate::app`]); the limits
//! here apply to the transport.

use std::time::Duration;

/// Largest request or response message. Answers are made to fit: pages,
/// push results and digests of long records are cut (`service::fit`).
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Concurrent HTTP/2 streams (calls) per connection.
pub const MAX_CONCURRENT_STREAMS: u32 = 128;
/// Longest any unary call may take; a shorter `grpc-timeout` from the
/// client is honoured as well.
pub const MAX_CALL_DURATION: Duration = Duration::from_secs(60);
/// Live streams (`Subscribe` and `WatchClients` together) one account may
/// hold open at once: each keeps a task and its buffers on the server. A
/// phone and a dashboard need a few; more means streams were left open.
pub const MAX_STREAMS_PER_ACCOUNT: usize = 16;

// What an open stream whose peer never reads can hold is bounded by its
// 64-event channel, the page of changes its task has read (see
// `app::sync`), and HTTP/2 flow control: hyper buffers at most 400 KiB of
// unsent data per stream (its default; tonic does not expose the setting).

/// How often the health service checks that the store can be read (its
/// database reached), to report NOT_SERVING while it cannot.
pub const STORE_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// A connection from which nothing arrived for this long is pinged (HTTP/2
/// PING), so a peer that vanished without closing (a phone that lost its
/// network, a NAT that forgot the mapping) is noticed.
pub const HTTP2_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// A ping unanswered for this long closes the connection, ending its
/// streams and freeing their places and buffers. Connections have no
/// maximum age: live streams are meant to stay open for hours.
pub const HTTP2_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// TCP keepalive, which also covers HTTP/1.1 (gRPC-Web) connections: the
/// kernel probes a connection idle for this long...
pub const TCP_KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
/// ...every this long...
pub const TCP_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// ...and drops it after this many unanswered probes.
pub const TCP_KEEPALIVE_RETRIES: u32 = 3;
/// Open files never given to connections: the store's files, the
/// PostgreSQL pool, the metrics endpoint, backups' and exports' scratch
/// files, the runtime's own. The default connection cap leaves a quarter of
/// the open-file limit, and never less than this.
pub const RESERVED_DESCRIPTORS: u64 = 64;
