//! `stepwise.v1.AccountService`.

use tonic::{Request, Response, Status};

use super::convert;
use super::principal;
use crate::app::App;
use crate::pb;

/// Implements `AccountService` over the use cases.
pub struct AccountApi {
    app: App,
}

impl AccountApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::account_service_server::AccountService for AccountApi {
    async fn create_account(
        &self,
        request: Request<pb::CreateAccountRequest>,
    ) -> Result<Response<pb::CreateAccountResponse>, Status> {
        let principal = principal(&request)?;
        let new = convert::new_account(request.into_inner().account)?;
        let (account, token) = self.app.create_account(&principal, new).await?;
        tracing::info!(account_id = %account.id, role = ?account.role, "account created");
        Ok(Response::new(pb::CreateAccountResponse {
            account: Some(account.into()),
            token,
        }))
    }

    async fn get_current_account(
        &self,
        request: Request<pb::GetCurrentAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let principal = principal(&request)?;
        let account = self.app.current_account(&principal).await?;
        Ok(Response::new(account.into()))
    }

    async fn sign_up_with_invite(
        &self,
        request: Request<pb::SignUpWithInviteRequest>,
    ) -> Result<Response<pb::SignUpWithInviteResponse>, Status> {
        let peer = request.remote_addr().map(|addr| addr.ip());
        let (code, new) = convert::sign_up(request.into_inner())?;
        let (account, token) = self.app.sign_up_with_invite(&code, new, peer).await?;
        Ok(Response::new(pb::SignUpWithInviteResponse {
            account: Some(account.into()),
            token,
        }))
    }
}
