//! The therapist dashboard: the files of `web/dist/` (built from `web/` and
//! committed), embedded in the binary and served on the API's own port.
//!
//! [`DashboardLayer`] is the outermost layer of the server. It answers `GET`
//! and `HEAD` itself and hands every other request to the gRPC stack behind
//! it unchanged: gRPC and gRPC-Web calls are always `POST` and CORS
//! preflights `OPTIONS`, so they never reach the files, and the files never
//! reach the auth layer, the RPC spans or the RPC metrics.
//!
//! Every file is sent with a strict Content Security Policy (only the page's
//! own scripts, styles and origin; no inline code, no eval, Trusted Types
//! required for DOM sinks, no framing, no form submission), `nosniff`, and
//! `no-referrer`. Files under `assets/` carry a hash of their content in
//! their name and are cached for a year; everything else (`index.html`) is
//! revalidated with its SHA-256 as the ETag. Unknown paths are 404: the
//! dashboard routes with `#/...` URLs, which never reach the server.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HeaderValue, IF_NONE_MATCH,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{Either, Full};
use tower::{Layer, Service};

use crate::service::convert::hex;

/// The built dashboard. `debug-embed` embeds it in debug builds too, so
/// tests serve exactly what a release binary serves.
#[derive(rust_embed::Embed)]
#[folder = "web/dist/"]
struct Dist;

/// The policy for every file: nothing but this origin's own scripts,
/// styles, images and API.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'; trusted-types 'none'";

/// Cache header of files whose name changes with their content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache header of files at fixed names: ask every time (cheap with ETag).
const REVALIDATE: &str = "no-cache";

/// Serves the dashboard for `GET` and `HEAD`; passes everything else on.
#[derive(Clone, Copy, Debug, Default)]
pub struct DashboardLayer;

impl<S> Layer<S> for DashboardLayer {
    type Service = Dashboard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Dashboard { inner }
    }
}

/// Service made by [`DashboardLayer`].
#[derive(Clone, Debug)]
pub struct Dashboard<S> {
    inner: S,
}

/// The body of a response: the inner service's, or an embedded file.
pub type DashboardBody<B> = Either<B, Full<Bytes>>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Dashboard<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<DashboardBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.method() == Method::GET || request.method() == Method::HEAD {
            let response = file_response(&request).map(Either::Right);
            return Box::pin(std::future::ready(Ok(response)));
        }
        let response = self.inner.call(request);
        Box::pin(async move { Ok(response.await?.map(Either::Left)) })
    }
}

/// The response to a `GET` or `HEAD` of `request`'s path (hyper leaves out
/// the body of a `HEAD`).
fn file_response<B>(request: &Request<B>) -> Response<Full<Bytes>> {
    let path = match request.uri().path().trim_start_matches('/') {
        "" => "index.html",
        path => path,
    };
    let Some(file) = Dist::get(path) else {
        return with_security_headers(Response::builder().status(StatusCode::NOT_FOUND))
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(CACHE_CONTROL, REVALIDATE)
            .body(Full::new(Bytes::from_static(b"not found\n")))
            .unwrap_or_default();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()));
    let builder = with_security_headers(Response::builder())
        .header(CONTENT_TYPE, content_type(path))
        .header(
            CACHE_CONTROL,
            if path.starts_with("assets/") {
                IMMUTABLE
            } else {
                REVALIDATE
            },
        )
        .header(ETAG, &etag);
    let unchanged = request
        .headers()
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == etag || tag.trim() == "*");
    let response = if unchanged {
        builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Full::default())
    } else {
        let body = match file.data {
            Cow::Borrowed(bytes) => Bytes::from_static(bytes),
            Cow::Owned(bytes) => Bytes::from(bytes),
        };
        builder.body(Full::new(body))
    };
    // Every header above is a valid constant or hex: building cannot fail.
    response.unwrap_or_default()
}

fn with_security_headers(builder: http::response::Builder) -> http::response::Builder {
    builder
        .header(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
        )
        .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(X_FRAME_OPTIONS, "DENY")
        .header(REFERRER_POLICY, "no-referrer")
        .header("cross-origin-opener-policy", "same-origin")
        .header("cross-origin-resource-policy", "same-origin")
}

/// The media type of a file the build writes, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_embedded_and_names_its_bundle() {
        let index = Dist::get("index.html").expect("web/dist/index.html is embedded");
        let html = String::from_utf8_lossy(&index.data).into_owned();
        for asset in ["assets/app-", ".js\"", ".css\""] {
            assert!(html.contains(asset), "index.html references {asset}");
        }
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/app-AB12.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/app-AB12.css"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
