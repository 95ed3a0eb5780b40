//! New connections: how many the server holds, how it accepts them, and
//! how long one may take to start speaking HTTP.
//!
//! - At start the soft open-file limit is raised to the hard one, and the
//!   connections are capped below it, so that the store, the PostgreSQL
//!   pool and backups always have descriptors left. Past the cap, new
//!   connections wait in the kernel's listen backlog until one closes (one
//!   cap for all peers: a clinic's devices share one address).
//! - A connection must finish its TLS handshake (with TLS) and its HTTP
//!   handshake (see [`super::handshake`]) within the handshake deadline of
//!   being accepted, or it is closed: hyper waits for a peer's first bytes
//!   forever, and its keepalive starts only after them.
//! - An error from accept (out of descriptors, of memory) is logged and
//!   accept is retried after a pause that grows, not in a busy loop.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::either::Either;
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

use super::handshake::Handshake;
use crate::limits::RESERVED_DESCRIPTORS;

/// The first pause after an error from accept; each further error in a
/// row doubles it, up to [`MAX_ACCEPT_PAUSE`].
const MIN_ACCEPT_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause after errors from accept.
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);
/// While connections keep reaching the cap, it is logged once this often.
const FULL_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Raises the soft open-file limit to the hard limit, and returns how many
/// connections the server may hold: `configured`, or by default three
/// quarters of the open-file limit, never more than the limit less
/// [`RESERVED_DESCRIPTORS`]. Logs the limits and the cap.
pub(super) fn max_connections(configured: Option<u64>) -> usize {
    let before = getrlimit(Resource::Nofile);
    if before.current != before.maximum {
        let raised = Rlimit {
            current: before.maximum,
            maximum: before.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "cannot raise the open-file limit to its hard limit");
        }
    }
    // No value means no limit.
    let value = |limit: Option<u64>| limit.unwrap_or(u64::MAX);
    let now = getrlimit(Resource::Nofile);
    let open_files = value(now.current);
    let max_connections = connection_cap(configured, open_files);
    tracing::info!(
        open_files,
        open_files_hard = value(now.maximum),
        open_files_before = value(before.current),
        max_connections,
        "open-file limit and connection cap"
    );
    max_connections
}

/// `configured`, or a default from the open-file limit `open_files`,
/// lowered to keep [`RESERVED_DESCRIPTORS`] free.
fn connection_cap(configured: Option<u64>, open_files: u64) -> usize {
    let ceiling = open_files.saturating_sub(RESERVED_DESCRIPTORS).max(1);
    let cap = match configured {
        None => open_files
            .saturating_sub((open_files / 4).max(RESERVED_DESCRIPTORS))
            .max(1),
        Some(wanted) if wanted > ceiling => {
            tracing::warn!(
                wanted,
                open_files,
                "more connections than the open-file limit allows; raise its hard limit"
            );
            ceiling
        }
        Some(wanted) => wanted,
    };
    usize::try_from(cap)
        .unwrap_or(usize::MAX)
        .min(Semaphore::MAX_PERMITS)
}

/// The server's listener and what it applies to the connections it
/// accepts.
pub(super) struct Incoming {
    /// Accepted sockets, with the server's socket options.
    pub(super) tcp: TcpIncoming,
    /// TLS, when configured.
    pub(super) tls: Option<TlsAcceptor>,
    /// Most connections open at once.
    pub(super) max_connections: usize,
    /// How long a connection may take to finish its handshakes.
    pub(super) handshake_timeout: Duration,
}

impl Incoming {
    /// Starts accepting; the connections come out of the returned stream,
    /// ready for HTTP. Accepting stops when the stream is dropped.
    pub(super) fn start(self) -> impl Stream<Item = Result<Connection, Infallible>> {
        let (accepted, connections) = mpsc::channel(16);
        tokio::spawn(self.accept(accepted));
        ReceiverStream::new(connections).map(Ok)
    }

