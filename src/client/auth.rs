//! Calls that carry a bearer token.

use tonic::Status;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;

/// Adds `authorization: Bearer <token>` to every call (nothing for an
/// empty token: a call anyone may make, such as signing up).
#[derive(Clone)]
pub struct BearerToken(pub String);

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if self.0.is_empty() {
            return Ok(request);
        }
        let value: MetadataValue<_> = format!("Bearer {}", self.0)
            .parse()
            .map_err(|_| Status::invalid_argument("the token is not valid metadata"))?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

/// `transport` sending `token` with every call.
pub fn authenticated<T>(transport: T, token: &str) -> InterceptedService<T, BearerToken> {
    InterceptedService::new(transport, BearerToken(token.to_owned()))
}
