//! The limit on wrong invite codes: counts them per source address, and
//! refuses codes from a source that sent too many lately.
//!
//! Guessing is not what this guards against; locking people out is what it
//! must not do. A code is 10 characters of a 32-letter alphabet, 50 bits:
//! with 1,000 invites open at once, a guess hits one with a chance of
//! 1,000 / 2^50 ≈ 9e-13, so even a million guesses a day find one about once
//! in 3,000 years. And a hit gains little: it links a new client account to
//! a therapist, who sees a stranger and revokes the link; nobody's data is
//! exposed. What matters is that a clinic, whose clients share one NAT
//! address, can sign up a whole group after the typos a group makes; hence
//! a generous limit per source and none shared by everyone.
//!
//! The table lives in memory only: a restart forgets it, which lets nobody
//! guess faster, since an attacker cannot restart the server.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// Wrong codes (not found, used or expired) one source may send in a window;
/// the next code from it, right or wrong, waits for the window's end. A
/// group session of 10 to 20 clients behind one NAT, each mistyping a few
/// times or trying last month's used code, stays well under it, while one
/// source can try at most 4,800 codes a day.
pub const MAX_WRONG_CODES: u32 = 50;
/// The window, from a source's first wrong code: 15 minutes, in
/// microseconds.
pub const WINDOW_US: i64 = 15 * 60 * 1_000_000;
/// Most sources remembered at once (well under 1 MiB). When the table is
/// full, the source whose window began first is forgotten. An attacker can
/// use that to clear their own count only by sending wrong codes from
/// `MAX_SOURCES` other sources, each with a budget of its own: forgetting
/// gives them no more tries than those addresses already have, and it only
/// ever lifts a limit, never blocks anyone.
pub const MAX_SOURCES: usize = 10_000;

/// Where wrong codes (and failed sign-ins) come from: an IPv4 address, or the /64 prefix of an
/// IPv6 address (one host gets a whole /64, so each of its addresses is not
/// a source of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Source {
    V4(u32),
    V6Prefix(u64),
}

impl Source {
    pub(super) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Source::V4(v4.into()),
            // An IPv4 client of a dual-stack listener arrives as
            // ::ffff:a.b.c.d: it is that IPv4 address, not the one /64 every
            // IPv4 client would share.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(v4.into()),
                None => Source::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

#[derive(Debug, Default)]
struct Table {
    /// Wrong codes of each source in its current window.
    counts: HashMap<Source, u32>,
    /// The same sources by the start of their window, oldest first: for
    /// pruning expired windows and forgetting the oldest when full.
    by_age: BTreeSet<(i64, Source)>,
}

impl Table {
    /// Forgets the sources whose window is over at `now_us`.
    fn prune(&mut self, window_us: i64, now_us: i64) {
        while let Some(&(since_us, source)) = self.by_age.first() {
            if since_us.saturating_add(window_us) > now_us {
                return;
            }
            self.forget(since_us, source);
        }
    }

    fn forget(&mut self, since_us: i64, source: Source) {
        self.by_age.remove(&(since_us, source));
        self.counts.remove(&source);
    }
}

/// Counts wrong invite codes per source. Times are microseconds since the
/// Unix epoch, from the app's injectable clock.
#[derive(Debug)]
pub struct InviteGuard {
    max_wrong: u32,
    window_us: i64,
    max_sources: usize,
    table: Mutex<Table>,
}

impl Default for InviteGuard {
    fn default() -> Self {
        Self::new(MAX_WRONG_CODES, WINDOW_US, MAX_SOURCES)
    }
}

impl InviteGuard {
    /// A guard allowing `max_wrong` wrong codes per source in a window of
    /// `window_us`, remembering at most `max_sources` sources.
    pub fn new(max_wrong: u32, window_us: i64, max_sources: usize) -> Self {
        Self {
            max_wrong,
            window_us,
            max_sources: max_sources.max(1),
            table: Mutex::default(),
        }
    }

    /// Whether a code from `peer` may be tried at `now_us`. A call without
    /// a peer address (not over TCP) is never limited: there is no source
    /// to count it against, and one shared count would let anyone lock out
    /// everyone.
    pub fn allows(&self, peer: Option<IpAddr>, now_us: i64) -> bool {
        let Some(peer) = peer else {
            return true;
        };
        let mut table = self.table();
        table.prune(self.window_us, now_us);
        table
            .counts
            .get(&Source::of(peer))
            .is_none_or(|wrong| *wrong < self.max_wrong)
    }

    /// Counts a wrong code from `peer` at `now_us`.
    pub fn record_wrong(&self, peer: Option<IpAddr>, now_us: i64) {
        let Some(peer) = peer else {
            return;
        };
        let source = Source::of(peer);
        let mut table = self.table();
        table.prune(self.window_us, now_us);
        if let Some(wrong) = table.counts.get_mut(&source) {
            *wrong = wrong.saturating_add(1);
            return;
        }
        if table.counts.len() >= self.max_sources
            && let Some(&(since_us, oldest)) = table.by_age.first()
        {
            table.forget(since_us, oldest);
        }
        table.counts.insert(source, 1);
        table.by_age.insert((now_us, source));
    }