    async fn accept(mut self, accepted: mpsc::Sender<Connection>) {
        let places = Arc::new(Semaphore::new(self.max_connections));
        let mut warned_full: Option<Instant> = None;
        let mut pause = MIN_ACCEPT_PAUSE;
        loop {
            let place = match places.clone().try_acquire_owned() {
                Ok(place) => place,
                Err(_) => {
                    if warned_full.is_none_or(|at| at.elapsed() >= FULL_WARNING_INTERVAL) {
                        tracing::warn!(
                            max_connections = self.max_connections,
                            "connection cap reached: new connections wait until one closes"
                        );
                        warned_full = Some(Instant::now());
                    }
                    let place = tokio::select! {
                        place = places.clone().acquire_owned() => place,
                        () = accepted.closed() => return,
                    };
                    let Ok(place) = place else { return };
                    place
                }
            };
            let next = tokio::select! {
                next = self.tcp.next() => next,
                () = accepted.closed() => return,
            };
            let stream = match next {
                Some(Ok(stream)) => stream,
                Some(Err(e)) if is_of_one_connection(&e) => continue,
                Some(Err(e)) => {
                    tracing::warn!(
                        error = %e,
                        retry_in_ms = pause.as_millis() as u64,
                        "cannot accept connections"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = accepted.closed() => return,
                    }
                    pause = (pause * 2).min(MAX_ACCEPT_PAUSE);
                    continue;
                }
                None => return,
            };
            pause = MIN_ACCEPT_PAUSE;
            let deadline = Instant::now() + self.handshake_timeout;
            let info = stream.connect_info();
            let Some(tls) = self.tls.clone() else {
                let connection = Connection::new(Either::Left(stream), info, deadline, place);
                if accepted.send(connection).await.is_err() {
                    return;
                }
                continue;
            };
            // Handshakes run side by side, each on its own task.
            let accepted = accepted.clone();
            tokio::spawn(async move {
                match tokio::time::timeout_at(deadline, tls.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let connection =
                            Connection::new(Either::Right(stream), info, deadline, place);
                        let _ = accepted.send(connection).await;
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!("no TLS handshake by the deadline; closed"),
                }
            });
        }
    }
}

/// Whether an error from accept concerns only the connection it was
/// about (which is gone), not the server's ability to accept others.
fn is_of_one_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// An accepted connection, after its TLS handshake (with TLS), held to the
/// handshake deadline until it has started speaking HTTP.
pub(super) struct Connection {
    io: Either<TcpStream, TlsStream<TcpStream>>,
    info: TcpConnectInfo,
    /// Until its handshake is done: the deadline, and how far it got.
    handshake: Option<(Pin<Box<Sleep>>, Handshake)>,
    /// Its place under the connection cap, given back when it closes.
    _place: OwnedSemaphorePermit,
}

impl Connection {
    fn new(
        io: Either<TcpStream, TlsStream<TcpStream>>,
        info: TcpConnectInfo,
        deadline: Instant,
        place: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            io,
            info,
            handshake: Some((
                Box::pin(tokio::time::sleep_until(deadline)),
                Handshake::new(),
            )),
            _place: place,
        }
    }
}

impl Connected for Connection {
    // The TCP peer's, as tonic gives without TLS, so that
    // `Request::remote_addr` works with TLS as well.
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for Connection {
    /// Until its handshake is done the server is waiting to read from a
    /// connection, so reading is where the deadline is kept: past it, the
    /// read fails and the server closes the connection.
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some((deadline, _)) = &mut this.handshake
            && deadline.as_mut().poll(cx).is_ready()
        {
            tracing::debug!("no HTTP handshake by the deadline; closing the connection");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no HTTP handshake by the deadline",
            )));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if let Some((_, handshake)) = &mut this.handshake
            && handshake.read(&buf.filled()[before..])
        {
            this.handshake = None;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_a_quarter_of_the_open_files_and_at_least_64() {
        assert_eq!(connection_cap(None, 256), 192);
        assert_eq!(connection_cap(None, 1024), 768);
        assert_eq!(connection_cap(None, 100), 36);
        assert_eq!(connection_cap(None, 10), 1);
        assert_eq!(connection_cap(None, u64::MAX), Semaphore::MAX_PERMITS);
    }

    #[test]
    fn a_configured_cap_is_kept_below_the_open_file_limit() {
        assert_eq!(connection_cap(Some(50), 1024), 50);
        assert_eq!(connection_cap(Some(1000), 1024), 960);
        assert_eq!(connection_cap(Some(5), 10), 1);
    }
}
