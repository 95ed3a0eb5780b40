//! Restoring a backup ([`super::snapshot`]) into a new data dir: always
//! into the embedded engine (sled), whichever engine the backup was taken
//! from; a PostgreSQL deployment restores with its own tools.

use std::path::Path;

use super::engine::Engine;
use super::seal::{MASTER_KEY_FILE, MasterKey};
use super::sled::SledKv;
use super::snapshot::{read, refused_backup};
use super::{format, keys};
use crate::data_dir;
use crate::error::{Error, Result};

/// Rebuilds a store in the new, empty directory `dir` from the snapshot at
/// `path`, with a new epoch so devices holding cursors of the old store
/// resync. Returns the number of entries restored.
///
/// `dir` is made private as a server's data dir is (see [`crate::data_dir`]:
/// this sets the process umask to 0o077), before anything is written: it
/// holds the same data as the server's.
///
/// `master_key` is the key the snapshot's store was sealed with (the file
/// the server used): it is checked before anything is written (a wrong key
/// is refused) and copied into `dir` as its `master.key`. Without it the
/// store is restored all the same, and its server needs the key at start.
pub fn restore(path: &Path, dir: &Path, master_key: Option<&Path>) -> Result<u64> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(Error::invalid(
            "data_dir",
            "must be new or empty; restore never overwrites a store",
        ));
    }
    let master_key = master_key.map(MasterKey::read).transpose()?;
    let entries = read(path)?;
    let mark = entries
        .iter()
        .find(|(entry, _)| *entry == keys::format())
        .map_or(format::UNMARKED, |(_, value)| format::read_mark(value));
    if mark != format::CURRENT {
        return Err(refused_backup(mark));
    }
    if let Some(key) = &master_key {
        let check = entries
            .iter()
            .find(|(entry, _)| *entry == keys::key_check())
            .map(|(_, value)| value);
        if check.is_some_and(|check| !key.matches(check)) {
            return Err(Error::invalid(
                "master_key",
                "does not open this backup's text: it is another store's key",
            ));
        }
    }
    data_dir::create_private(dir)?;
    // An empty dir made beforehand (`mkdir`) has the umask of its maker.
    data_dir::make_private(dir)?;
    let engine = SledKv::open(dir, 64 * 1024 * 1024)?;
    let count = entries.len() as u64;
    let mut batch: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    for (key, value) in entries {
        batch.push((key, Some(value)));
        if batch.len() >= 10_000 {
            engine.apply(std::mem::take(&mut batch))?;
        }
    }
    let epoch: [u8; 16] = rand::random();
    batch.push((keys::epoch(), Some(epoch.to_vec())));
    engine.apply(batch)?;
    engine.flush()?;
    if let Some(key) = master_key {
        key.write(&dir.join(MASTER_KEY_FILE))?;
    }
    Ok(count)
}
