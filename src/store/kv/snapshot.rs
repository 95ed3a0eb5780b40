//! Consistent snapshots of the whole keyspace, and rebuilding a store from
//! one.
//!
//! Format: the magic `STEPWISE-BACKUP2`, then entries (`1`, key length u32,
//! key, value length u32, value) in key order, then `0xFF` and the SHA-256
//! of everything before it, so a truncated or corrupted file is refused.
//! Integers are big-endian.
//!
//! A backup names its store's on-disk format by the store's format mark
//! among its entries ([`super::format`]); one of another format, or of the
//! first layout (`STEPWISE-BACKUP1`), is refused before anything is written.
//!
//! A snapshot holds clients' text only sealed, and never the master key
//! ([`super::seal`]): restoring it needs that key, which [`restore`] checks
//! against the snapshot's key check and copies into the new data dir.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::ops::Bound;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::engine::Engine;
use super::seal::{MASTER_KEY_FILE, MasterKey};
use super::sled::SledKv;
use super::{format, keys};
use crate::data_dir;
use crate::error::{Error, Result};
use crate::store::SnapshotInfo;

const MAGIC: &[u8; 16] = b"STEPWISE-BACKUP2";
/// Backups of the first layout (format 1).
const FIRST_LAYOUT_MAGIC: &[u8; 16] = b"STEPWISE-BACKUP1";
const ENTRY: u8 = 1;
const END: u8 = 0xFF;

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

/// Writes every entry of `engine` to the new file `path`. The caller makes
/// sure no write is applied meanwhile.
pub fn write<E: Engine>(engine: &E, path: &Path) -> Result<SnapshotInfo> {
    let mut out = Hashing {
        inner: BufWriter::new(File::create_new(path)?),
        hash: Sha256::new(),
        len: 0,
    };
    out.write_all(MAGIC)?;
    let mut entries = 0;
    engine.scan((Bound::Unbounded, Bound::Unbounded), &mut |key, value| {
        out.write_all(&[ENTRY])?;
        out.write_all(&(key.len() as u32).to_be_bytes())?;
        out.write_all(key)?;
        out.write_all(&(value.len() as u32).to_be_bytes())?;
        out.write_all(value)?;
        entries += 1;
        Ok(true)
    })?;
    out.write_all(&[END])?;
    let mut whole_file = out.hash.clone();
    let digest = out.hash.finalize();
    whole_file.update(digest);
    let mut file = out
        .inner
        .into_inner()
        .map_err(|e| Error::internal(e.to_string()))?;
    file.write_all(&digest)?;
    file.sync_all()?;
    let size_bytes = out.len + digest.len() as u64;
    let sha256 = whole_file.finalize().into();
    Ok(SnapshotInfo {
        entries,
        size_bytes,
        sha256,
    })
}

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

/// A backup of another on-disk format than this version's.
fn refused_backup(found: u32) -> Error {
    Error::invalid("backup", format::refusal(found).to_string())
}

fn corrupt() -> Error {
    Error::invalid(
        "backup",
        "is not a complete Stepwise backup (truncated or damaged)",
    )
}

/// Reads and checks a whole snapshot: its entries, keys and values (the
/// file is read once).
pub fn read(path: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut bytes = Vec::new();
    BufReader::new(File::open(path)?).read_to_end(&mut bytes)?;
    if bytes.starts_with(FIRST_LAYOUT_MAGIC) {
        return Err(refused_backup(format::FIRST_LAYOUT));
    }
    let mut body = Cursor(body(&bytes, MAGIC)?.ok_or_else(corrupt)?);
    let mut entries = Vec::new();
    while body.next_entry()? {
        entries.push((body.part::<4>()?, body.part::<4>()?));
    }
    Ok(entries)
}

/// The bytes of a snapshot between its magic and its digest, checked;
/// `None` if it does not start with `magic`.
fn body<'a>(bytes: &'a [u8], magic: &[u8; 16]) -> Result<Option<&'a [u8]>> {
    if !bytes.starts_with(magic) {
        return Ok(None);
    }
    if bytes.len() < magic.len() + 33 {
        return Err(corrupt());
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(corrupt());
    }
    Ok(Some(&body[magic.len()..]))
}

/// Reads a snapshot's entries front to back.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(corrupt());
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    /// Whether an entry follows (else the entries' end was reached).
    fn next_entry(&mut self) -> Result<bool> {
        match self.take(1)?[0] {
            ENTRY => Ok(true),
            END => Ok(false),
            _ => Err(corrupt()),
        }
    }

    /// Bytes after their length, an `N`-byte big-endian integer.
    fn part<const N: usize>(&mut self) -> Result<Vec<u8>> {
        let mut len = [0u8; 8];
        len[8 - N..].copy_from_slice(self.take(N)?);
        let len = usize::try_from(u64::from_be_bytes(len)).map_err(|_| corrupt())?;
        Ok(self.take(len)?.to_vec())
    }
}
