//! One span per RPC recording method, principal, status code and latency,
//! and the request metrics. Request and response bodies are never logged:
//! they hold titles and notes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

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
    type Response = S::Response;
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
                span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
                if let Ok(response) = &response {
                    // Errors travel as trailers-only responses, with the
                    // code in the headers; a unary success has none there.
                    let code = response
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i32>().ok())
                        .unwrap_or(0);
                    let code = tonic::Code::from(code);
                    span.record("code", tracing::field::debug(code));
                    crate::metrics::metrics().rpc(method, code, started.elapsed());
                }
                tracing::info!("rpc finished");
                response
            }
            .instrument(span),
        )
    }
}
