//! One span per RPC recording method, principal, status code and latency,
//! and the request metrics. Request and response bodies are never logged:
//! they hold titles and notes.
//!
//! The status recorded is the one the caller received. An error before
//! the answer's head comes in its headers; otherwise the status comes in
//! the trailers at the end of the body, after the handler is done: a
//! stream's end, or an answer tonic failed to encode. So a call is
//! recorded when its body ends (`CANCELLED` when it is dropped before, as
//! when the caller goes away). Its latency is the time to the answer's
//! head, for streams as for unary calls.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use http_body::{Body, Frame, SizeHint};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics::RpcMethod;

/// Tower layer that wraps each call in an `rpc` span and logs its outcome.
#[derive(Clone, Copy, Default)]
pub(super) struct RpcTraceLayer;

impl<S> Layer<S> for RpcTraceLayer {
    type Service = RpcTrace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTrace { inner }
    }
}

/// Service made by [`RpcTraceLayer`].
#[derive(Clone)]
pub(super) struct RpcTrace<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for RpcTrace<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = http::Response<TracedBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let span = tracing::info_span!(
            "rpc",
            method = %request.uri().path(),
            principal_id = tracing::field::Empty,
            code = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let method = RpcMethod::of(request.uri().path());
        // Entered while the inner layers run their synchronous part, so the
        // auth layer can record the principal on this span.
        let response = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let response = response.await;
                let span = tracing::Span::current();
                let latency = started.elapsed();
                span.record("latency_ms", latency.as_secs_f64() * 1000.0);
                let response = match response {
                    Ok(response) => response,
                    Err(error) => {
                        tracing::info!("rpc finished");
                        return Err(error);
                    }
                };
                let ending = Ending {
                    span,
                    method,
                    latency,
                };
                // An error answered before any message is a trailers-only
                // answer: its status is in the headers, and it is final.
                let ending = match status_in(response.headers()) {
                    Some(code) => {
                        ending.record(code);
                        None
                    }
                    None => Some(ending),
                };
                Ok(response.map(|inner| TracedBody { inner, ending }))
            }
            .instrument(span),
        )
    }
}

/// What is left to record of a call once its answer's head is out.
struct Ending {
    span: tracing::Span,
    method: RpcMethod,
    latency: Duration,
}

impl Ending {
    /// Records the call as ended with `code`.
    fn record(self, code: tonic::Code) {
        self.span.record("code", tracing::field::debug(code));
        crate::metrics::metrics().rpc(self.method, code, self.latency);
        self.span.in_scope(|| tracing::info!("rpc finished"));
    }
}

/// The `grpc-status` among `headers` (or trailers), if any.
fn status_in(headers: &http::HeaderMap) -> Option<tonic::Code> {
    let code = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(tonic::Code::from(code))
}

/// An answer's body that records its call when it ends: with the status
/// in its trailers, or as `CANCELLED` when it is dropped before its end.
pub(super) struct TracedBody<B> {
    inner: B,
    /// `None` once recorded.
    ending: Option<Ending>,
}

impl<B> TracedBody<B> {
    fn end(&mut self, code: tonic::Code) {
        if let Some(ending) = self.ending.take() {
            ending.record(code);
        }
    }
}

impl<B: Body + Unpin> Body for TracedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    self.end(status_in(trailers).unwrap_or(tonic::Code::Unknown));
                }
            }
            // The stream is reset: the caller sees no status of ours.
            Some(Err(_)) => self.end(tonic::Code::Internal),
            // Over without trailers: the caller has no status either.
            None => self.end(tonic::Code::Unknown),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for TracedBody<B> {
    fn drop(&mut self) {
        self.end(tonic::Code::Cancelled);
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::{BodyExt, StreamBody};
    use tower::ServiceExt;

    use super::*;
    use crate::metrics::metrics;

    /// A call to `path` whose answer is a message, then trailers with
    /// `code`, through the trace layer.
    async fn answered(
        path: &str,
        code: tonic::Code,
    ) -> http::Response<impl Body<Data = Bytes, Error = std::io::Error> + Unpin> {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("grpc-status", (code as i32).into());
        let inner = tower::service_fn(move |_request: http::Request<()>| {
            let frames = vec![
                Ok(Frame::data(Bytes::from_static(b"message"))),
                Ok(Frame::trailers(trailers.clone())),
            ];
            let body = StreamBody::new(futures_util::stream::iter(frames));
            async move { Ok::<_, std::convert::Infallible>(http::Response::new(body)) }
        });
        let request = http::Request::builder()
            .uri(path)
            .body(())
            .expect("request");
        RpcTraceLayer
            .layer(inner)
            .oneshot(request)
            .await
            .expect("answer")
    }

    #[tokio::test]
    async fn a_call_is_counted_with_the_status_its_trailers_bring() {
        // Each test here has a method to itself: the metrics are the
        // process's.
        let method = "/stepwise.v1.GoalService/ListGoals";
        let calls = |code| metrics().calls(RpcMethod::of(method), code);
        let answer = answered(method, tonic::Code::OutOfRange).await;
        assert_eq!(calls(tonic::Code::OutOfRange), 0, "not before its end");

        answer.into_body().collect().await.expect("body");

        assert_eq!(calls(tonic::Code::OutOfRange), 1);
        assert_eq!(calls(tonic::Code::Ok), 0);
    }

    #[tokio::test]
    async fn an_answer_dropped_before_its_end_is_counted_as_cancelled() {
        let method = "/stepwise.v1.SyncService/Subscribe";
        let calls = |code| metrics().calls(RpcMethod::of(method), code);
        let answer = answered(method, tonic::Code::Ok).await;
        let mut body = answer.into_body();
        body.frame().await.expect("a frame").expect("a message");

        drop(body);

        assert_eq!(calls(tonic::Code::Cancelled), 1);
        assert_eq!(calls(tonic::Code::Ok), 0);
    }
}
