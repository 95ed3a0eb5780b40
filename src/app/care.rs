//! The care team: invites, links between clients and therapists, and the
//! audit trail of therapists' access.

use std::net::IpAddr;

use uuid::Uuid;

use super::base::LinkChange;
use super::sign_in::Opening;
use super::{App, Login, NewAccount, PageRequest, Principal, SignedIn};
use crate::domain::{
    AccessEvent, Account, CareLink, CareLinkState, Credential, Invite, Role, SecurityEventKind,
    display_code, new_invite_code, normalize_code,
};
use crate::error::{Error, Result};
use crate::store::{Page, Side, Tx};

/// Who redeems an invite.
#[derive(Clone)]
enum Redeemer {
    /// An existing client account.
    Client(Uuid),
    /// A new client account.
    NewAccount(Box<SigningUp>),
}

/// A new client account with its email and password, and the device
/// session it signs up on.
#[derive(Clone)]
struct SigningUp {
    account: Account,
    credential: Credential,
    opening: Opening,
}

impl App {
    /// Makes an invite code (therapists only).
    pub async fn create_invite(&self, principal: &Principal) -> Result<Invite> {
        principal.require_therapist("only therapists can invite clients")?;
        let now = self.now_micros();
        let invite = Invite {
            code: new_invite_code(),
            therapist_id: principal.account_id,
            create_time_us: now,
            expire_time_us: now + self.invite_ttl_us,
            used_by: None,
        };
        let stored = invite.clone();
        self.store
            .write(principal.account_id, move |tx| tx.put_invite(&stored))
            .await?;
        tracing::info!(therapist_id = %principal.account_id, "invite created");
        Ok(Invite {
            code: display_code(&invite.code),
            ..invite
        })
    }

