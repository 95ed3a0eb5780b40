//! Deleting a client's account: the right to erasure.
//!
//! One transaction erases everything the client owns ([`Tx::erase_client`]:
//! records with their history, indexes, aggregates, replays, and last the
//! key that sealed their text, which no later backup holds), revokes their
//! care links, revokes their tokens with reason `ACCOUNT_DELETED` (keeping
//! the hashes, so a device learns why it is refused), and replaces the
//! account with its receipt.
//!
//! Kept, and why: the receipt (id, role, create and delete time), so the
//! erasure can be shown to have happened; the revoked links and the access
//! events about the client (who looked at their data, and when: the
//! therapists' own accountability, and no content); the token hashes with
//! no labels; the administrators' events naming the account.
//!
//! [`Tx::erase_client`]: crate::store::Tx::erase_client

use uuid::Uuid;

use super::base::LinkChange;
use super::{App, Principal};
use crate::domain::{
    Account, AccountState, AdminAction, AdminEvent, CareLinkState, Revocation, RevokeReason, Role,
};
use crate::error::{Error, Result};
use crate::store::Side;

impl App {
    /// Deletes the client account `target` and erases its data: a client
    /// their own (`target` empty or theirs), confirmed by repeating their
    /// id in `confirmation`; an administrator any client's. Returns the
    /// receipt.
    pub async fn delete_account(
        &self,
        principal: &Principal,
        target: Option<Uuid>,
        confirmation: Option<Uuid>,
    ) -> Result<Account> {
        let client = match principal.role {
            Role::Client => {
                if target.is_some_and(|id| id != principal.account_id) {
                    return Err(Error::PermissionDenied(
                        "clients can delete only their own account",
                    ));
                }
                if confirmation != Some(principal.account_id) {
                    return Err(Error::invalid(
                        "confirm_account_id",
                        "must repeat your own account id, to confirm that your account and \
                         all your data are to be erased for good",
                    ));
                }
                principal.account_id
            }
            Role::Admin => target.ok_or_else(|| {
                Error::invalid("id", "is required: the id of the client account to delete")
            })?,
            Role::Therapist => {
                return Err(Error::PermissionDenied(
                    "therapists cannot delete accounts; clients delete their own, or an administrator does",
                ));
            }
        };
        let actor = principal.account_id;
        let by_admin = principal.role == Role::Admin;
        let (receipt, revoked, erased) = self
            .store
            .write(actor, move |tx| {
                let account = tx
                    .account(client)?
                    .filter(|account| account.state != AccountState::Deleted)
                    .ok_or(Error::NotFound("account"))?;
                if account.role != Role::Client {
                    return Err(Error::NotAClientAccount);
                }
                let now = tx.now_micros();
                let erased = tx.erase_client(client)?;
                tx.erase_sign_in(client)?;
                let mut revoked = Vec::new();
                for mut link in tx.links_of(client, Side::Client)? {
                    if link.is_active() {
                        link.state = CareLinkState::Revoked;
                        link.revoke_time_us = Some(now);
                        tx.put_link(&link)?;
                        revoked.push(link);
                    }
                }
                for mut token in tx.tokens_of(client)? {
                    token.label.clear();
                    token.revoked = Some(Revocation {
                        time_us: token.revoked.map_or(now, |earlier| earlier.time_us),
                        reason: RevokeReason::AccountDeleted,
                    });
                    tx.put_token(&token)?;
                }
                let receipt = account.erasure_receipt(now);
                tx.put_account(&receipt)?;
                if by_admin {
                    let action = AdminAction::AccountDeleted;
                    tx.append_admin_event(&AdminEvent::on_account(actor, action, client, now))?;
                }
                Ok((receipt, revoked, erased))
            })
            .await?;
        for link in revoked {
            // Nobody watching is fine.
            let _ = self.link_events.send(LinkChange {
                link,
                client_head: 0,
            });
        }
        self.access_changed();
        tracing::info!(account_id = %client, by = %actor, records = erased, "account deleted, its data erased");
        Ok(receipt)
    }
}