    /// How many sources are remembered.
    pub fn sources(&self) -> usize {
        self.table().counts.len()
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // The table stays consistent between statements; a panic elsewhere
        // while it was locked leaves nothing half done.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60 * 1_000_000;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("address"))
    }

    /// Sends `count` wrong codes from `peer` at `now_us`.
    fn wrong(guard: &InviteGuard, peer: &str, count: u32, now_us: i64) {
        for _ in 0..count {
            guard.record_wrong(ip(peer), now_us);
        }
    }

    #[test]
    fn a_source_is_limited_after_its_wrong_codes_until_its_window_ends() {
        let guard = InviteGuard::default();
        let t0 = 1_772_400_000_000_000;
        wrong(&guard, "203.0.113.7", MAX_WRONG_CODES - 1, t0);
        assert!(
            guard.allows(ip("203.0.113.7"), t0),
            "one short of the limit"
        );
        wrong(&guard, "203.0.113.7", 1, t0 + 14 * MINUTE);
        assert!(!guard.allows(ip("203.0.113.7"), t0 + 14 * MINUTE));
        assert!(!guard.allows(ip("203.0.113.7"), t0 + WINDOW_US - 1));
        assert!(
            guard.allows(ip("203.0.113.8"), t0),
            "other addresses are not"
        );
        // The window counts from the first wrong code.
        assert!(guard.allows(ip("203.0.113.7"), t0 + WINDOW_US));
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64_bit_prefix_and_mapped_ipv4_as_ipv4() {
        let guard = InviteGuard::new(2, WINDOW_US, 100);
        wrong(&guard, "2001:db8:1:2::1", 1, 0);
        wrong(&guard, "2001:db8:1:2:ffff:ffff:ffff:ffff", 1, 0);
        assert!(!guard.allows(ip("2001:db8:1:2::abcd"), 0), "the same /64");
        assert!(guard.allows(ip("2001:db8:1:3::1"), 0), "the next /64");

        wrong(&guard, "::ffff:192.0.2.1", 1, 0);
        wrong(&guard, "192.0.2.1", 1, 0);
        assert!(!guard.allows(ip("192.0.2.1"), 0), "one IPv4 address");
        assert!(
            guard.allows(ip("::ffff:192.0.2.2"), 0),
            "IPv4 clients of a dual-stack socket do not share a /64"
        );
        assert_eq!(guard.sources(), 2);
    }

    #[test]
    fn a_call_without_an_address_is_neither_counted_nor_limited() {
        let guard = InviteGuard::new(1, WINDOW_US, 100);
        guard.record_wrong(None, 0);
        guard.record_wrong(None, 0);
        assert!(guard.allows(None, 0));
        assert_eq!(guard.sources(), 0);
    }

    #[test]
    fn expired_windows_are_pruned() {
        // 100 sources, one every 6 seconds over 10 minutes.
        let second = 1_000_000;
        let guard = InviteGuard::default();
        let fill = || {
            for n in 0..100 {
                wrong(&guard, &format!("198.51.100.{n}"), 1, n * 6 * second);
            }
        };
        fill();
        assert_eq!(guard.sources(), 100);
        // 15 minutes after the last began, every window has ended.
        assert!(guard.allows(ip("198.51.100.1"), 594 * second + WINDOW_US));
        assert_eq!(guard.sources(), 0);
        // 15 minutes after minute 5, those begun after it remain.
        fill();
        guard.record_wrong(ip("192.0.2.1"), 300 * second + WINDOW_US);
        assert_eq!(guard.sources(), 49 + 1);
    }

    #[test]
    fn a_full_table_forgets_the_source_whose_window_began_first() {
        let guard = InviteGuard::new(1, WINDOW_US, 3);
        wrong(&guard, "192.0.2.1", 1, 0);
        wrong(&guard, "192.0.2.2", 1, MINUTE);
        wrong(&guard, "192.0.2.3", 1, 2 * MINUTE);
        wrong(&guard, "192.0.2.4", 1, 3 * MINUTE);
        assert_eq!(guard.sources(), 3, "bounded");
        let now = 3 * MINUTE;
        assert!(
            guard.allows(ip("192.0.2.1"), now),
            "the oldest is forgotten"
        );
        for kept in ["192.0.2.2", "192.0.2.3", "192.0.2.4"] {
            assert!(!guard.allows(ip(kept), now), "{kept} is still limited");
        }
        // More wrong codes from a known source do not make room.
        wrong(&guard, "192.0.2.4", 5, now);
        assert!(!guard.allows(ip("192.0.2.2"), now));
    }
}
