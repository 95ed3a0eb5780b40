//! The tower layer that authenticates every Stepwise call: it turns the
//! `authorization: Bearer <token>` metadata into a
//! [`Principal`](crate::app::Principal) in the request's extensions, and
//! after the handler ran, lets the use cases finish the call (durability,
//! access checks, the audit trail) before the answer leaves. Health and
//! reflection need no token, nor do the calls in [`WITHOUT_TOKEN`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::Status;
use tower::{Layer, Service};

use super::status::explain_bad_input;
use crate::app::App;
use crate::error::{Credentials, Error};

/// The calls of Stepwise's own API that need no token: the calls made to
/// get one, and where to get help in a crisis (an app shows it before
/// anyone signs in).
const WITHOUT_TOKEN: &[&str] = &[
    "/stepwise.v1.AccountService/SignUpWithInvite",
    "/stepwise.v1.AuthService/SignIn",
    "/stepwise.v1.AuthService/RefreshSession",
    "/stepwise.v1.AuthService/CompleteAccountSetup",
    "/stepwise.v1.AuthService/RecoverAccount",
    "/stepwise.v1.CrisisService/GetCrisisResources",
];

/// Whether calls to `path` need a token: everything of Stepwise's own API
/// but [`WITHOUT_TOKEN`].
fn needs_token(path: &str) -> bool {
    path.starts_with("/stepwise.") && !WITHOUT_TOKEN.contains(&path)
}

/// The bearer token of a request, or what is wrong with its
/// `authorization` metadata. The scheme's case does not matter (RFC 7235);
/// a token is one word, so anything more is refused with words that say
/// so, rather than looked up as a token nobody issued.
fn bearer_token(headers: &http::HeaderMap) -> Result<&str, Credentials> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Err(Credentials::Missing);
    };
    // No token has bytes that are not visible ASCII.
    let value = value.to_str().map_err(|_| Credentials::Unknown)?.trim();
    if value.is_empty() {
        return Err(Credentials::Missing);
    }
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(Credentials::NotBearer);
    }
    match token.trim() {
        "" => Err(Credentials::Missing),
        token if token.contains(char::is_whitespace) => Err(Credentials::NotBare),
        token => Ok(token),
    }
}

/// Tower layer that authenticates every Stepwise call.
#[derive(Clone)]
pub(super) struct AuthLayer {
    app: App,
}

impl AuthLayer {
    /// Authenticates with the accounts of `app`.
    pub(super) fn new(app: App) -> Self {
        Self { app }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            app: self.app.clone(),
        }
    }
}

/// Service made by [`AuthLayer`].
#[derive(Clone)]
pub(super) struct AuthService<S> {
    inner: S,
    app: App,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for AuthService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let path = request.uri().path().to_owned();
        if !needs_token(&path) {
            let response = self.inner.call(request);
            return Box::pin(async move { Ok(explain_bad_input(response.await?)) });
        }
        // The service that was polled ready is the one to call; a clone
        // takes its place for the next request (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let app = self.app.clone();
        let token = bearer_token(request.headers()).map(str::to_owned);
        Box::pin(async move {
            let authenticated = match token {
                Ok(token) => app.authenticate(&token).await,
                Err(credentials) => Err(Error::Unauthenticated(credentials)),
            };
            let principal = match authenticated {
                Ok(principal) => principal,
                Err(error) => return Ok(Status::from(error).into_http()),
            };
            tracing::Span::current().record("principal_id", principal.account_id.to_string());
            request.extensions_mut().insert(principal.clone());
            let response = explain_bad_input(inner.call(request).await?);
            let method = path.trim_start_matches('/');
            match app.finish_call(&principal, method).await {
                Ok(()) => Ok(response),
                Err(error) => Ok(Status::from(error).into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: Option<&str>) -> Result<String, Credentials> {
        let mut headers = http::HeaderMap::new();
        if let Some(value) = value {
            let value = http::HeaderValue::from_str(value).expect("header value");
            headers.insert(http::header::AUTHORIZATION, value);
        }
        bearer_token(&headers).map(str::to_owned)
    }

    #[test]
    fn the_token_is_the_one_word_after_the_bearer_scheme() {
        assert_eq!(parsed(Some("Bearer sw_abc")), Ok("sw_abc".to_owned()));
        assert_eq!(parsed(Some("bearer  sw_abc ")), Ok("sw_abc".to_owned()));
        assert_eq!(parsed(None), Err(Credentials::Missing));
        assert_eq!(parsed(Some("Bearer")), Err(Credentials::Missing));
        assert_eq!(parsed(Some("Bearer ")), Err(Credentials::Missing));
        assert_eq!(parsed(Some("Basic dXNlcg==")), Err(Credentials::NotBearer));
        assert_eq!(parsed(Some("sw_abc")), Err(Credentials::NotBearer));
        assert_eq!(
            parsed(Some("Bearer Bearer sw_abc")),
            Err(Credentials::NotBare)
        );
        assert_eq!(
            parsed(Some("Bearer authorization: Bearer sw_abc")),
            Err(Credentials::NotBare)
        );
    }
}
