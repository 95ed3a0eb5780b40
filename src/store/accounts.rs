//! Accounts and the hashes of their bearer tokens.

use prost::Message;
use sled::Transactional;

use super::{Store, abort, keys};
use crate::domain::Account;
use crate::error::{Error, Result};

impl Store {
    /// Stores a new account with the hash of its token, durably.
    pub async fn create_account(&self, account: &Account, token_hash: &[u8; 32]) -> Result<()> {
        let id = keys::id(&account.id)?;
        let value = account.encode_to_vec();
        self.commit(|| {
            (&self.trees.accounts, &self.trees.token_hashes).transaction(|(accounts, hashes)| {
                if accounts.get(id)?.is_some() {
                    return abort(Error::AlreadyExists("account"));
                }
                accounts.insert(&id, value.as_slice())?;
                hashes.insert(token_hash, &id)?;
                Ok(())
            })
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
