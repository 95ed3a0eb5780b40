//! Consistent snapshots of the whole store, and rebuilding a store from one.
//!
//! Format: the magic `STEPWISE-BACKUP1`, then entries (`1`, tree name
//! length u16, name, key length u32, key, value length u32, value), then
//! `0xFF` and the SHA-256 of everything before it, so a truncated or
//! corrupted file is refused. Integers are big-endian.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{EPOCH_KEY, Store};
use crate::error::{Error, Result};

const MAGIC: &[u8; 16] = b"STEPWISE-BACKUP1";
const ENTRY: u8 = 1;
const END: u8 = 0xFF;

/// What a snapshot wrote.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// Entries (key-value pairs of all trees).
    pub entries: u64,
    /// Size of the file in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the whole file (the hash `sha256sum` computes), so the file can
    /// be recognised later.
    pub sha256: [u8; 32],
}

/// Writes bytes while hashing and counting them.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hash.update(&bytes[..written]);
        self.len += written as u64;
        Ok(written)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Store {
    /// Writes a snapshot of every tree to the new file `path`. Writers wait
    /// while it is taken, so the snapshot is one consistent state.
    pub fn snapshot_to(&self, path: &Path) -> Result<Snapshot> {
        let _quiet = self
            .gate
            .write()
            .map_err(|_| Error::internal("write gate poisoned"))?;
        let mut out = Hashing {
            inner: BufWriter::new(File::create_new(path)?),
            hash: Sha256::new(),
            len: 0,
        };
        out.write_all(MAGIC)?;
        let mut entries = 0;
        for name in self.db.tree_names() {
            let tree = self.db.open_tree(&name)?;
            for entry in tree.iter() {
                let (key, value) = entry?;
                out.write_all(&[ENTRY])?;
                out.write_all(&(name.len() as u16).to_be_bytes())?;
                out.write_all(&name)?;
                out.write_all(&(key.len() as u32).to_be_bytes())?;
                out.write_all(&key)?;
                out.write_all(&(value.len() as u32).to_be_bytes())?;
                out.write_all(&value)?;
                entries += 1;
            }
        }
        out.write_all(&[END])?;
        // The file ends with the digest of what came before it; the hash of
        // the whole file covers that digest too.
        let digest = out.hash.clone().finalize();
        out.write_all(&digest)?;
        let Hashing { inner, hash, len } = out;
        let file = inner
            .into_inner()
            .map_err(|e| Error::internal(e.to_string()))?;
        file.sync_all()?;
        Ok(Snapshot {
            entries,
            size_bytes: len,
            sha256: hash.finalize().into(),
        })
    }
}

/// Rebuilds a store in the new, empty directory `dir` from the snapshot at
/// `path`, with a new epoch so devices holding cursors of the old store
/// resync. Returns the number of entries restored.
pub fn restore(path: &Path, dir: &Path) -> Result<u64> {
    let entries = read_snapshot(path)?;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(Error::invalid(
            "data_dir",
            "must be new or empty; restore never overwrites a store",
        ));
    }
    let db = sled::Config::new().path(dir).open()?;
    let count = entries.len() as u64;
    for (tree, key, value) in entries {
        db.open_tree(tree)?.insert(key, value)?;
    }
    let epoch: [u8; 16] = rand::random();
    db.open_tree("meta")?.insert(EPOCH_KEY, &epoch)?;
    db.flush()?;
    File::open(dir.join("db"))?.sync_all()?;
    Ok(count)
}

type Entry = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Reads and checks a whole snapshot.
pub fn read_snapshot(path: &Path) -> Result<Vec<Entry>> {
    let mut bytes = Vec::new();
    BufReader::new(File::open(path)?).read_to_end(&mut bytes)?;
    let corrupt = || {
        Error::invalid(
            "backup",
            "is not a complete Stepwise backup (truncated or damaged)",
        )
    };
    if bytes.len() < MAGIC.len() + 33 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt());
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(corrupt());
    }
    let mut at = MAGIC.len();
    let mut take = |n: usize| -> Result<&[u8]> {
        let slice = body.get(at..at + n).ok_or_else(corrupt)?;
        at += n;
        Ok(slice)
    };
    let mut entries = Vec::new();
    loop {
        match take(1)?[0] {
            END => return Ok(entries),
            ENTRY => {
                let len = u16::from_be_bytes(take(2)?.try_into().map_err(|_| corrupt())?) as usize;
                let tree = take(len)?.to_vec();
                let len = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?) as usize;
                let key = take(len)?.to_vec();
                let len = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?) as usize;
                let value = take(len)?.to_vec();
                entries.push((tree, key, value));
            }
            _ => return Err(corrupt()),
        }
    }
}
