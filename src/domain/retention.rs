//! Retention: what the server keeps only for a while, and for how long.
//!
//! Push results and tombstones serve devices that resume from a cursor; they
//! are kept for the sync window, after which a device whose cursor is older
//! than what was removed must sync again from scratch. The audit trails are
//! kept for years (clinical records' usual minimum), expired invites a few
//! weeks (so a late code is still told it expired).

use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Default sync window, in days.
pub const DEFAULT_SYNC_RETENTION_DAYS: u64 = 90;
/// Default retention of the audit trails, in days: six years.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u64 = 2192;
/// Default retention of invites after they expired, in days.
pub const DEFAULT_INVITE_RETENTION_DAYS: u64 = 30;

/// What retention removes once it is old enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expiring {
    /// What a push's mutations did ([`super::Replay`]), by the time of the
    /// push.
    Replays,
    /// Tombstones of deleted records, by the time of the deletion. The
    /// deleted record's id stays taken.
    Tombstones,
    /// Invites, by the time they expired (used or not).
    Invites,
    /// Therapists' access events, by their time.
    AccessEvents,
    /// Administrators' events, by their time.
    AdminEvents,
}

impl Expiring {
    /// Every kind, in the order a pass removes them.
    pub const ALL: [Expiring; 5] = [
        Expiring::Replays,
        Expiring::Tombstones,
        Expiring::Invites,
        Expiring::AccessEvents,
        Expiring::AdminEvents,
    ];

    /// A name for logs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Expiring::Replays => "push_results",
            Expiring::Tombstones => "tombstones",
            Expiring::Invites => "invites",
            Expiring::AccessEvents => "access_events",
            Expiring::AdminEvents => "admin_events",
        }
    }
}

/// How long each kind of [`Expiring`] entry is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Push results and tombstones: how long a device may stay away and
    /// still resume from its cursor.
    pub sync: Duration,
    /// Access events and administrators' events.
    pub audit: Duration,
    /// Invites, counted from their expiry.
    pub expired_invites: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self::from_days(
            DEFAULT_SYNC_RETENTION_DAYS,
            DEFAULT_AUDIT_RETENTION_DAYS,
            DEFAULT_INVITE_RETENTION_DAYS,
        )
    }
}

impl RetentionPolicy {
    /// A policy in whole days: sync window, audit trails, expired invites.
    pub fn from_days(sync: u64, audit: u64, expired_invites: u64) -> Self {
        let days = |n: u64| DAY.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        Self {
            sync: days(sync),
            audit: days(audit),
            expired_invites: days(expired_invites),
        }
    }

    /// How long entries of `what` are kept.
    pub fn kept(&self, what: Expiring) -> Duration {
        match what {
            Expiring::Replays | Expiring::Tombstones => self.sync,
            Expiring::Invites => self.expired_invites,
            Expiring::AccessEvents | Expiring::AdminEvents => self.audit,
        }
    }

    /// At `now_us`, entries of `what` dated before the returned time
    /// (microseconds since the Unix epoch) are removed.
    pub fn cutoff(&self, what: Expiring, now_us: i64) -> i64 {
        let kept = i64::try_from(self.kept(what).as_micros()).unwrap_or(i64::MAX);
        now_us.saturating_sub(kept)
    }
}

/// What one retention pass removed, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Entries removed, per kind.
    pub removed: Vec<(Expiring, u64)>,
}

impl PurgeReport {
    /// Entries of `what` removed.
    pub fn removed(&self, what: Expiring) -> u64 {
        self.removed
            .iter()
            .filter(|(kind, _)| *kind == what)
            .map(|(_, count)| count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;
    const DAY_US: i64 = 24 * 3600 * 1_000_000;

    #[test]
    fn each_kind_is_cut_off_by_its_own_window() {
        let policy = RetentionPolicy::default();
        assert_eq!(policy.cutoff(Expiring::Replays, NOW), NOW - 90 * DAY_US);
        assert_eq!(policy.cutoff(Expiring::Tombstones, NOW), NOW - 90 * DAY_US);
        assert_eq!(policy.cutoff(Expiring::Invites, NOW), NOW - 30 * DAY_US);
        assert_eq!(
            policy.cutoff(Expiring::AccessEvents, NOW),
            NOW - 2192 * DAY_US
        );
        assert_eq!(
            policy.cutoff(Expiring::AdminEvents, NOW),
            NOW - 2192 * DAY_US
        );
    }

    #[test]
    fn six_years_of_audit_trail_cover_six_calendar_years() {
        let kept = RetentionPolicy::default().audit.as_secs() / (24 * 3600);
        // Six years hold one or two leap days.
        assert!(kept >= 6 * 365 + 2, "{kept} days");
    }

    #[test]
    fn huge_windows_saturate_instead_of_overflowing() {
        let policy = RetentionPolicy::from_days(u64::MAX, u64::MAX, u64::MAX);
        // Before any time a record can carry: nothing is removed.
        assert!(policy.cutoff(Expiring::Replays, NOW) < 0);
        assert_eq!(policy.cutoff(Expiring::AdminEvents, i64::MIN), i64::MIN);
    }
}
