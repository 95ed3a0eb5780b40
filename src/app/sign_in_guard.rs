//! The brakes on password guessing: failed sign-ins counted per source
//! address, and per email from each address, each answered with a delay
//! that doubles with every failure past a few free ones.
//!
//! What it must not do is let anyone lock an account's holder out: a count
//! per email from all addresses together would let whoever knows the email
//! block its holder from everywhere. So an email's failures count per
//! address (the holder's phone is unaffected by a guesser's address), and
//! each address has its own budget across all emails. Guessing from many
//! addresses is slowed by each one's budget, by the cost of Argon2id, and
//! is in vain against a password of 12 characters or more that no list of
//! common passwords holds; each failure is a security event its holder
//! sees.
//!
//! Like the invite guard, the tables live in memory only, bounded; a
//! restart forgets them, which lets nobody guess faster (an attacker cannot
//! restart the server).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use super::invite_guard::Source;

/// Failed sign-ins with one email from one address that cost no wait.
pub const FREE_FAILURES_PER_EMAIL: u32 = 5;
/// Failed sign-ins from one address (all emails) that cost no wait: a
/// clinic's clients behind one NAT address mistype too.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 50;
/// The wait after the first failure past the free ones, in microseconds; it
/// doubles with each further failure.
pub const FIRST_DELAY_US: i64 = 1_000_000;
/// The longest wait: 15 minutes.
pub const MAX_DELAY_US: i64 = 15 * 60 * 1_000_000;
/// A count is forgotten this long after its last failure: an hour.
pub const FORGET_AFTER_US: i64 = 60 * 60 * 1_000_000;
/// Most counts each table keeps; when full, the stalest goes first.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_us: i64,
}

