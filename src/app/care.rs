//! The care team: invites, links between clients and therapists, and the
//! audit trail of therapists' access.

use std::net::IpAddr;

use super::Principal;
use super::dashboard::LinkChange;
use super::{App, NewAccount};
use crate::domain::new_token;
use crate::domain::{
    AccessEvent, Account, CareLink, Invite, Role, display_code, new_invite_code, normalize_code,
};
use crate::error::{Error, Result};
use crate::store::{Page, Redeemer};

impl App {
    /// Makes an invite code (therapists only).
    pub async fn create_invite(&self, principal: &Principal) -> Result<Invite> {
        if principal.role != Role::Therapist {
            return Err(Error::PermissionDenied(
                "only therapists can invite clients",
            ));
        }
        let now = self.now_micros();
        let invite = Invite {
            code: new_invite_code(),
            therapist_id: principal.account_id.clone(),
            create_time_us: now,
            expire_time_us: now + self.invite_ttl_us,
            used_by: String::new(),
        };
        self.store.create_invite(&invite).await?;
        tracing::info!(therapist_id = %principal.account_id, "invite created");
        Ok(Invite {
            code: display_code(&invite.code),
            ..invite
        })
    }

    /// Links the calling client to the invite's therapist.
    pub async fn accept_invite(
        &self,
        principal: &Principal,
        code: &str,
        peer: Option<IpAddr>,
    ) -> Result<CareLink> {
        if principal.role != Role::Client {
            return Err(Error::PermissionDenied("only clients can accept invites"));
        }
        self.redeem(code, peer, Redeemer::Client(&principal.account_id))
            .await
    }

    /// Creates a client account linked to the invite's therapist; returns
    /// the link and the account's token.
    pub async fn sign_up_with_invite(
        &self,
        code: &str,
        new: NewAccount,
        peer: Option<IpAddr>,
    ) -> Result<(Account, String)> {
        let account = self.new_account(NewAccount {
            role: Role::Client,
            ..new
        });
        let (token, hash) = new_token();
        self.redeem(code, peer, Redeemer::NewAccount(&account, &hash))
            .await?;
        Ok((account, token))
    }

    async fn redeem(
        &self,
        code: &str,
        peer: Option<IpAddr>,
        redeemer: Redeemer<'_>,
    ) -> Result<CareLink> {
        if !self.code_guard.allows(peer, self.now_micros()) {
            return Err(Error::TooManyAttempts);
        }
        // Read before the link exists, so a watch delivers every change the
        // client makes from the moment it is linked (and perhaps a few
        // before, which a linked therapist may see anyway).
        let client_head = match &redeemer {
            Redeemer::Client(client_id) => self.store.head(client_id)?,
            Redeemer::NewAccount(..) => 0,
        };
        let outcome = match normalize_code(code) {
            None => Err(Error::InviteNotFound),
            Some(code) => {
                let link_id = uuid::Uuid::now_v7().to_string();
                self.store
                    .redeem_invite(&code, self.now_micros(), redeemer, &link_id)
                    .await
            }
        };
        if matches!(
            outcome,
            Err(Error::InviteNotFound | Error::InviteUsed | Error::InviteExpired)
        ) {
            self.code_guard.record_wrong(peer, self.now_micros());
        }
        let link = outcome?;
        // Nobody watching is fine.
        let _ = self.link_events.send(LinkChange {
            link: link.clone(),
            client_head,
        });
        tracing::info!(link_id = %link.id, therapist_id = %link.therapist_id, client_id = %link.client_id, "care link made");
        Ok(link)
    }

    /// The caller's links: a client's therapists or a therapist's clients.
    pub fn list_care_links(
        &self,
        principal: &Principal,
        page: (usize, &str),
    ) -> Result<Page<CareLink>> {
        let as_therapist = self.care_side(principal)?;
        self.store
            .list_links(&principal.account_id, as_therapist, page)
    }

    /// Revokes a link of the caller's (either side).
    pub async fn revoke_care_link(&self, principal: &Principal, id: &str) -> Result<CareLink> {
        self.care_side(principal)?;
        let link = self
            .store
            .care_link(id)?
            .ok_or(Error::NotFound("care link"))?;
        if link.client_id != principal.account_id && link.therapist_id != principal.account_id {
            return Err(Error::NotFound("care link"));
        }
        let link = self.store.revoke_link(id, self.now_micros()).await?;
        let _ = self.link_events.send(LinkChange {
            link: link.clone(),
            client_head: 0,
        });
        tracing::info!(link_id = %link.id, by = %principal.account_id, "care link revoked");
        Ok(link)
    }

    /// Access events: about the calling client, or by the calling therapist.
    pub fn list_access_events(
        &self,
        principal: &Principal,
        page: (usize, &str),
    ) -> Result<Page<AccessEvent>> {
        let as_therapist = self.care_side(principal)?;
        self.store
            .list_access_events(&principal.account_id, as_therapist, page)
    }

    /// Display name of an account, for showing links.
    pub fn display_name(&self, account_id: &str) -> Result<String> {
        Ok(self
            .store
            .account(account_id)?
            .map(|a| a.display_name)
            .unwrap_or_default())
    }

    /// Whether the caller acts as therapist (else as client) in the care
    /// team; administrators have no side.
    fn care_side(&self, principal: &Principal) -> Result<bool> {
        match principal.role {
            Role::Client => Ok(false),
            Role::Therapist => Ok(true),
            _ => Err(Error::PermissionDenied(
                "administrators are not part of care teams",
            )),
        }
    }
}
