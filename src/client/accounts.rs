//! Making a ready-to-use account in one step, for tools, demos and tests:
//! an administrator creates it, its setup code sets its email and password
//! (signing one device in), and that device makes a personal access token
//! for scripts, which is what the caller gets.

use tonic::Status;
use tonic::transport::Channel;

use super::authenticated;
use crate::pb;
use crate::pb::account_service_client::AccountServiceClient;
use crate::pb::auth_service_client::AuthServiceClient;

/// What the account signs in with, and what its token is called.
#[derive(Debug, Clone)]
pub struct AccountLogin {
    /// Its email.
    pub email: String,
    /// Its password (12 characters or more, not a common one).
    pub password: String,
    /// The label of its personal access token.
    pub token_label: String,
    /// How long the token works, from the server's now; `None` for the
    /// server's default (90 days).
    pub token_lifetime: Option<std::time::Duration>,
}

/// Creates `account` as the administrator holding `admin_token`, sets it
/// up with `login`, and returns it with a personal access token.
pub async fn create_account_with_token(
    channel: &Channel,
    admin_token: &str,
    account: pb::Account,
    login: AccountLogin,
) -> Result<(pb::Account, String), Status> {
    let created = AccountServiceClient::new(authenticated(channel.clone(), admin_token))
        .create_account(pb::CreateAccountRequest {
            account: Some(account),
        })
        .await?
        .into_inner();
    let set_up = AuthServiceClient::new(channel.clone())
        .complete_account_setup(pb::CompleteAccountSetupRequest {
            setup_code: created.setup_code,
            email: login.email,
            password: login.password,
            device_label: login.token_label.clone(),
        })
        .await?
        .into_inner();
    let tokens = set_up.tokens.unwrap_or_default();
    // The server's now, which a test's clock may have moved.
    let server_now = tokens.session.and_then(|session| session.create_time);
    let expire_time =
        login
            .token_lifetime
            .zip(server_now)
            .map(|(lifetime, now)| prost_types::Timestamp {
                seconds: now.seconds + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2),
                nanos: now.nanos,
            });
    let token = AccountServiceClient::new(authenticated(channel.clone(), &tokens.access_token))
        .create_token(pb::CreateTokenRequest {
            label: login.token_label,
            expire_time,
        })
        .await?
        .into_inner();
    Ok((set_up.account.unwrap_or_default(), token.secret))
}
