//! Clients' text at rest, sealed: what a client wrote (the text section of
//! every record, see [`super::codec`]) is encrypted under a key of that
//! client's own, and erasing the client destroys the key. Without the master
//! key nothing of a client's text can be read from the data dir or a
//! backup; with it, an erased client's text only from copies made before
//! the erasure (older backups, segments of the engine's log not yet
//! reclaimed).
//!
//! - **Cipher**: AES-256-GCM (RustCrypto's `aes-gcm`, AES-NI and CLMUL
//!   where the processor has them), with a random 96-bit nonce for every
//!   sealing, under a key derived from the client's key (SHA-256 of a
//!   context and the key, so no key serves two ciphers). Random nonces need
//!   no counter that a crash, a restore or two copies of a store could
//!   repeat. Under one key, 2^32 random 96-bit nonces keep a repeat below
//!   one in 2^32 (NIST SP 800-38D); one client's key seals one value per
//!   record version with text, orders of magnitude fewer. Text sealed
//!   before AES-GCM was XChaCha20-Poly1305 under the client's key itself,
//!   only in stores of format 3 and older, which are refused
//!   ([`super::format`]). AES-GCM replaced it because opening a short text
//!   cost about 1 µs in XChaCha20's per-message key setup and Poly1305, a
//!   third of the CPU of an initial pull.
//! - **Client keys**: 256 random bits, made when a client's first record
//!   with text is written, stored under `Y` + client id wrapped (sealed
//!   with XChaCha20-Poly1305) by the master key, with the client's id as
//!   associated data.
//! - **Master key**: 256 bits that never enter the store (nor its backups):
//!   a file, `master.key` in the data dir (0600, made at the first start) or
//!   one the operator names. The store keeps a key check (`0keycheck`, a
//!   value sealed by the master key), so a server given another key refuses
//!   to start instead of failing on every read.
//! - **Associated data** of a record's text: the record's id and every byte
//!   of its value before the text section (kind, client, version, times,
//!   fields). Sealed text cannot be moved to another record or version, and
//!   a changed field fails to open.

use std::path::Path;

use aes_gcm::Aes256Gcm;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Nonce, Payload};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Bytes of a key.
const KEY_BYTES: usize = 32;

/// Hashed with a client's key into its AES-256-GCM key.
const TEXT_KEY_CONTEXT: &[u8] = b"stepwise text key aes-256-gcm";

/// Associated data of a wrapped client key, before the client's id.
const WRAP_CONTEXT: &[u8] = b"stepwise client key";
/// Associated data of the key check.
const CHECK_CONTEXT: &[u8] = b"stepwise master key check";

/// The key that wraps every client's key.
pub struct MasterKey {
    bytes: Zeroizing<[u8; KEY_BYTES]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self {
            bytes: Zeroizing::new(rand::random()),
        }
    }

    /// The key in the file at `path`: 64 hexadecimal digits (surrounding
    /// whitespace ignored).
    pub fn read(path: &Path) -> Result<Self> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            Error::internal(format!(
                "cannot read the master key {}: {e}",
                path.display()
            ))
        })?);
        Self::from_hex(text.trim()).ok_or_else(|| {
            Error::internal(format!(
                "{} is not a master key (64 hexadecimal digits)",
                path.display()
            ))
        })
    }

    /// Makes a new key and writes it to the new file `path` (mode 0600,
    /// durably).
    pub fn create(path: &Path) -> Result<Self> {
        let key = Self::generate();
        key.write(path)?;
        Ok(key)
    }

    /// Writes the key to the new file `path` (mode 0600, durably); an
    /// existing file is never overwritten.
    pub fn write(&self, path: &Path) -> Result<()> {
        let hex = Zeroizing::new(self.to_hex());
        Ok(crate::data_dir::write_secret(path, &hex, true)?)
    }

    fn from_hex(text: &str) -> Option<Self> {
        if text.len() != KEY_BYTES * 2 || !text.is_ascii() {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self { bytes })
    }

    fn to_hex(&self) -> String {
        self.bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.bytes).into())
    }

    /// The value the store keeps to recognise this key.
    pub(crate) fn key_check(&self) -> Vec<u8> {
        seal(&self.cipher(), CHECK_CONTEXT, CHECK_CONTEXT)
    }

    /// Whether `stored` (a store's key check) was made with this key.
    pub fn matches(&self, stored: &[u8]) -> bool {
        open(&self.cipher(), CHECK_CONTEXT, stored).is_ok()
    }

    /// A new key for `client`, and its wrapped form for the store.
    pub(crate) fn new_client_key(&self, client: Uuid) -> (ClientKey, Vec<u8>) {
        let bytes = Zeroizing::new(rand::random::<[u8; KEY_BYTES]>());
        let wrapped = seal(&self.cipher(), &wrap_context(client), &bytes[..]);
        (ClientKey::from_bytes(&bytes), wrapped)
    }

    /// The key of `client` from its wrapped form.
    pub(crate) fn unwrap_client_key(&self, client: Uuid, wrapped: &[u8]) -> Result<ClientKey> {
        let bytes = Zeroizing::new(open(&self.cipher(), &wrap_context(client), wrapped)?);
        let bytes: &[u8; KEY_BYTES] = bytes[..]
            .try_into()
            .map_err(|_| Error::internal("a stored client key has the wrong length"))?;
        Ok(ClientKey::from_bytes(bytes))
    }
}

