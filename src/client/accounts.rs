//! Making a ready-to-use account in one step, for tools, demos and tests:
//! an administrator creates it, its setup code sets its email and password
//! (signing one device in), a therapist's or an administrator's device adds
//! an authenticator as the second factor those roles need to read clients'
//! data (this code plays the authenticator app), and the device makes a
//! personal access token for scripts, which is what the caller gets.

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
    let account = set_up.account.unwrap_or_default();
    if account.role != pb::Role::Client as i32 {
        let now = server_now.map_or(0, |now| u64::try_from(now.seconds).unwrap_or(0));
        add_authenticator(channel, &tokens.access_token, now).await?;
    }
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
    Ok((account, token.secret))
}

/// Adds an authenticator to the account of `access_token`, computing its
/// first code at `now_seconds` of the server's clock; returns the recovery
/// codes.
pub async fn add_authenticator(
    channel: &Channel,
    access_token: &str,
    now_seconds: u64,
) -> Result<Vec<String>, Status> {
    let mut auth = AuthServiceClient::new(authenticated(channel.clone(), access_token));
    let uri = auth
        .begin_totp_enrollment(pb::BeginTotpEnrollmentRequest {})
        .await?
        .into_inner()
        .provisioning_uri;
    let totp = totp_rs::Totp::from_url(&uri)
        .map_err(|e| Status::internal(format!("the server's provisioning URI: {e}")))?;
    let confirmed = auth
        .confirm_totp_enrollment(pb::ConfirmTotpEnrollmentRequest {
            code: totp.generate(now_seconds).to_string(),
        })
        .await?
        .into_inner();
    Ok(confirmed.recovery_codes)
}
