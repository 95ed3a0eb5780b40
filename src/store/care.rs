//! Invites, care links and the audit trail.

use prost::Message;
use sled::Transactional;
use sled::transaction::{TransactionError, TransactionalTree};

use super::{ALL, Page, Store, abort, keys};
use crate::domain::{AccessEvent, Account, CareLink, CareLinkState, Invite};
use crate::error::{Error, Result};

/// Who redeems an invite.
pub enum Redeemer<'a> {
    /// An existing client account.
    Client(&'a str),
    /// A new client account with the hash of its token.
    NewAccount(&'a Account, &'a [u8; 32]),
}

fn decode<T: Message + Default>(bytes: &[u8]) -> Result<T> {
    T::decode(bytes).map_err(Error::internal)
}

impl Store {
    /// Stores a new invite, durably.
    pub async fn create_invite(&self, invite: &Invite) -> Result<()> {
        self.commit(|| {
            self.trees
                .invites
                .insert(invite.code.as_bytes(), invite.encode_to_vec())
                .map_err(TransactionError::Storage)
        })?;
        self.durable().await
    }

    /// Uses an invite at `now_us`: links its therapist and the redeemer
    /// (creating the redeemer's account if new), all or nothing, durably.
    pub async fn redeem_invite(
        &self,
        code: &str,
        now_us: i64,
        redeemer: Redeemer<'_>,
        link_id: &str,
    ) -> Result<CareLink> {
        let t = &self.trees;
        let trees = [
            t.invites.clone(),
            t.care_links.clone(),
            t.links_by_pair.clone(),
            t.links_by_client.clone(),
            t.links_by_therapist.clone(),
            t.accounts.clone(),
            t.token_hashes.clone(),
        ];
        let link_key = keys::id(link_id)?;
        let link = self.commit(|| {
            trees[..].transaction(|tx| {
                let [
                    invites,
                    links,
                    by_pair,
                    by_client,
                    by_therapist,
                    accounts,
                    token_hashes,
                ] = &tx[..]
                else {
                    return abort(Error::internal("transaction trees"));
                };
                let Some(bytes) = invites.get(code.as_bytes())? else {
                    return abort(Error::InviteNotFound);
                };
                let mut invite: Invite = decode(&bytes).or_else(abort)?;
                if !invite.used_by.is_empty() {
                    return abort(Error::InviteUsed);
                }
                if invite.expire_time_us <= now_us {
                    return abort(Error::InviteExpired);
                }
                let client_id = match &redeemer {
                    Redeemer::Client(id) => (*id).to_owned(),
                    Redeemer::NewAccount(account, hash) => {
                        let id = keys::id(&account.id).or_else(abort)?;
                        accounts.insert(&id, account.encode_to_vec())?;
                        token_hashes.insert(&hash[..], &id)?;
                        account.id.clone()
                    }
                };
                let therapist = keys::id(&invite.therapist_id).or_else(abort)?;
                let client = keys::id(&client_id).or_else(abort)?;
                let pair = keys::join(&[&therapist, &client]);
                if let Some(existing) = by_pair.get(&pair)? {
                    let existing: CareLink =
                        decode(&links.get(&existing)?.unwrap_or_default()).or_else(abort)?;
                    if existing.state() == CareLinkState::Active {
                        return abort(Error::AlreadyLinked);
                    }
                }
                let link = CareLink {
                    id: link_id.to_owned(),
                    therapist_id: invite.therapist_id.clone(),
                    client_id,
                    state: CareLinkState::Active as i32,
                    create_time_us: now_us,
                    revoke_time_us: 0,
                };
                links.insert(&link_key, link.encode_to_vec())?;
                by_pair.insert(pair, &link_key)?;
                by_client.insert(keys::join(&[&client, &link_key]), &link_key)?;
                by_therapist.insert(keys::join(&[&therapist, &link_key]), &link_key)?;
                invite.used_by = link.client_id.clone();
                invites.insert(code.as_bytes(), invite.encode_to_vec())?;
                Ok(link)
            })
        })?;

        self.durable().await?;
        Ok(link)
    }