impl MasterKey {
    /// An account's TOTP secret, sealed for the store.
    pub(crate) fn seal_totp_secret(&self, account: Uuid, secret: &[u8]) -> Vec<u8> {
        seal(&self.cipher(), &totp_context(account), secret)
    }

    /// An account's TOTP secret from its sealed form.
    pub(crate) fn open_totp_secret(&self, account: Uuid, sealed: &[u8]) -> Result<Vec<u8>> {
        open(&self.cipher(), &totp_context(account), sealed)
    }
}

/// Associated data of a sealed TOTP secret, before the account's id.
const TOTP_CONTEXT: &[u8] = b"stepwise totp secret";

fn totp_context(account: Uuid) -> Vec<u8> {
    [TOTP_CONTEXT, account.as_bytes()].concat()
}

fn wrap_context(client: Uuid) -> Vec<u8> {
    [WRAP_CONTEXT, client.as_bytes()].concat()
}

/// The key that opens `client`'s text, given the client's stored key
/// entry (`None` once the client was erased).
pub(crate) fn text_key(
    master: &MasterKey,
    client: Uuid,
    wrapped: Option<&[u8]>,
) -> Result<ClientKey> {
    let wrapped =
        wrapped.ok_or_else(|| Error::internal("the key of this text's client was destroyed"))?;
    master.unwrap_client_key(client, wrapped)
}

/// Opens `text`, given its client's stored key entry (`None` once the
/// client was erased).
pub(crate) fn open_text(
    master: &MasterKey,
    wrapped: Option<&[u8]>,
    text: &SealedText<'_>,
) -> Result<Vec<u8>> {
    text_key(master, text.client, wrapped)?.open(text)
}

/// A sealed text section as a decoder meets it (AES-256-GCM).
#[derive(Debug, Clone, Copy)]
pub struct SealedText<'a> {
    /// The record's client, whose key sealed it.
    pub client: Uuid,
    /// What it is bound to: the record's id and its value before the
    /// section.
    pub aad: &'a [u8],
    /// The nonce, the ciphertext and its tag.
    pub bytes: &'a [u8],
}

/// One client's key, as the cipher that uses it (it wipes its key when
/// dropped).
#[derive(Clone)]
pub(crate) struct ClientKey {
    current: Aes256Gcm,
}

impl ClientKey {
    fn from_bytes(bytes: &[u8; KEY_BYTES]) -> Self {
        let derived: Zeroizing<[u8; KEY_BYTES]> = Zeroizing::new(
            Sha256::new()
                .chain_update(TEXT_KEY_CONTEXT)
                .chain_update(bytes)
                .finalize()
                .into(),
        );
        Self {
            current: Aes256Gcm::new(&(*derived).into()),
        }
    }

    /// `plain` sealed, bound to `aad`.
    pub(crate) fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        seal(&self.current, aad, plain)
    }

    /// What `text` holds, if this key sealed it.
    pub(crate) fn open(&self, text: &SealedText<'_>) -> Result<Vec<u8>> {
        open(&self.current, text.aad, text.bytes)
    }
}

