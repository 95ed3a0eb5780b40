//! Bearer tokens: 256 random bits behind a recognisable prefix. The store
//! keeps only their SHA-256 (a slow password hash buys nothing for a secret
//! this long).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Prefix of every token, so a leaked one is easy to recognise in scanners.
const TOKEN_PREFIX: &str = "sw_";

/// A new random bearer token and the hash the store keeps of it.
pub fn new_token() -> (String, [u8; 32]) {
    let secret: [u8; 32] = rand::random();
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}