    /// A care link by id.
    pub fn care_link(&self, id: &str) -> Result<Option<CareLink>> {
        let Ok(key) = keys::id(id) else {
            return Ok(None);
        };
        self.trees
            .care_links
            .get(key)?
            .map(|b| decode(&b))
            .transpose()
    }

    /// The latest link between a therapist and a client, if any.
    pub fn link_between(&self, therapist_id: &str, client_id: &str) -> Result<Option<CareLink>> {
        let pair = keys::join(&[&keys::id(therapist_id)?, &keys::id(client_id)?]);
        match self.trees.links_by_pair.get(pair)? {
            Some(link_id) => self.care_link(&keys::id_string(&link_id)?),
            None => Ok(None),
        }
    }

    /// Whether the therapist and the client are actively linked.
    pub fn link_active(&self, therapist_id: &str, client_id: &str) -> Result<bool> {
        Ok(self
            .link_between(therapist_id, client_id)?
            .is_some_and(|link| link.state() == CareLinkState::Active))
    }

    /// The links of a client, or of a therapist, oldest first.
    pub fn list_links(
        &self,
        account_id: &str,
        as_therapist: bool,
        page: (usize, &str),
    ) -> Result<Page<CareLink>> {
        let index = if as_therapist {
            &self.trees.links_by_therapist
        } else {
            &self.trees.links_by_client
        };
        self.page_with(index, &keys::id(account_id)?, ALL, page, |_, link_id| {
            self.care_link(&keys::id_string(link_id)?)
        })
    }

    /// Revokes a link at `now_us` (again is a no-op), durably.
    pub async fn revoke_link(&self, id: &str, now_us: i64) -> Result<CareLink> {
        let key = keys::id(id)?;
        let link = self.commit(|| {
            self.trees
                .care_links
                .transaction(|links: &TransactionalTree| {
                    let Some(bytes) = links.get(key)? else {
                        return abort(Error::NotFound("care link"));
                    };
                    let mut link: CareLink = decode(&bytes).or_else(abort)?;
                    if link.state() == CareLinkState::Active {
                        link.set_state(CareLinkState::Revoked);
                        link.revoke_time_us = now_us;
                        links.insert(&key, link.encode_to_vec())?;
                    }
                    Ok(link)
                })
        })?;

        self.durable().await?;
        Ok(link)
    }

    /// Appends access events to the audit trail, durably.
    pub async fn append_access_events(&self, events: &[AccessEvent]) -> Result<()> {
        let t = &self.trees;
        let mut entries = Vec::with_capacity(events.len());
        for event in events {
            let unique: [u8; 8] = rand::random();
            let at = keys::ordered_i64(event.time_us);
            entries.push((
                keys::join(&[&keys::id(&event.client_id)?, &at, &unique]),
                keys::join(&[&keys::id(&event.therapist_id)?, &at, &unique]),
                event.encode_to_vec(),
            ));
        }
        self.commit(|| {
            (&t.access_by_client, &t.access_by_therapist).transaction(
                |(by_client, by_therapist)| {
                    for (client_key, therapist_key, value) in &entries {
                        by_client.insert(client_key.as_slice(), value.as_slice())?;
                        by_therapist.insert(therapist_key.as_slice(), value.as_slice())?;
                    }
                    Ok(())
                },
            )
        })?;
        self.durable().await
    }

    /// The access events about a client, or by a therapist, oldest first.
    pub fn list_access_events(
        &self,
        account_id: &str,
        as_therapist: bool,
        page: (usize, &str),
    ) -> Result<Page<AccessEvent>> {
        let index = if as_therapist {
            &self.trees.access_by_therapist
        } else {
            &self.trees.access_by_client
        };
        self.page_with(index, &keys::id(account_id)?, ALL, page, |_, event| {
            decode(event).map(Some)
        })
    }
}
