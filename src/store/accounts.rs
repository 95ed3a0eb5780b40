//! Accounts and the hashes of their bearer tokens.

use prost::Message;
use sled::Transactional;

use super::admin::admin_event_key;
use super::{Store, abort, keys};
use crate::domain::{Account, AdminEvent};
use crate::error::{Error, Result};

impl Store {
    /// Stores a new account with the hash of its token, and the
    /// administrator's event that records its creation (if any) in the same
    /// transaction, so there is never one without the other; durably.
    pub async fn create_account(
        &self,
        account: &Account,
        token_hash: &[u8; 32],
        audit: Option<&AdminEvent>,
    ) -> Result<()> {
        let id = keys::id(&account.id)?;
        let value = account.encode_to_vec();
        let audit = audit.map(|event| (admin_event_key(event), event.encode_to_vec()));
        let t = &self.trees;
        self.commit(|| {
            (&t.accounts, &t.token_hashes, &t.admin_events).transaction(
                |(accounts, hashes, admin_events)| {
                    if accounts.get(id)?.is_some() {
                        return abort(Error::AlreadyExists("account"));
                    }
                    accounts.insert(&id, value.as_slice())?;
                    hashes.insert(token_hash, &id)?;
                    if let Some((key, event)) = &audit {
                        admin_events.insert(key.as_slice(), event.as_slice())?;
                    }
                    Ok(())
                },
            )
        })?;
        self.commits.durable().await
    }

    /// The account with `id`.
    pub fn account(&self, id: &str) -> Result<Option<Account>> {
        let Ok(key) = keys::id(id) else {
            return Ok(None);
        };
        self.trees
            .accounts
            .get(key)?
            .map(|bytes| Account::decode(bytes.as_ref()).map_err(Error::internal))
            .transpose()
    }

    /// The account whose token hashes to `token_hash`.
    pub fn account_by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<Account>> {
        match self.trees.token_hashes.get(token_hash)? {
            Some(id) => self.account(&keys::id_string(&id)?),
            None => Ok(None),
        }
    }

    /// Whether no account exists yet (a new data dir).
    pub fn has_no_accounts(&self) -> bool {
        self.trees.accounts.is_empty()
    }
}
