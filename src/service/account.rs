//! `stepwise.v1.AccountService`.

use std::pin::Pin;

use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::convert;
use super::fit::ListAnswer;
use super::principal;
use super::request::{caller_and_id, caller_and_page, list};
use crate::app::App;
use crate::pb;

type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportDataResponse, Status>> + Send>>;

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
        let (account, setup) = self.app.create_account(&principal, new).await?;
        tracing::info!(account_id = %account.id, role = ?account.role, "account created");
        Ok(Response::new(pb::CreateAccountResponse {
            account: Some(account.into()),
            setup_code: setup.code,
            setup_code_expire_time: convert::timestamp(setup.expire_time_us),
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
        let peer = convert::peer(&request);
        let (code, new, login) = convert::sign_up(request.into_inner())?;
        let signed_in = self
            .app
            .sign_up_with_invite(&code, new, login, peer)
            .await?;
        let (account, tokens) = convert::session_tokens(signed_in);
        Ok(Response::new(pb::SignUpWithInviteResponse {
            account: Some(account),
            tokens: Some(tokens),
        }))
    }

    async fn update_current_account(
        &self,
        request: Request<pb::UpdateCurrentAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let principal = principal(&request)?;
        let (version, change) = convert::account_change(request.into_inner())?;
        let account = self
            .app
            .update_current_account(&principal, version, change)
            .await?;
        Ok(Response::new(account.into()))
    }

    async fn create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreateTokenResponse>, Status> {
        let principal = principal(&request)?;
        let now = self.app.now_micros();
        let (label, expiry) = convert::new_token(request.into_inner(), now)?;
        let (token, secret) = self.app.create_token(&principal, label, expiry).await?;
        Ok(Response::new(pb::CreateTokenResponse {
            token: Some(convert::token(token, now, principal.token_hash())),
            secret,
        }))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_tokens(principal, page).await?;
            let now = self.app.now_micros();
            let token = |token| convert::token(token, now, principal.token_hash());
            Ok(ListAnswer::new(
                page.items.into_iter().map(token).collect(),
                page.next_page_token,
            ))
        })
        .await
    }

    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::Token>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let token = self.app.revoke_token(&principal, id).await?;
        let now = self.app.now_micros();
        Ok(Response::new(convert::token(
            token,
            now,
            principal.token_hash(),
        )))
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_accounts(principal, page).await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }

    async fn disable_account(
        &self,
        request: Request<pb::DisableAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let account = self.app.set_account_enabled(&principal, id, false).await?;
        Ok(Response::new(account.into()))
    }

    async fn enable_account(
        &self,
        request: Request<pb::EnableAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let account = self.app.set_account_enabled(&principal, id, true).await?;
        Ok(Response::new(account.into()))
    }

    type ExportDataStream = ExportStream;

    async fn export_data(
        &self,
        request: Request<pb::ExportDataRequest>,
    ) -> Result<Response<Self::ExportDataStream>, Status> {
        let principal = principal(&request)?;
        let account_id = convert::optional_id(&request.get_ref().account_id, "account_id")?;
        let items = self.app.export_data(&principal, account_id).await?;
        let messages = convert::export_messages(ReceiverStream::new(items));
        Ok(Response::new(Box::pin(messages)))
    }

    async fn delete_account(
        &self,
        request: Request<pb::DeleteAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let principal = principal(&request)?;
        let request = request.get_ref();
        let (target, confirmation) = convert::all((
            convert::optional_id(&request.id, "id"),
            convert::optional_id(&request.confirm_account_id, "confirm_account_id"),
        ))?;
        let receipt = self
            .app
            .delete_account(&principal, target, confirmation)
            .await?;
        Ok(Response::new(receipt.into()))
    }
}
