//! `stepwise.v1.AuthService`.

use tonic::{Request, Response, Status};

use super::convert;
use super::fit::ListAnswer;
use super::principal;
use super::request::{caller_and_id, caller_and_page, list};
use crate::app::App;
use crate::pb;

/// Implements `AuthService` over the use cases.
pub struct AuthApi {
    app: App,
}

impl AuthApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::auth_service_server::AuthService for AuthApi {
    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let peer = convert::peer(&request);
        let (login, second_factor_code) = convert::sign_in(request.into_inner())?;
        let signed_in = self.app.sign_in(login, second_factor_code, peer).await?;
        let (account, tokens) = convert::session_tokens(signed_in);
        Ok(Response::new(pb::SignInResponse {
            account: Some(account),
            tokens: Some(tokens),
        }))
    }

    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        let (session_id, refresh_token) = convert::refresh(request.into_inner())?;
        let signed_in = self.app.refresh_session(session_id, refresh_token).await?;
        let (_, tokens) = convert::session_tokens(signed_in);
        Ok(Response::new(pb::RefreshSessionResponse {
            tokens: Some(tokens),
        }))
    }

    async fn sign_out(
        &self,
        request: Request<pb::SignOutRequest>,
    ) -> Result<Response<pb::SignOutResponse>, Status> {
        let principal = principal(&request)?;
        let session = self.app.sign_out(&principal).await?;
        Ok(Response::new(pb::SignOutResponse {
            session: Some(convert::device_session(session, principal.session_id())),
        }))
    }

    async fn complete_account_setup(
        &self,
        request: Request<pb::CompleteAccountSetupRequest>,
    ) -> Result<Response<pb::CompleteAccountSetupResponse>, Status> {
        let peer = convert::peer(&request);
        let (code, login) = convert::account_setup(request.into_inner())?;
        let signed_in = self.app.complete_account_setup(&code, login, peer).await?;
        let (account, tokens) = convert::session_tokens(signed_in);
        Ok(Response::new(pb::CompleteAccountSetupResponse {
            account: Some(account),
            tokens: Some(tokens),
        }))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::AuthServiceListSessionsRequest>,
    ) -> Result<Response<pb::AuthServiceListSessionsResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_device_sessions(principal, page).await?;
            let current = principal.session_id();
            let session = |session| convert::device_session(session, current);
            Ok(ListAnswer::new(
                page.items.into_iter().map(session).collect(),
                page.next_page_token,
            ))
        })
        .await
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::DeviceSession>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let session = self.app.revoke_device_session(&principal, id).await?;
        Ok(Response::new(convert::device_session(
            session,
            principal.session_id(),
        )))
    }

    async fn list_security_events(
        &self,
        request: Request<pb::ListSecurityEventsRequest>,
    ) -> Result<Response<pb::ListSecurityEventsResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_security_events(principal, page).await?;
            Ok(ListAnswer::new(
                page.items
                    .into_iter()
                    .map(convert::security_event)
                    .collect(),
                page.next_page_token,
            ))
        })
        .await
    }

    async fn begin_totp_enrollment(
        &self,
        request: Request<pb::BeginTotpEnrollmentRequest>,
    ) -> Result<Response<pb::BeginTotpEnrollmentResponse>, Status> {
        let principal = principal(&request)?;
        let provisioning_uri = self.app.begin_totp_enrollment(&principal).await?;
        Ok(Response::new(pb::BeginTotpEnrollmentResponse {
            provisioning_uri,
        }))
    }

    async fn confirm_totp_enrollment(
        &self,
        request: Request<pb::ConfirmTotpEnrollmentRequest>,
    ) -> Result<Response<pb::ConfirmTotpEnrollmentResponse>, Status> {
        let principal = principal(&request)?;
        let code = convert::totp_code(request.into_inner())?;
        let recovery_codes = self.app.confirm_totp_enrollment(&principal, code).await?;
        Ok(Response::new(pb::ConfirmTotpEnrollmentResponse {
            recovery_codes,
        }))
    }

    async fn remove_totp(
        &self,
        request: Request<pb::RemoveTotpRequest>,
    ) -> Result<Response<pb::RemoveTotpResponse>, Status> {
        let principal = principal(&request)?;
        let peer = convert::peer(&request);
        let password = convert::password_again(request.into_inner())?;
        self.app.remove_totp(&principal, password, peer).await?;
        Ok(Response::new(pb::RemoveTotpResponse {}))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let principal = principal(&request)?;
        let peer = convert::peer(&request);
        let (current, new) = convert::password_change(request.into_inner())?;
        let ended = self
            .app
            .change_password(&principal, current, new, peer)
            .await?;
        Ok(Response::new(pb::ChangePasswordResponse {
            ended_session_count: i32::try_from(ended).unwrap_or(i32::MAX),
        }))
    }

    async fn change_email(
        &self,
        request: Request<pb::ChangeEmailRequest>,
    ) -> Result<Response<pb::ChangeEmailResponse>, Status> {
        let principal = principal(&request)?;
        let peer = convert::peer(&request);
        let (password, email) = convert::email_change(request.into_inner())?;
        self.app
            .change_email(&principal, password, email, peer)
            .await?;
        Ok(Response::new(pb::ChangeEmailResponse {}))
    }

    async fn create_recovery_code(
        &self,
        request: Request<pb::CreateRecoveryCodeRequest>,
    ) -> Result<Response<pb::CreateRecoveryCodeResponse>, Status> {
        let principal = principal(&request)?;
        let client_id = convert::id(&request.get_ref().client_id, "client_id")?;
        let made = self.app.create_recovery_code(&principal, client_id).await?;
        Ok(Response::new(pb::CreateRecoveryCodeResponse {
            recovery_code: made.code,
            expire_time: convert::timestamp(made.expire_time_us),
        }))
    }

    async fn recover_account(
        &self,
        request: Request<pb::RecoverAccountRequest>,
    ) -> Result<Response<pb::RecoverAccountResponse>, Status> {
        let peer = convert::peer(&request);
        let (code, password, label) = convert::recovery(request.into_inner())?;
        let signed_in = self
            .app
            .recover_account(&code, password, label, peer)
            .await?;
        let (account, tokens) = convert::session_tokens(signed_in);
        Ok(Response::new(pb::RecoverAccountResponse {
            account: Some(account),
            tokens: Some(tokens),
        }))
    }
}
