//! Bearer tokens, one per device: making, listing and revoking them, and
//! recording their use coarsely.

use uuid::Uuid;

use super::{App, PageRequest, Principal};
use crate::domain::token::DEFAULT_TOKEN_TTL_US;
use crate::domain::{Revocation, RevokeReason, Token};
use crate::error::{Error, Result};
use crate::store::Page;

impl App {
    /// Makes a token for the caller's own account, working until
    /// `expire_time_us` or else for [`DEFAULT_TOKEN_TTL_US`]; returns it
    /// with its secret, which is shown only this once.
    pub async fn create_token(
        &self,
        principal: &Principal,
        label: String,
        expire_time_us: Option<i64>,
    ) -> Result<(Token, String)> {
        let now = self.now_micros();
        let expiry = expire_time_us.unwrap_or(now + DEFAULT_TOKEN_TTL_US);
        let (token, secret) = Token::new(principal.account_id, label, now, Some(expiry));
        let stored = token.clone();
        self.store
            .write(principal.account_id, move |tx| tx.put_token(&stored))
            .await?;
        tracing::info!(account_id = %principal.account_id, token_id = %token.id, "token created");
        Ok((token, secret))
    }

    /// The caller's tokens, oldest first.
    pub async fn list_tokens(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<Token>> {
        self.store.tokens(principal.account_id, page.into()).await
    }

    /// Revokes one of the caller's tokens; revoking again changes nothing.
    pub async fn revoke_token(&self, principal: &Principal, id: Uuid) -> Result<Token> {
        let account = principal.account_id;
        let token = self
            .store
            .write(account, move |tx| {
                let mut token = tx
                    .tokens_of(account)?
                    .into_iter()
                    .find(|token| token.id == id)
                    .ok_or(Error::NotFound("token"))?;
                if token.revoked.is_none() {
                    token.revoked = Some(Revocation {
                        time_us: tx.now_micros(),
                        reason: RevokeReason::Revoked,
                    });
                    tx.put_token(&token)?;
                }
                Ok(token)
            })
            .await?;
        self.access_changed();
        tracing::info!(account_id = %account, token_id = %id, "token revoked");
        Ok(token)
    }

    /// Records a use of `token` now, if the recorded one is a minute old or
    /// more: calls cost no write each, and the last use is known to within
    /// a minute. A failure to record is logged; the call goes on.
    pub(super) async fn note_use(&self, token: &Token) {
        let now = self.now_micros();
        if !token.use_is_news(now) || !self.token_uses.begin(token.hash) {
            return;
        }
        let hash = token.hash;
        let recorded = self
            .store
            .write(token.account_id, move |tx| {
                if let Some(mut stored) = tx.token(&hash)?
                    && stored.use_is_news(now)
                {
                    stored.last_use_time_us = Some(now);
                    tx.put_token(&stored)?;
                }
                Ok(())
            })
            .await;
        self.token_uses.end(&hash);
        if let Err(error) = recorded {
            tracing::warn!(%error, token_id = %token.id, "cannot record a token's use");
        }
    }

    /// Tells open streams that a token, an account or a link changed, so
    /// that each checks whether its caller may still go on.
    pub(super) fn access_changed(&self) {
        self.access.send_modify(|generation| *generation += 1);
    }
}
