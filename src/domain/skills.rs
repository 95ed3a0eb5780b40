//! Coping skills: their categories, the distress ratings of a practice, and
//! the statistics of practices, per skill or over all of a client's skills.
//!
//! Definitions (also in `skill.proto`):
//! - Distress is rated before and after a practice on the Subjective Units
//!   of Distress Scale (SUDS; Wolpe, *The Practice of Behavior Therapy*,
//!   1969), 0 (no distress) to 100 (the worst imaginable).
//! - A practice's *drop* = distress before − distress after; negative when
//!   distress rose. It *lowered distress* when after < before.
//! - Windows end on the as-of day and include it: the last 7 days are
//!   as-of − 6 to as-of, the last 28 days as-of − 27 to as-of. Practices
//!   after the as-of day are ignored.
//! - Practice counts over the last 7 and 28 days; the mean drop and the
//!   share of practices that lowered distress over the last 28 days (absent
//!   without practices in that window), so the figures describe the current
//!   course of therapy rather than all history.
//! - *Trend* compares the mean drop of the last 14 days (as-of − 13 to
//!   as-of) with that of the 14 days before (as-of − 27 to as-of − 14).
//!   With fewer than [`MIN_TREND_PRACTICES`] practices in either half there
//!   is too little data to tell. Otherwise the difference (recent − earlier)
//!   decides: at least +[`TREND_THRESHOLD`] SUDS points is *improving* (the
//!   practice brings more relief than before), at most −[`TREND_THRESHOLD`]
//!   is *worsening*, anything between is *steady*. Five points because
//!   people rate SUDS in steps of 5 or 10: a smaller difference is a single
//!   step's noise. The trend measures relief, not distress: a client whose
//!   distress before practising has fallen may see smaller drops.

use chrono::{Days, NaiveDate};

pub use super::SkillCategory;
use super::SkillPractice;
use super::fields;

/// Fewest practices each half of the trend needs.
pub const MIN_TREND_PRACTICES: usize = 3;
/// Smallest difference of mean drops, in SUDS points, that is a trend.
pub const TREND_THRESHOLD: f64 = 5.0;
/// Longest duration of a practice, in minutes (a day).
pub const MAX_DURATION_MINUTES: u32 = 1440;

/// Checks a SUDS rating: 0 to 100, as every rating scale of the API.
pub fn suds(value: i32) -> Result<u8, String> {
    fields::score(value)
}

/// Checks a practice's duration: 1 to [`MAX_DURATION_MINUTES`] minutes, 0
/// meaning not given.
pub fn duration(minutes: u32) -> Result<Option<u32>, String> {
    match minutes {
        0 => Ok(None),
        m if m <= MAX_DURATION_MINUTES => Ok(Some(m)),
        m => Err(format!(
            "must be at most {MAX_DURATION_MINUTES} minutes (0 for none), got {m}"
        )),
    }
}

/// One practice as the statistics see it: its local date and the distress
/// before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Practice {
    /// The client's local date of the practice.
    pub date: NaiveDate,
    /// Distress before, 0 to 100.
    pub before: u8,
    /// Distress after, 0 to 100.
    pub after: u8,
}

impl From<&SkillPractice> for Practice {
    fn from(practice: &SkillPractice) -> Self {
        Self {
            date: practice.local_date,
            before: practice.distress_before,
            after: practice.distress_after,
        }
    }
}

impl Practice {
    /// Before − after: how much distress fell (negative if it rose).
    pub fn drop(&self) -> i32 {
        i32::from(self.before) - i32::from(self.after)
    }
}

/// Which way the relief a practice brings is going.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trend {
    /// Fewer than [`MIN_TREND_PRACTICES`] practices in one of the halves.
    InsufficientData,
    /// The recent mean drop is at least [`TREND_THRESHOLD`] points larger.
    Improving,
    /// The mean drops differ by less than [`TREND_THRESHOLD`] points.
    Steady,
    /// The recent mean drop is at least [`TREND_THRESHOLD`] points smaller.
    Worsening,
}

