//! Page tokens that continue only the list request they came from
//! (AIP-158), for every paged list of the store.
//!
//! A list reads the entries of one key range: the keyspace and parent's
//! prefix, narrowed by filters such as a date range. Its token is base64url
//! (without padding) of
//!
//! ```text
//! format (1 byte) | list digest (8 bytes) | last key of the page
//! ```
//!
//! The list digest is the first 8 bytes of a SHA-256 of the range's bounds,
//! which start with the keyspace's byte: everything that defines the listed
//! set (which list, which parent, which filters) and nothing else, so the
//! page size may change between pages. A token with another format or digest, or whose key
//! lies outside the request's range, is `INVALID_ARGUMENT`, and the caller
//! starts again with an empty token.
//!
//! The digest is no secret (anyone who reads this code can compute it): it
//! turns a token reused with another request into an error rather than a
//! page of some other list. What keeps even a forged token inside the
//! caller's range is the check of its key against the range's bounds.

use std::ops::{Bound, RangeBounds};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The first byte of every token; a new layout takes a new number.
const FORMAT: u8 = 1;

/// Bytes of the list digest in a token.
const DIGEST_LEN: usize = 8;

/// Why a page token is refused.
const NOT_THIS_LISTS: &str = "does not continue this list: it was not returned by a request with \
     the same parameters (the same list, parent and filters; only page_size may change); start \
     again with an empty page_token";

/// The list digest and last key of a token in this format; `None` for
/// anything else.
fn parse(token: &str) -> Option<([u8; DIGEST_LEN], Vec<u8>)> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let rest = bytes.strip_prefix(&[FORMAT])?;
    let (digest, key) = rest.split_at_checked(DIGEST_LEN)?;
    Some((digest.try_into().ok()?, key.to_vec()))
}

/// Checks that `token` is empty or has the form of a page token, as a
/// request's other fields are checked, before any list is read; whether it
/// continues the list asked for is known only when that list is read.
pub fn check_page_token(token: &str) -> Result<(), String> {
    match token.is_empty() || parse(token).is_some() {
        true => Ok(()),
        false => Err(NOT_THIS_LISTS.to_owned()),
    }
}

/// The key bounds of one page.
pub(crate) type Bounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The entries one list request reads: keys from `lower` (inclusive) to
/// `upper` (exclusive; `None` runs to the end), all starting with `prefix`.
pub(crate) struct KeyRange {
    prefix: Vec<u8>,
    lower: Vec<u8>,
    upper: Option<Vec<u8>>,
    digest: [u8; DIGEST_LEN],
}

impl KeyRange {
    /// The entries under `prefix` whose key suffix lies from `from` to
    /// `to`, both inclusive (an empty `from` starts at the first entry, no
    /// `to` runs to the last).
    pub(crate) fn new(prefix: &[u8], (from, to): (Vec<u8>, Option<Vec<u8>>)) -> Self {
        let lower = [prefix, &from].concat();
        // Every key starting with `prefix|to` is in: the range ends just
        // after them.
        let upper = match to {
            Some(to) => prefix_end(&[prefix, &to].concat()),
            None => prefix_end(prefix),
        };
        let digest = list_digest(&lower, upper.as_deref());
        Self {
            prefix: prefix.to_vec(),
            lower,
            upper,
            digest,
        }
    }

    /// The key bounds of the page that `token` continues to ("" for the
    /// first page); `INVALID_ARGUMENT` on `page_token` for a token that
    /// does not continue this list.
    pub(crate) fn page_bounds(&self, token: &str) -> Result<Bounds> {
        let start = if token.is_empty() {
            Bound::Included(self.lower.clone())
        } else {
            Bound::Excluded(self.resume_key(token)?)
        };
        let end = self.upper.clone().map_or(Bound::Unbounded, Bound::Excluded);
        Ok((start, end))
    }

