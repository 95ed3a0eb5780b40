//! The caller's second factor: adding an authenticator app (begun, then
//! confirmed with a first code, which gives the recovery codes) and
//! removing it, which asks for the password again.

use std::net::IpAddr;

use super::{App, Principal};
use crate::domain::{SecurityEvent, SecurityEventKind, TotpFactor};
use crate::error::{Error, Result};

impl App {
    /// Begins adding an authenticator: stores it unconfirmed (replacing
    /// one not confirmed yet) and returns its provisioning URI.
    pub async fn begin_totp_enrollment(&self, principal: &Principal) -> Result<String> {
        let account_id = principal.account_id;
        let name = match self.store.credential(account_id).await? {
            Some(credential) => credential.email,
            None => self.current_account(principal).await?.display_name,
        };
        let factor = TotpFactor::new(account_id, self.now_micros());
        let uri = factor.provisioning_uri(&name)?;
        self.store
            .write(account_id, move |tx| {
                if tx.totp_factor(account_id)?.is_some_and(|f| f.confirmed) {
                    return Err(Error::SecondFactorExists);
                }
                tx.put_totp_factor(&factor)
            })
            .await?;
        Ok(uri)
    }

    /// Confirms the authenticator being added with its current `code`;
    /// returns the recovery codes.
    pub async fn confirm_totp_enrollment(
        &self,
        principal: &Principal,
        code: String,
    ) -> Result<Vec<String>> {
        let account_id = principal.account_id;
        let session_id = principal.session_id();
        let codes = self
            .store
            .write(account_id, move |tx| {
                let mut factor = tx
                    .totp_factor(account_id)?
                    .filter(|f| !f.confirmed)
                    .ok_or(Error::NoTotpEnrollment)?;
                let now = tx.now_micros();
                if !factor.accept_code(&code, now) {
                    return Err(Error::invalid(
                        "code",
                        "is not the authenticator's current code; check that the phone's clock \
                         is right, and try its next code",
                    ));
                }
                factor.confirmed = true;
                let codes = factor.new_recovery_codes();
                tx.put_totp_factor(&factor)?;
                tx.append_security_event(&SecurityEvent {
                    account_id,
                    kind: SecurityEventKind::SecondFactorAdded,
                    time_us: now,
                    session_id,
                    source_address: String::new(),
                })?;
                Ok(codes)
            })
            .await?;
        tracing::info!(%account_id, "second factor added");
        Ok(codes)
    }

    /// Removes the caller's second factor, given the account's `password`.
    pub async fn remove_totp(
        &self,
        principal: &Principal,
        password: String,
        peer: Option<IpAddr>,
    ) -> Result<()> {
        let account_id = principal.account_id;
        self.check_password_again(principal, password, "password", peer)
            .await?;
        let session_id = principal.session_id();
        self.store
            .write(account_id, move |tx| {
                if tx.totp_factor(account_id)?.is_some() {
                    tx.remove_totp_factor(account_id);
                    tx.append_security_event(&SecurityEvent {
                        account_id,
                        kind: SecurityEventKind::SecondFactorRemoved,
                        time_us: tx.now_micros(),
                        session_id,
                        source_address: String::new(),
                    })?;
                }
                Ok(())
            })
            .await?;
        tracing::info!(%account_id, "second factor removed");
        Ok(())
    }
}
