//! An engine in memory, for the use-case tests: everything is lost when it
//! is dropped, and nothing is ever on disk.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;

use super::engine::{Batch, Engine, KvRead, Visit, run_unshared};
use crate::error::{Error, Result};

/// A `BTreeMap` as an [`Engine`].
#[derive(Default)]
pub struct MemoryKv {
    entries: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

fn poisoned() -> Error {
    Error::internal("memory engine poisoned")
}

impl KvRead for MemoryKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .entries
            .read()
            .map_err(|_| poisoned())?
            .get(key)
            .cloned())
    }

    fn scan(&self, (from, to): (Bound<&[u8]>, Bound<&[u8]>), visit: &mut Visit<'_>) -> Result<()> {
        let entries = self.entries.read().map_err(|_| poisoned())?;
        for (key, value) in entries.range::<[u8], _>((from, to)) {
            if !visit(key, value)? {
                break;
            }
        }
        Ok(())
    }
}

impl Engine for MemoryKv {
    fn run_group(&self, run: &mut dyn FnMut(&dyn KvRead) -> Result<Batch>) -> Result<()> {
        run_unshared(self, run)
    }

    fn apply(&self, batch: Batch) -> Result<()> {
        let mut entries = self.entries.write().map_err(|_| poisoned())?;
        for (key, value) in batch {
            match value {
                Some(value) => entries.insert(key, value),
                None => entries.remove(&key),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        0
    }
}