/// Failures per key, with growing delays.
#[derive(Debug)]
struct Throttle<K> {
    free: u32,
    table: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq + Copy> Throttle<K> {
    fn new(free: u32) -> Self {
        Self {
            free,
            table: Mutex::default(),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<K, Failures>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long `key` must still wait at `now_us`, if at all.
    fn wait_us(&self, key: &K, now_us: i64) -> Option<i64> {
        let failures = *self.table().get(key)?;
        let until = failures
            .last_us
            .saturating_add(self.delay_us(failures.count));
        (now_us < until).then(|| until - now_us)
    }

    /// The wait after `count` failures.
    fn delay_us(&self, count: u32) -> i64 {
        if count < self.free {
            return 0;
        }
        let doublings = (count - self.free).min(30);
        FIRST_DELAY_US
            .saturating_mul(1 << doublings)
            .min(MAX_DELAY_US)
    }

    fn fail(&self, key: K, now_us: i64) {
        let mut table = self.table();
        if table.len() >= MAX_ENTRIES && !table.contains_key(&key) {
            table.retain(|_, failures| now_us - failures.last_us < FORGET_AFTER_US);
            if table.len() >= MAX_ENTRIES
                && let Some(stalest) = table
                    .iter()
                    .min_by_key(|(_, failures)| failures.last_us)
                    .map(|(key, _)| *key)
            {
                table.remove(&stalest);
            }
        }
        let failures = table.entry(key).or_insert(Failures {
            count: 0,
            last_us: now_us,
        });
        if now_us - failures.last_us >= FORGET_AFTER_US {
            failures.count = 0;
        }
        failures.count += 1;
        failures.last_us = now_us;
    }

    fn clear(&self, key: &K) {
        self.table().remove(key);
    }
}

/// An email, hashed so the table holds no addresses in plain.
type EmailKey = [u8; 32];

/// Counts failed sign-ins. Times are microseconds since the Unix epoch,
/// from the app's injectable clock.
#[derive(Debug)]
pub struct SignInGuard {
    by_address: Throttle<Option<Source>>,
    by_email: Throttle<(EmailKey, Option<Source>)>,
}

impl Default for SignInGuard {
    fn default() -> Self {
        Self {
            by_address: Throttle::new(FREE_FAILURES_PER_ADDRESS),
            by_email: Throttle::new(FREE_FAILURES_PER_EMAIL),
        }
    }
}

fn email_key(email: &str) -> EmailKey {
    Sha256::digest(email.as_bytes()).into()
}

impl SignInGuard {
    /// How long a sign-in with `email` (normalized) from `peer` must still
    /// wait, if at all. A call without a peer address (not over TCP) is
    /// limited per email only.
    pub fn wait_us(&self, email: &str, peer: Option<IpAddr>, now_us: i64) -> Option<i64> {
        let source = peer.map(Source::of);
        let by_email = self.by_email.wait_us(&(email_key(email), source), now_us);
        let by_address = source.and_then(|_| self.by_address.wait_us(&source, now_us));
        by_email.max(by_address)
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, email: &str, peer: Option<IpAddr>, now_us: i64) {
        let source = peer.map(Source::of);
        self.by_email.fail((email_key(email), source), now_us);
        if source.is_some() {
            self.by_address.fail(source, now_us);
        }
    }

    /// Forgets the failures with `email` from `peer` after a sign-in that
    /// worked: its holder mistyping again starts afresh.
    pub fn succeeded(&self, email: &str, peer: Option<IpAddr>) {
        self.by_email
            .clear(&(email_key(email), peer.map(Source::of)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADA: &str = "ada@example.org";

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("address"))
    }

    #[test]
    fn delays_double_past_the_free_failures_and_stop_at_the_cap() {
        let guard = SignInGuard::default();
        let (here, now) = (ip("192.0.2.1"), 1_000_000_000);
        for _ in 0..FREE_FAILURES_PER_EMAIL {
            assert_eq!(guard.wait_us(ADA, here, now), None);
            guard.failed(ADA, here, now);
        }
        assert_eq!(guard.wait_us(ADA, here, now), Some(FIRST_DELAY_US));
        guard.failed(ADA, here, now);
        assert_eq!(guard.wait_us(ADA, here, now), Some(2 * FIRST_DELAY_US));
        for _ in 0..20 {
            guard.failed(ADA, here, now);
        }
        assert_eq!(guard.wait_us(ADA, here, now), Some(MAX_DELAY_US));
        assert_eq!(guard.wait_us(ADA, here, now + MAX_DELAY_US), None);
    }

    #[test]
    fn one_address_never_slows_another() {
        let guard = SignInGuard::default();
        for _ in 0..100 {
            guard.failed(ADA, ip("192.0.2.1"), 0);
        }
        assert!(guard.wait_us(ADA, ip("192.0.2.1"), 0).is_some());
        assert_eq!(guard.wait_us(ADA, ip("198.51.100.7"), 0), None);
    }

    #[test]
    fn an_address_has_one_budget_across_emails() {
        let guard = SignInGuard::default();
        let here = ip("192.0.2.1");
        for n in 0..FREE_FAILURES_PER_ADDRESS {
            guard.failed(&format!("{n}@example.org"), here, 0);
        }
        assert!(guard.wait_us("new@example.org", here, 0).is_some());
        assert_eq!(guard.wait_us("new@example.org", ip("192.0.2.2"), 0), None);
    }

    #[test]
    fn counts_are_forgotten_an_hour_after_the_last_failure_and_on_success() {
        let guard = SignInGuard::default();
        let here = ip("192.0.2.1");
        for _ in 0..10 {
            guard.failed(ADA, here, 0);
        }
        guard.failed(ADA, here, FORGET_AFTER_US);
        assert_eq!(guard.wait_us(ADA, here, FORGET_AFTER_US), None);
        for _ in 0..10 {
            guard.failed(ADA, here, FORGET_AFTER_US);
        }
        guard.succeeded(ADA, here);
        assert_eq!(guard.wait_us(ADA, here, FORGET_AFTER_US), None);
    }
}
