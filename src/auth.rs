//! Who is calling, and what they may see and touch.
//!
//! Tokens are 256 random bits; the store keeps only their SHA-256 (a slow
//! password hash buys nothing for a secret this long). [`AuthLayer`] turns
//! the `authorization: Bearer <token>` metadata of every Stepwise call into
//! a [`Principal`] in the request's extensions; health and reflection need
//! no token.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tonic::Status;
use tower::{Layer, Service};

use crate::domain::{AccessEvent, Account, Clock, Role};
use crate::error::{Error, Result};
use crate::store::Store;

/// Prefix of every token, so a leaked one is easy to recognise in scanners.
const TOKEN_PREFIX: &str = "sw_";

/// The authenticated caller of an RPC.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Account id.
    pub account_id: String,
    /// The account's role.
    pub role: Role,
    /// Clients whose data this call accessed as their therapist, for the
    /// audit trail (shared by the clones of one call's principal).
    accessed: Arc<Mutex<BTreeSet<String>>>,
}

/// What a call does to a client's data; each role may do some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read goals, steps, check-ins and ratings.
    Read,
    /// Create or edit goals and action steps (the care plan).
    Plan,
    /// Log check-ins, record ratings, delete records: the client's own acts.
    Own,
}

impl Principal {
    /// The principal of an account.
    pub fn of(account: &Account) -> Self {
        Self {
            account_id: account.id.clone(),
            role: account.role(),
            accessed: Arc::default(),
        }
    }

    /// Whether the caller is the client `client_id` itself.
    pub fn is_client(&self, client_id: &str) -> bool {
        self.role == Role::Client && self.account_id == client_id
    }

    /// Records that this call accessed `client_id`'s data as its therapist.
    pub fn note_access(&self, client_id: &str) {
        if let Ok(mut accessed) = self.accessed.lock() {
            accessed.insert(client_id.to_owned());
        }
    }

    /// The clients this call accessed as their therapist.
    pub fn accessed(&self) -> Vec<String> {
        self.accessed
            .lock()
            .map(|a| a.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// `PERMISSION_DENIED` unless the caller's role may ever do `action`.
    pub fn permit(&self, action: Action) -> Result<()> {
        match (self.role, action) {
            (Role::Client, _) | (Role::Therapist, Action::Read | Action::Plan) => Ok(()),
            (Role::Therapist, Action::Own) => Err(Error::PermissionDenied(
                "only the client can log check-ins, record ratings or delete records",
            )),
            (Role::Admin | Role::Unspecified, _) => Err(Error::PermissionDenied(
                "administrator accounts manage accounts and cannot access client data",
            )),
        }
    }

    /// `PERMISSION_DENIED` unless the caller is an administrator.
    pub fn require_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::PermissionDenied("only administrators can do this"))
        }
    }
}

/// A new random bearer token and the hash the store keeps of it.
pub fn new_token() -> (String, [u8; 32]) {
    let secret: [u8; 32] = rand::random();
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The principal for the `authorization` metadata of a request.
pub fn authenticate(store: &Store, headers: &http::HeaderMap) -> Result<Principal> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(Error::Unauthenticated)?;
    let account = store
        .account_by_token_hash(&hash_token(token))?
        .ok_or(Error::Unauthenticated)?;
    Ok(Principal::of(&account))
}

/// The principal that [`AuthLayer`] attached to a request.
pub fn principal<T>(request: &tonic::Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Error::Unauthenticated.into())
}

/// Whether calls to `path` need a token: everything of Stepwise's own API
/// but signing up with an invite.
fn needs_token(path: &str) -> bool {
    path.starts_with("/stepwise.") && path != "/stepwise.v1.AccountService/SignUpWithInvite"
}

/// Tower layer that authenticates every Stepwise call.
#[derive(Clone)]
pub struct AuthLayer {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
}

impl AuthLayer {
    /// Authenticates against the accounts in `store`; `clock` stamps the
    /// audit trail.
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            store: self.store.clone(),
            clock: self.clock.clone(),
        }
    }
}

/// Service made by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for AuthService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
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
            return Box::pin(async move { Ok(crate::limits::explain_bad_input(response.await?)) });
        }
        let principal = match authenticate(&self.store, request.headers()) {
            Ok(principal) => principal,
            Err(error) => {
                return Box::pin(std::future::ready(Ok(Status::from(error).into_http())));
            }
        };
        tracing::Span::current().record("principal_id", principal.account_id.as_str());
        request.extensions_mut().insert(principal.clone());
        let response = self.inner.call(request);
        let store = self.store.clone();
        let clock = self.clock.clone();
        Box::pin(async move {
            let response = crate::limits::explain_bad_input(response.await?);
            // No answer carries state that is not on disk: a crash could
            // undo it, and a later change would reuse its version.
            if let Err(error) = store.durable().await {
                return Ok(Status::from(error).into_http());
            }
            let accessed = principal.accessed();
            // Checked after the handler read the data: if a client revoked
            // meanwhile, what was read may include changes made after the
            // revocation, and none of it may leave.
            for client_id in &accessed {
                match store.link_active(&principal.account_id, client_id) {
                    Ok(true) => {}
                    Ok(false) => return Ok(Status::from(Error::AccessRevoked).into_http()),
                    Err(error) => return Ok(Status::from(error).into_http()),
                }
            }
            // The audit trail is written before the answer leaves; if it
            // cannot be, the caller gets an error instead of the data.
            if !accessed.is_empty() {
                let time_us = clock.now_micros();
                let method = path.trim_start_matches('/').to_owned();
                let events: Vec<AccessEvent> = accessed
                    .into_iter()
                    .map(|client_id| AccessEvent {
                        therapist_id: principal.account_id.clone(),
                        client_id,
                        method: method.clone(),
                        time_us,
                    })
                    .collect();
                if let Err(error) = store.append_access_events(&events).await {
                    return Ok(Status::from(error).into_http());
                }
            }
            Ok(response)
        })
    }
}