    /// The token of the page after the one that ended with `last_key`.
    pub(crate) fn token_after(&self, last_key: &[u8]) -> String {
        let mut bytes = Vec::with_capacity(1 + DIGEST_LEN + last_key.len());
        bytes.push(FORMAT);
        bytes.extend_from_slice(&self.digest);
        bytes.extend_from_slice(last_key);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn resume_key(&self, token: &str) -> Result<Vec<u8>> {
        match parse(token) {
            Some((digest, key)) if digest == self.digest && self.holds(&key) => Ok(key),
            _ => Err(Error::invalid("page_token", NOT_THIS_LISTS)),
        }
    }

    /// Whether `key` can be an entry of this list: strictly longer than
    /// the prefix (the bare prefix is no entry) and within the bounds.
    fn holds(&self, key: &[u8]) -> bool {
        key.len() > self.prefix.len()
            && key.starts_with(&self.prefix)
            && key >= self.lower.as_slice()
            && self.upper.as_deref().is_none_or(|upper| key < upper)
    }
}

/// One page of a list computed in memory (a few items, such as a client's
/// due questionnaires), with the same tokens as the store's lists: `list`
/// names the list (its keyspace byte first, then its parent and filters),
/// and each item comes with its sort key, unique within the list.
pub fn page_of<T>(
    list: &[u8],
    mut items: Vec<(Vec<u8>, T)>,
    page: super::PageRequest<'_>,
) -> Result<super::Page<T>> {
    let range = KeyRange::new(list, (Vec::new(), None));
    let bounds = range.page_bounds(page.token)?;
    items.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut within = items.into_iter().filter_map(|(key, item)| {
        let key = [list, &key].concat();
        RangeBounds::contains(&bounds, &key).then_some((key, item))
    });
    let mut taken = Vec::with_capacity(page.size.min(1024));
    let mut last_key = Vec::new();
    for (key, item) in within.by_ref().take(page.size) {
        taken.push(item);
        last_key = key;
    }
    let next_page_token = match within.next() {
        Some(_) => range.token_after(&last_key),
        None => String::new(),
    };
    Ok(super::Page {
        items: taken,
        next_page_token,
    })
}

/// The smallest key greater than every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The first bytes of a SHA-256 of a list's bounds. Each
/// part goes in with its length (or as absent), so two different lists
/// never hash the same input.
fn list_digest(lower: &[u8], upper: Option<&[u8]>) -> [u8; DIGEST_LEN] {
    let mut hash = Sha256::new();
    for part in [Some(lower), upper] {
        match part {
            Some(bytes) => {
                hash.update([1]);
                hash.update((bytes.len() as u64).to_be_bytes());
                hash.update(bytes);
            }
            None => hash.update([0]),
        }
    }
    let mut digest = [0; DIGEST_LEN];
    digest.copy_from_slice(&hash.finalize()[..DIGEST_LEN]);
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn a_token_continues_its_own_list_after_its_key() {
        let range = KeyRange::new(&[7; 16], (vec![1], Some(vec![5])));
        let key = join(&[&[7; 16], &[3, 9]]);
        let (start, _) = range.page_bounds(&range.token_after(&key)).expect("valid");
        assert_eq!(start, Bound::Excluded(key));
    }

    #[test]
    fn even_a_token_with_the_right_digest_cannot_leave_the_range() {
        let prefix = [7; 16];
        let dated = KeyRange::new(&prefix, (vec![3], Some(vec![5])));
        let undated = KeyRange::new(&prefix, (Vec::new(), None));
        for (range, key) in [
            (&dated, prefix.to_vec()),
            (&dated, join(&[&prefix, &[2, 255]])),
            (&dated, join(&[&prefix, &[6]])),
            (&dated, join(&[&[8; 16], &[4]])),
            (&undated, prefix.to_vec()),
            (&undated, join(&[&[6; 16], &[4]])),
        ] {
            // The range's own digest, as anyone who read this code could
            // forge it, with a key outside the range.
            let forged = range.token_after(&key);
            assert!(range.page_bounds(&forged).is_err(), "{key:?}");
        }
    }

    #[test]
    fn a_list_in_memory_pages_in_key_order_without_gaps_or_repeats() {
        use crate::store::PageRequest;
        let list = [b'!', 1];
        let items: Vec<(Vec<u8>, u8)> = [5u8, 1, 4, 2, 3].iter().map(|n| (vec![*n], *n)).collect();
        let first =
            page_of(&list, items.clone(), PageRequest { size: 2, token: "" }).expect("page");
        assert_eq!(first.items, [1, 2]);
        let token = first.next_page_token;
        let second = page_of(
            &list,
            items.clone(),
            PageRequest {
                size: 3,
                token: &token,
            },
        )
        .expect("page");
        assert_eq!(
            (second.items, second.next_page_token.as_str()),
            (vec![3, 4, 5], "")
        );
        let other_list = [b'!', 2];
        assert!(
            page_of(
                &other_list,
                items,
                PageRequest {
                    size: 2,
                    token: &token
                }
            )
            .is_err()
        );
    }

    #[test]
    fn a_token_of_another_list_parent_or_range_is_refused() {
        let key = join(&[&[7; 16], &[4]]);
        let issuer = KeyRange::new(&[7; 16], (vec![3], None));
        let token = issuer.token_after(&key);
        for other in [
            KeyRange::new(&[7; 17], (vec![3], None)),
            KeyRange::new(&[7; 16], (vec![2], None)),
            KeyRange::new(&[7; 16], (vec![3], Some(vec![9]))),
        ] {
            assert!(other.page_bounds(&token).is_err());
        }
        assert!(issuer.page_bounds("not a token").is_err());
    }
}