    /// The therapist's pending invites (neither used nor expired), oldest
    /// first; expired ones on a page are left out.
    pub async fn list_invites(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<Invite>> {
        principal.require_therapist("only therapists have invites")?;
        let now = self.now_micros();
        let page = self
            .store
            .invites(principal.account_id, page.into())
            .await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .filter(|invite| invite.used_by.is_none() && invite.expire_time_us > now)
                .map(|invite| Invite {
                    code: display_code(&invite.code),
                    ..invite
                })
                .collect(),
            next_page_token: page.next_page_token,
        })
    }

    /// Cancels one of the therapist's unused invites: its code works no
    /// more.
    pub async fn cancel_invite(&self, principal: &Principal, code: &str) -> Result<()> {
        principal.require_therapist("only therapists have invites")?;
        let code = normalize_code(code).ok_or(Error::InviteNotFound)?;
        let therapist = principal.account_id;
        self.store
            .write(therapist, move |tx| {
                let invite = tx
                    .invite(&code)?
                    .filter(|invite| invite.therapist_id == therapist)
                    .ok_or(Error::InviteNotFound)?;
                if invite.used_by.is_some() {
                    return Err(Error::InviteUsed);
                }
                tx.remove_invite(&invite)
            })
            .await?;
        tracing::info!(therapist_id = %therapist, "invite cancelled");
        Ok(())
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
        self.redeem(code, peer, Redeemer::Client(principal.account_id))
            .await
    }

    /// Creates a client account linked to the invite's therapist, with the
    /// email and password of `login`, and signs its device in.
    pub async fn sign_up_with_invite(
        &self,
        code: &str,
        new: NewAccount,
        login: Login,
        peer: Option<IpAddr>,
    ) -> Result<SignedIn> {
        // Refused before the password is hashed: a guesser of codes costs
        // no hashing.
        if !self.code_guard.allows(peer, self.now_micros()) {
            return Err(Error::TooManyAttempts);
        }
        let account = self.new_account(NewAccount {
            role: Role::Client,
            ..new
        });
        let credential = Credential {
            account_id: account.id,
            email: login.email,
            password_hash: self.hash_password(login.password).await?,
            update_time_us: account.create_time_us,
        };
        let (opening, secrets) = self.open_session(
            account.id,
            login.device_label,
            peer,
            &[SecurityEventKind::PasswordSet, SecurityEventKind::SignedIn],
        );
        let redeemer = Redeemer::NewAccount(Box::new(SigningUp {
            account: account.clone(),
            credential,
            opening: opening.clone(),
        }));
        self.redeem(code, peer, redeemer).await?;
        Ok(Self::signed_in(account, opening, secrets))
    }

    async fn redeem(
        &self,
        code: &str,
        peer: Option<IpAddr>,
        redeemer: Redeemer,
    ) -> Result<CareLink> {
        if !self.code_guard.allows(peer, self.now_micros()) {
            return Err(Error::TooManyAttempts);
        }
        // Read before the link exists, so a watch delivers every change the
        // client makes from the moment it is linked (and perhaps a few
        // before, which a linked therapist may see anyway).
        let client_head = match &redeemer {
            Redeemer::Client(client_id) => self.store.head(*client_id).await?,
            Redeemer::NewAccount(..) => 0,
        };
        let actor = match &redeemer {
            Redeemer::Client(id) => *id,
            Redeemer::NewAccount(new) => new.account.id,
        };
        let outcome = match normalize_code(code) {
            None => Err(Error::InviteNotFound),
            Some(code) => {
                let link_id = Uuid::now_v7();
                self.store
                    .write(actor, move |tx| redeem(tx, &code, &redeemer, link_id))
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
    pub async fn list_care_links(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<CareLink>> {
        let side = care_side(principal)?;
        self.store
            .links(principal.account_id, side, page.into())
            .await
    }

    /// Revokes a link of the caller's (either side).
    pub async fn revoke_care_link(&self, principal: &Principal, id: Uuid) -> Result<CareLink> {
        care_side(principal)?;
        let caller = principal.account_id;
        let link = self
            .store
            .write(caller, move |tx| {
                let mut link = tx
                    .care_link(id)?
                    .filter(|l| l.client_id == caller || l.therapist_id == caller)
                    .ok_or(Error::NotFound("care link"))?;
                // Revoking again changes nothing.
                if link.is_active() {
                    link.state = CareLinkState::Revoked;
                    link.revoke_time_us = Some(tx.now_micros());
                    tx.put_link(&link)?;
                }
                Ok(link)
            })
            .await?;
        let _ = self.link_events.send(LinkChange {
            link: link.clone(),
            client_head: 0,
        });
        // The therapist's open Subscribe streams end now, not at the
        // client's next change.
        self.access_changed();
        tracing::info!(link_id = %link.id, by = %principal.account_id, "care link revoked");
        Ok(link)
    }

    /// Access events: about the calling client, or by the calling therapist.
    pub async fn list_access_events(
        &self,
        principal: &Principal,
        page: PageRequest<'_>,
    ) -> Result<Page<AccessEvent>> {
        let side = care_side(principal)?;
        self.store
            .access_events(principal.account_id, side, page.into())
            .await
    }

    /// Display name of an account, for showing links.
    pub async fn display_name(&self, account_id: Uuid) -> Result<String> {
        Ok(self
            .store
            .account(account_id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default())
    }

    /// Every link of the account on its `side`, active or not.
    pub(super) async fn links_of(&self, account: Uuid, side: Side) -> Result<Vec<CareLink>> {
        super::all(|token| async move {
            let page = PageRequest {
                size: super::BATCH,
                token: &token,
            };
            self.store.links(account, side, page.into()).await
        })
        .await
    }
}

/// The caller's side in the care team; administrators have none.
fn care_side(principal: &Principal) -> Result<Side> {
    match principal.role {
        Role::Client => Ok(Side::Client),
        Role::Therapist => Ok(Side::Therapist),
        Role::Admin => Err(Error::PermissionDenied(
            "administrators are not part of care teams",
        )),
    }
}

/// Uses an invite: links its therapist and the redeemer (creating the
/// redeemer's account if new), all or nothing.
fn redeem(tx: &mut Tx<'_>, code: &str, redeemer: &Redeemer, link_id: Uuid) -> Result<CareLink> {
    let mut invite = tx.invite(code)?.ok_or(Error::InviteNotFound)?;
    if invite.used_by.is_some() {
        return Err(Error::InviteUsed);
    }
    let now = tx.now_micros();
    if invite.expire_time_us <= now {
        return Err(Error::InviteExpired);
    }
    let client_id = match redeemer {
        Redeemer::Client(id) => *id,
        Redeemer::NewAccount(new) => {
            tx.put_account(&new.account)?;
            tx.put_credential(&new.credential)?;
            new.opening.store(tx)?;
            new.account.id
        }
    };
    if tx
        .link_between(invite.therapist_id, client_id)?
        .is_some_and(|link| link.is_active())
    {
        return Err(Error::AlreadyLinked);
    }
    let link = CareLink {
        id: link_id,
        therapist_id: invite.therapist_id,
        client_id,
        state: CareLinkState::Active,
        create_time_us: now,
        revoke_time_us: None,
    };
    tx.put_link(&link)?;
    invite.used_by = Some(client_id);
    tx.put_invite(&invite)?;
    Ok(link)
}