/// A random nonce, then the ciphertext with its tag.
fn seal<C: Aead>(cipher: &C, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = Nonce::<C>::default();
    rand::fill(&mut nonce[..]);
    // Encryption into a Vec fails only past the cipher's length limit
    // (64 GiB for AES-GCM), far beyond any value.
    let ciphertext = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .unwrap_or_default();
    [&nonce[..], &ciphertext].concat()
}

fn open<C: Aead>(cipher: &C, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    let refused =
        || Error::internal("sealed text fails its authentication (damaged, or another key)");
    let (nonce, ciphertext) = sealed
        .split_at_checked(Nonce::<C>::default().len())
        .ok_or_else(refused)?;
    let nonce = Nonce::<C>::try_from(nonce).map_err(|_| refused())?;
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| refused())
}

/// Where the master key of a store comes from.
#[derive(Debug, Clone)]
pub enum MasterKeySource {
    /// The data dir's own `master.key`, made when a store that has no
    /// sealed text yet first starts.
    DataDir(std::path::PathBuf),
    /// A file the operator keeps, which must exist.
    Operator(std::path::PathBuf),
}

/// Name of the master key's file in the data dir.
pub const MASTER_KEY_FILE: &str = "master.key";

impl MasterKeySource {
    /// The master key; `sealed_store` says whether the store already holds
    /// text sealed by some key (then a missing file is an error, never a
    /// reason to make a new key that could open nothing).
    pub fn load(&self, sealed_store: bool) -> Result<MasterKey> {
        match self {
            MasterKeySource::Operator(path) => MasterKey::read(path),
            MasterKeySource::DataDir(path) if path.exists() => MasterKey::read(path),
            MasterKeySource::DataDir(path) if sealed_store => Err(Error::internal(format!(
                "this store's text is sealed with a master key, and {} does not exist: \
                 start the server with --master-key-file naming this store's key \
                 (or copy it there; `stepwise restore --master-key-file` does)",
                path.display()
            ))),
            MasterKeySource::DataDir(path) => {
                let key = MasterKey::create(path)?;
                tracing::info!(path = %path.display(), "made a new master key; back it up apart from the data");
                Ok(key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_context() {
        let master = MasterKey::generate();
        let client = Uuid::from_u128(7);
        let (key, wrapped) = master.new_client_key(client);
        let sealed = key.seal(b"context", b"my note");
        let open = |key: &ClientKey, aad: &[u8], bytes: &[u8]| key.open(&text(aad, bytes));
        assert_eq!(open(&key, b"context", &sealed).expect("opens"), b"my note");
        assert!(open(&key, b"other", &sealed).is_err(), "context is bound");
        let unwrapped = master.unwrap_client_key(client, &wrapped).expect("unwraps");
        assert_eq!(
            open(&unwrapped, b"context", &sealed).expect("opens"),
            b"my note"
        );
        assert!(
            master
                .unwrap_client_key(Uuid::from_u128(8), &wrapped)
                .is_err(),
            "a key is bound to its client"
        );
        assert!(
            MasterKey::generate()
                .unwrap_client_key(client, &wrapped)
                .is_err()
        );
        assert_ne!(key.seal(b"c", b"same"), key.seal(b"c", b"same"), "nonces");
        assert!(open(&key, b"context", &sealed[..sealed.len() - 1]).is_err());
        assert!(open(&key, b"context", &sealed[..5]).is_err());
    }

    fn text<'a>(aad: &'a [u8], bytes: &'a [u8]) -> SealedText<'a> {
        SealedText {
            client: Uuid::from_u128(7),
            aad,
            bytes,
        }
    }

    #[test]
    fn a_master_key_round_trips_through_its_file_and_is_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(MASTER_KEY_FILE);
        let made = MasterKey::create(&path).expect("created");
        let read = MasterKey::read(&path).expect("read back");
        assert!(read.matches(&made.key_check()));
        assert!(!MasterKey::generate().matches(&made.key_check()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(MasterKey::create(&path).is_err(), "never overwritten");
        std::fs::write(&path, "not hex").expect("write");
        assert!(MasterKey::read(&path).is_err());
    }

    #[test]
    fn a_sealed_store_never_gets_a_new_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = MasterKeySource::DataDir(dir.path().join(MASTER_KEY_FILE));
        assert!(source.load(true).is_err());
        assert!(source.load(false).is_ok(), "a new store makes its key");
        let missing = MasterKeySource::Operator(dir.path().join("elsewhere.key"));
        assert!(missing.load(false).is_err());
    }
}