/// Statistics of practices as of a local day (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct SkillStats {
    /// Practices in the last 7 days.
    pub practices_7d: u32,
    /// Practices in the last 28 days.
    pub practices_28d: u32,
    /// Mean drop over the last 28 days, in SUDS points.
    pub mean_drop_28d: Option<f64>,
    /// Share of the last 28 days' practices that lowered distress, 0 to 1.
    pub lowered_share_28d: Option<f64>,
    /// Mean drop of the last 14 days (as-of − 13 to as-of).
    pub recent_mean_drop: Option<f64>,
    /// Mean drop of the 14 days before (as-of − 27 to as-of − 14).
    pub earlier_mean_drop: Option<f64>,
    /// Recent against earlier.
    pub trend: Trend,
}

/// The statistics of `practices` (of one skill, or of all a client's
/// skills together), in any order, as of `as_of`.
pub fn stats(practices: &[Practice], as_of: NaiveDate) -> SkillStats {
    // The first day of a window of `days` days ending on the as-of day.
    let since = |days: u64| {
        as_of
            .checked_sub_days(Days::new(days - 1))
            .unwrap_or(NaiveDate::MIN)
    };
    let within = |from: NaiveDate, to: NaiveDate| {
        practices
            .iter()
            .filter(move |p| (from..=to).contains(&p.date))
    };
    let last_7 = within(since(7), as_of).count();
    let last_28: Vec<&Practice> = within(since(28), as_of).collect();
    let lowered = last_28.iter().filter(|p| p.after < p.before).count();
    let recent: Vec<&Practice> = within(since(14), as_of).collect();
    let earlier_end = since(14).pred_opt().unwrap_or(NaiveDate::MIN);
    let earlier: Vec<&Practice> = within(since(28), earlier_end).collect();
    let (recent_mean, earlier_mean) = (mean_drop(&recent), mean_drop(&earlier));
    let trend = match (recent_mean, earlier_mean) {
        _ if recent.len() < MIN_TREND_PRACTICES || earlier.len() < MIN_TREND_PRACTICES => {
            Trend::InsufficientData
        }
        (Some(r), Some(e)) if r - e >= TREND_THRESHOLD => Trend::Improving,
        (Some(r), Some(e)) if e - r >= TREND_THRESHOLD => Trend::Worsening,
        _ => Trend::Steady,
    };
    SkillStats {
        practices_7d: last_7 as u32,
        practices_28d: last_28.len() as u32,
        mean_drop_28d: mean_drop(&last_28),
        lowered_share_28d: (!last_28.is_empty()).then(|| lowered as f64 / last_28.len() as f64),
        recent_mean_drop: recent_mean,
        earlier_mean_drop: earlier_mean,
        trend,
    }
}

fn mean_drop(practices: &[&Practice]) -> Option<f64> {
    (!practices.is_empty()).then(|| {
        practices.iter().map(|p| f64::from(p.drop())).sum::<f64>() / practices.len() as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn practice(date: &str, before: u8, after: u8) -> Practice {
        Practice {
            date: day(date),
            before,
            after,
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    /// As of 2026-03-10: the last 7 days are 03-04..03-10, the last 28
    /// 02-11..03-10 (February 2026 has 28 days), the recent half
    /// 02-25..03-10 and the earlier half 02-11..02-24.
    fn march() -> Vec<Practice> {
        vec![
            practice("2026-02-10", 80, 40), // 29 days back: outside every window
            practice("2026-02-12", 70, 60), // earlier, drop 10
            practice("2026-02-18", 60, 55), // earlier, drop 5
            practice("2026-02-24", 50, 50), // earlier (its last day), drop 0
            practice("2026-02-25", 70, 50), // recent (its first day), drop 20
            practice("2026-03-03", 60, 45), // recent, drop 15; not in the last 7 days
            practice("2026-03-04", 40, 45), // recent and last 7 days, drop −5
            practice("2026-03-10", 80, 60), // recent and last 7 days, drop 20
            practice("2026-03-11", 90, 10), // after the as-of day: ignored
        ]
    }

    #[test]
    fn counts_means_and_shares_over_the_windows() {
        let s = stats(&march(), day("2026-03-10"));
        assert_eq!((s.practices_7d, s.practices_28d), (2, 7));
        // (10 + 5 + 0 + 20 + 15 − 5 + 20) / 7 = 65 / 7.
        assert!(close(s.mean_drop_28d, 65.0 / 7.0));
        // Lowered: 02-12, 02-18, 02-25, 03-03, 03-10 (not 02-24 at 0, not
        // 03-04 at −5): 5 of 7.
        assert!(close(s.lowered_share_28d, 5.0 / 7.0));
    }

    #[test]
    fn the_trend_compares_the_last_14_days_with_the_14_before() {
        let s = stats(&march(), day("2026-03-10"));
        // Earlier: (10 + 5 + 0) / 3 = 5. Recent: (20 + 15 − 5 + 20) / 4 = 12.5.
        // 12.5 − 5 = 7.5 ≥ 5: improving.
        assert!(close(s.earlier_mean_drop, 5.0));
        assert!(close(s.recent_mean_drop, 12.5));
        assert_eq!(s.trend, Trend::Improving);
    }

    #[test]
    fn differences_under_five_points_are_steady_and_drops_that_shrink_are_worsening() {
        let earlier = [
            practice("2026-02-12", 60, 40), // 20
            practice("2026-02-15", 60, 40), // 20
            practice("2026-02-20", 60, 40), // 20
        ];
        // Recent 16, 16, 17 → mean 49 / 3 = 16.33; 20 − 16.33 = 3.67 < 5: steady.
        let mut steady = earlier.to_vec();
        steady.extend([
            practice("2026-03-01", 50, 34),
            practice("2026-03-05", 50, 34),
            practice("2026-03-09", 50, 33),
        ]);
        assert_eq!(stats(&steady, day("2026-03-10")).trend, Trend::Steady);
        // Recent 15, 15, 15 → 15; 20 − 15 = 5 ≥ 5: worsening.
        let mut worse = earlier.to_vec();
        worse.extend([
            practice("2026-03-01", 50, 35),
            practice("2026-03-05", 50, 35),
            practice("2026-03-09", 50, 35),
        ]);
        assert_eq!(stats(&worse, day("2026-03-10")).trend, Trend::Worsening);
    }

    #[test]
    fn too_few_practices_in_either_half_tell_nothing() {
        // The earlier half of march() minus one: 2 practices.
        let mut few = march();
        few.remove(1);
        let s = stats(&few, day("2026-03-10"));
        assert_eq!(s.trend, Trend::InsufficientData);
        // Its means are still reported.
        assert!(close(s.earlier_mean_drop, 2.5));
        // Nothing at all: no means, no shares.
        let none = stats(&[], day("2026-03-10"));
        assert_eq!(
            none,
            SkillStats {
                practices_7d: 0,
                practices_28d: 0,
                mean_drop_28d: None,
                lowered_share_28d: None,
                recent_mean_drop: None,
                earlier_mean_drop: None,
                trend: Trend::InsufficientData,
            }
        );
    }

    #[test]
    fn a_clients_stats_pool_the_practices_of_all_skills() {
        // Breathing 03-09: 60 → 30 (30); grounding 03-10: 40 → 40 (0).
        let breathing = [practice("2026-03-09", 60, 30)];
        let grounding = [practice("2026-03-10", 40, 40)];
        let all: Vec<Practice> = breathing.iter().chain(&grounding).copied().collect();
        let s = stats(&all, day("2026-03-10"));
        // (30 + 0) / 2 = 15; 1 of 2 lowered.
        assert_eq!(s.practices_7d, 2);
        assert!(close(s.mean_drop_28d, 15.0));
        assert!(close(s.lowered_share_28d, 0.5));
    }

    #[test]
    fn durations_are_optional_and_at_most_a_day() {
        assert_eq!(duration(0), Ok(None));
        assert_eq!(duration(1440), Ok(Some(1440)));
        assert!(duration(1441).is_err());
        assert_eq!(suds(100), Ok(100));
        assert!(suds(-1).is_err());
        assert!(suds(101).is_err());
    }
}
