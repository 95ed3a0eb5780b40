//! Progress insights: streaks, adherence, habit strength and efficacy trends,
//! computed from check-ins on the client's local days.
//!
//! Definitions (also in `progress_service.proto`):
//! - A day's value: DONE 1, PARTIAL 0.5, no check-in 0; SKIPPED days are
//!   excused and count neither way.
//! - Periods of `period_days` days start on the step's first local day. A
//!   period is *met* when its values sum to at least `times`; it is
//!   *excused* when not met but its values plus its skipped days reach
//!   `times`, or when it holds the as-of day (not over yet); otherwise it
//!   is *missed*. The current streak counts the met periods back from the
//!   running one, skipping excused ones and stopping at a missed one; the
//!   best streak is the longest such run.
//! - Adherence over the last N days (as of day included, not before the
//!   step's first day) = sum of values ÷ (times ÷ period_days × days not
//!   skipped), capped at 1; absent when nothing was scheduled.
//! - Habit strength (Loop Habit Tracker): m = 0.5^(√f / 13) with
//!   f = times ÷ period_days, and S_t = m·S_{t−1} + (1−m)·c_t for each day
//!   of the window to the as-of day, c_t the day's value, S = 0 before the
//!   window; a skipped day leaves S unchanged.
//! - The window: statistics look back at most [`STATS_WINDOW_DAYS`] days.
//!   It begins on the step's first day, or, for an older step, on the first
//!   day of the period holding the day 729 days before the as-of day, so it
//!   holds whole periods (730 to 730 + period_days − 1 days). Days before it
//!   count for nothing: streaks are counted within it.
//!
//! - Flags: what makes a therapist's dashboard flag a client
//!   (`Flag` in `care_service.proto`; the list is in `docs/care-team.md`):
//!   [`inactive`], [`Stats::low_adherence`] and [`Efficacy::dropped`], at
//!   the thresholds below.
//!
//! Why the window costs habit strength nothing measurable for the schedules
//! therapy homework has: a day t days before the as-of day weighs m^t in S,
//! so S over the window differs from S over the whole history by at most
//! m^730 (less if skipped days, which do not decay S, fill the window).
//! m^730 is 1.2e-17 daily, 8.6e-12 for 3 per week, 4.1e-7 weekly: below
//! 1e-6 for every schedule of at least once in 7 days. Rarer schedules lose
//! what was built up more than two years ago: at most 3.0e-5 fortnightly,
//! 8.2e-4 monthly, 0.017 quarterly and 0.13 for the rarest, once in 366
//! days (its m = 0.99722 needs 4,958 days to fall below 1e-6). We accept
//! that approximation rather than read 13.6 years of check-ins per step on
//! every call: a once-a-year habit's strength grows by 1 − m = 0.3% per day
//! done, and what a client did over two years ago says little about the
//! habit today.

use chrono::{Days, NaiveDate};

/// How many days before the as-of day (included) statistics look at, at
/// least: two years, enough for any course of therapy and its follow-up.
/// It bounds the work of a step whatever its age (see the module doc).
pub const STATS_WINDOW_DAYS: u32 = 730;

/// Days without a check-in after which a client is *inactive*
/// (`FLAG_INACTIVE`, "no check-in for the last 3 local days or more (or
/// never)" in `care_service.proto` and `docs/care-team.md`): none on the
/// as-of day nor on the 2 days before it; a skipped day is no check-in.
pub const INACTIVE_DAYS: u64 = 3;

/// Adherence over the last 7 days (see the module doc) under which it is
/// *low* (`FLAG_LOW_ADHERENCE`, "adherence under 50% over the last 7
/// days"): less than half of what was scheduled was done.
pub const LOW_ADHERENCE_7D: f64 = 0.5;

/// Change of self-efficacy over 28 days ([`Efficacy::change_28d`], in
/// points of the 0 to 100 rating) at or below which it *dropped*
/// (`FLAG_EFFICACY_DROP`, "self-efficacy down 20 points or more over 28
/// days"): a fifth of the scale, the client's confidence fell markedly
/// (`SUMMARY_SEVERITY_MEDIUM`).
pub const EFFICACY_DROP_28D: i32 = -20;

/// What happened on a day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// Done.
    Done,
    /// Partly done.
    Partial,
    /// Skipped (excused).
    Skipped,
}

impl From<crate::domain::CheckInState> for Mark {
    fn from(state: crate::domain::CheckInState) -> Self {
        use crate::domain::CheckInState;
        match state {
            CheckInState::Done => Mark::Done,
            CheckInState::Partial => Mark::Partial,
            CheckInState::Skipped => Mark::Skipped,
        }
    }
}

impl Mark {
    fn value(self) -> f64 {
        match self {
            Mark::Done => 1.0,
            Mark::Partial => 0.5,
            Mark::Skipped => 0.0,
        }
    }
}

/// Statistics of one step, or rolled up over several.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Met periods in a row up to now.
    pub current_streak: u32,
    /// Longest run of met periods.
    pub best_streak: u32,
    /// Adherence over the last 7 days, 0 to 1.
    pub adherence_7d: Option<f64>,
    /// Adherence over the last 28 days, 0 to 1.
    pub adherence_28d: Option<f64>,
    /// Habit strength, 0 to 1.
    pub habit_strength: f64,
    /// Sums behind the adherences, for rolling up: (done, scheduled).
    pub sums_7d: (f64, f64),
    /// As `sums_7d`, over 28 days.
    pub sums_28d: (f64, f64),
}

impl Stats {
    /// Whether adherence over the last 7 days is under
    /// [`LOW_ADHERENCE_7D`]; not when nothing was scheduled.
    pub fn low_adherence(&self) -> bool {
        self.adherence_7d.is_some_and(|a| a < LOW_ADHERENCE_7D)
    }
}

/// Whether a client whose latest check-in (not skipped) was on
/// `last_check_in` is inactive as of `as_of`: none for [`INACTIVE_DAYS`]
/// days or more, or none at all.
pub fn inactive(last_check_in: Option<NaiveDate>, as_of: NaiveDate) -> bool {
    let inactive_since = as_of
        .checked_sub_days(Days::new(INACTIVE_DAYS))
        .unwrap_or(NaiveDate::MIN);
    last_check_in.is_none_or(|day| day <= inactive_since)
}

/// The first day of the window of a step with periods of `period_days`,
/// first practised on `start`, as of `as_of`: `start`, or the first day of
/// the period holding the day [`STATS_WINDOW_DAYS`] − 1 days before
/// `as_of` when that is later. Marks before it are never looked at.
pub fn window_start(period_days: u32, start: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let period = i64::from(period_days.max(1));
    let before_window = (as_of - start).num_days() - i64::from(STATS_WINDOW_DAYS - 1);
    match u64::try_from(before_window / period * period) {
        Ok(whole_periods) if before_window > 0 => start + Days::new(whole_periods),
        _ => start,
    }
}

/// The statistics of a step with schedule `times` per `period_days`, first
/// practised on `start`, as of `as_of`, from its marks by local date. Looks
/// only at the marks of the window (see [`window_start`]), so the work is
/// bounded by its length however old the step is.
pub fn step_stats(
    times: u32,
    period_days: u32,
    start: NaiveDate,
    as_of: NaiveDate,
    marks: impl IntoIterator<Item = (NaiveDate, Mark)>,
) -> Stats {
    if as_of < start || times == 0 || period_days == 0 {
        return Stats::default();
    }
    let first = window_start(period_days, start, as_of);
    // Day n of the window is `first` + n days.
    let number = |date: NaiveDate| usize::try_from((date - first).num_days()).unwrap_or(0);
    let mut days = vec![None; number(as_of) + 1];
    for (date, mark) in marks {
        if (first..=as_of).contains(&date) {
            days[number(date)] = Some(mark);
        }
    }
    let (current_streak, best_streak) = streaks(times, period_days, &days);
    let sums_7d = adherence_sums(times, period_days, &days, 7);
    let sums_28d = adherence_sums(times, period_days, &days, 28);
    Stats {
        current_streak,
        best_streak,
        adherence_7d: ratio(sums_7d),
        adherence_28d: ratio(sums_28d),
        habit_strength: strength(f64::from(times) / f64::from(period_days), &days),
        sums_7d,
        sums_28d,
    }
}

fn ratio((done, scheduled): (f64, f64)) -> Option<f64> {
    (scheduled > 0.0).then(|| (done / scheduled).min(1.0))
}

/// Streaks over `days`, the marks of each day of the window (which begins
/// on a period's first day).
fn streaks(times: u32, period_days: u32, days: &[Option<Mark>]) -> (u32, u32) {
    let periods: Vec<&[Option<Mark>]> = days.chunks(period_days as usize).collect();
    let (mut run, mut best) = (0u32, 0u32);
    for (i, period) in periods.iter().enumerate() {
        // The period holding the as-of day is not over yet.
        let running = i + 1 == periods.len();
        let (mut value, mut skipped) = (0.0, 0.0);
        for day in *period {
            match day {
                Some(Mark::Skipped) => skipped += 1.0,
                Some(mark) => value += mark.value(),
                None => {}
            }
        }
        let quota = f64::from(times);
        if value >= quota {
            run += 1;
        } else if !(running || value + skipped >= quota) {
            run = 0;
        }
        best = best.max(run);
    }
    (run, best)
}

fn adherence_sums(times: u32, period_days: u32, days: &[Option<Mark>], last: usize) -> (f64, f64) {
    let per_day = f64::from(times) / f64::from(period_days);
    let recent = &days[days.len().saturating_sub(last)..];
    recent
        .iter()
        .fold((0.0, 0.0), |(done, scheduled), day| match day {
            Some(Mark::Skipped) => (done, scheduled),
            Some(mark) => (done + mark.value(), scheduled + per_day),
            None => (done, scheduled + per_day),
        })
}

fn strength(frequency: f64, days: &[Option<Mark>]) -> f64 {
    let m = 0.5_f64.powf(frequency.sqrt() / 13.0);
    days.iter().fold(0.0, |s, day| match day {
        Some(Mark::Skipped) => s,
        mark => m * s + (1.0 - m) * mark.map_or(0.0, |k| k.value()),
    })
}

/// Statistics of several steps together: adherence pooled over all their
/// scheduled days, strength the mean, streaks the longest.
pub fn roll_up(steps: &[Stats]) -> Stats {
    let add = |a: (f64, f64), b: (f64, f64)| (a.0 + b.0, a.1 + b.1);
    let sums_7d = steps.iter().fold((0.0, 0.0), |acc, s| add(acc, s.sums_7d));
    let sums_28d = steps.iter().fold((0.0, 0.0), |acc, s| add(acc, s.sums_28d));
    let strength = if steps.is_empty() {
        0.0
    } else {
        steps.iter().map(|s| s.habit_strength).sum::<f64>() / steps.len() as f64
    };
    Stats {
        current_streak: steps.iter().map(|s| s.current_streak).max().unwrap_or(0),
        best_streak: steps.iter().map(|s| s.best_streak).max().unwrap_or(0),
        adherence_7d: ratio(sums_7d),
        adherence_28d: ratio(sums_28d),
        habit_strength: strength,
        sums_7d,
        sums_28d,
    }
}

/// How self-efficacy ratings developed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Efficacy {
    /// The first rating's score.
    pub first: Option<i32>,
    /// The latest rating's score (as of the day).
    pub latest: Option<i32>,
    /// Latest minus the score 28 days before (the last rating on or before
    /// that day, else the first rating after it); absent with fewer than two
    /// ratings.
    pub change_28d: Option<i32>,
    /// Number of ratings up to the day.
    pub count: u32,
}

impl Efficacy {
    /// Whether efficacy fell by [`EFFICACY_DROP_28D`] points or more over
    /// 28 days; not with fewer than two ratings.
    pub fn dropped(&self) -> bool {
        self.change_28d.is_some_and(|c| c <= EFFICACY_DROP_28D)
    }
}

/// Efficacy from (local date, score) pairs in rating order, as of `as_of`.
pub fn efficacy(ratings: &[(NaiveDate, i32)], as_of: NaiveDate) -> Efficacy {
    let upto: Vec<&(NaiveDate, i32)> = ratings.iter().filter(|(d, _)| *d <= as_of).collect();
    let (Some(first), Some(latest)) = (upto.first(), upto.last()) else {
        return Efficacy::default();
    };
    let cutoff = as_of
        .checked_sub_days(Days::new(28))
        .unwrap_or(NaiveDate::MIN);
    let before = upto
        .iter()
        .rev()
        .find(|(d, _)| *d <= cutoff)
        .or_else(|| upto.iter().find(|(d, _)| *d > cutoff));
    Efficacy {
        first: Some(first.1),
        latest: Some(latest.1),
        change_28d: (upto.len() >= 2)
            .then(|| before.map(|b| latest.1 - b.1))
            .flatten(),
        count: upto.len() as u32,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn marks(entries: &[(&str, Mark)]) -> BTreeMap<NaiveDate, Mark> {
        entries.iter().map(|(d, m)| (day(d), *m)).collect()
    }

    #[test]
    fn a_client_is_inactive_from_the_third_day_without_a_check_in() {
        let today = day("2026-11-10");
        assert!(!inactive(Some(today), today));
        assert!(!inactive(Some(day("2026-11-08")), today));
        assert!(inactive(Some(day("2026-11-07")), today));
        assert!(inactive(None, today));
        // No day lies three days before the first one.
        assert!(inactive(Some(NaiveDate::MIN), NaiveDate::MIN));
    }

    #[test]
    fn adherence_is_low_under_one_half() {
        let with = |adherence_7d| Stats {
            adherence_7d,
            ..Stats::default()
        };
        assert!(!with(Some(0.5)).low_adherence());
        assert!(with(Some(0.49)).low_adherence());
        assert!(with(Some(0.0)).low_adherence());
        // Nothing scheduled: nothing to flag.
        assert!(!with(None).low_adherence());
    }

    #[test]
    fn efficacy_dropped_at_twenty_points_down() {
        let with = |change_28d| Efficacy {
            change_28d,
            ..Efficacy::default()
        };
        assert!(with(Some(-20)).dropped());
        assert!(with(Some(-35)).dropped());
        assert!(!with(Some(-19)).dropped());
        assert!(!with(Some(20)).dropped());
        assert!(!with(None).dropped());
    }

    #[test]
    fn a_daily_habit_done_three_days_in_a_row_has_a_streak_of_three() {
        // Daily, started 11-01; done 11-01..03, nothing on 11-04 (today, running).
        let m = marks(&[
            ("2026-11-01", Mark::Done),
            ("2026-11-02", Mark::Done),
            ("2026-11-03", Mark::Done),
        ]);
        let stats = step_stats(1, 1, day("2026-11-01"), day("2026-11-04"), m.clone());
        // Today (11-04) is not over: the streak still stands at 3...
        assert_eq!((stats.current_streak, stats.best_streak), (3, 3));
        // ...but a day missed yesterday breaks it.
        let stats = step_stats(1, 1, day("2026-11-01"), day("2026-11-05"), m.clone());
        assert_eq!((stats.current_streak, stats.best_streak), (0, 3));
    }

    #[test]
    fn a_skipped_day_neither_breaks_nor_extends_a_streak() {
        let m = marks(&[
            ("2026-11-01", Mark::Done),
            ("2026-11-02", Mark::Skipped),
            ("2026-11-03", Mark::Done),
        ]);
        let stats = step_stats(1, 1, day("2026-11-01"), day("2026-11-03"), m.clone());
        assert_eq!((stats.current_streak, stats.best_streak), (2, 2));
        // Adherence: 2 done of 2 scheduled (the skipped day is excluded).
        assert_eq!(stats.adherence_7d, Some(1.0));
    }

    #[test]
    fn three_times_a_week_counts_whole_weeks() {
        // Weeks start 11-02 (Mon). Week 1: 3 done (met). Week 2: 2 done + 1 skip
        // (excused). Week 3 running: 1 done so far (not yet missed).
        let m = marks(&[
            ("2026-11-02", Mark::Done),
            ("2026-11-04", Mark::Done),
            ("2026-11-06", Mark::Done),
            ("2026-11-09", Mark::Done),
            ("2026-11-11", Mark::Done),
            ("2026-11-13", Mark::Skipped),
            ("2026-11-16", Mark::Done),
        ]);
        let stats = step_stats(3, 7, day("2026-11-02"), day("2026-11-18"), m.clone());
        assert_eq!((stats.current_streak, stats.best_streak), (1, 1));
        // Last 7 days 11-12..18: done 11-16 (1); skipped 11-13; 6 days at 3/7.
        let adherence = stats.adherence_7d.expect("scheduled");
        assert!(
            (adherence - 1.0 / (6.0 * 3.0 / 7.0)).abs() < 1e-12,
            "{adherence}"
        );
    }

    #[test]
    fn habit_strength_follows_the_loop_formula() {
        // Daily: m = 0.5^(1/13). Done, done, missed, partial.
        let m_daily = 0.5_f64.powf(1.0 / 13.0);
        let m = marks(&[
            ("2026-11-01", Mark::Done),
            ("2026-11-02", Mark::Done),
            ("2026-11-04", Mark::Partial),
        ]);
        let s1 = 1.0 - m_daily;
        let s2 = m_daily * s1 + (1.0 - m_daily);
        let s3 = m_daily * s2;
        let s4 = m_daily * s3 + (1.0 - m_daily) * 0.5;
        let stats = step_stats(1, 1, day("2026-11-01"), day("2026-11-04"), m.clone());
        assert!((stats.habit_strength - s4).abs() < 1e-12);
        // A skipped day leaves it unchanged.
        let skipped = marks(&[("2026-11-01", Mark::Done), ("2026-11-02", Mark::Skipped)]);
        let a =
            step_stats(1, 1, day("2026-11-01"), day("2026-11-01"), skipped.clone()).habit_strength;
        let b =
            step_stats(1, 1, day("2026-11-01"), day("2026-11-02"), skipped.clone()).habit_strength;
        assert_eq!(a, b);
    }

    /// A mark on most days of the accepted range: done, partial, skipped
    /// and missed in a pattern that does not repeat with any period.
    fn a_century_of_marks() -> BTreeMap<NaiveDate, Mark> {
        day("2000-01-01")
            .iter_days()
            .take_while(|d| *d <= day("2099-12-31"))
            .enumerate()
            .filter_map(|(i, d)| {
                let mark = match (i * i + i / 7) % 5 {
                    0 | 1 => Mark::Done,
                    2 => Mark::Partial,
                    3 => Mark::Skipped,
                    _ => return None,
                };
                Some((d, mark))
            })
            .collect()
    }

    #[test]
    fn statistics_over_the_longest_range_touch_only_the_window() {
        let (first, last) = (day("2000-01-01"), day("2099-12-31"));
        let century = a_century_of_marks();
        for (times, period_days) in [(1, 1), (3, 7), (2, 30), (1, 366)] {
            let from = window_start(period_days, first, last);
            // Whole periods, covering the last STATS_WINDOW_DAYS days.
            let length = (last - from).num_days() + 1;
            let (window, period) = (i64::from(STATS_WINDOW_DAYS), i64::from(period_days));
            assert!((window..window + period).contains(&length), "{length}");
            assert_eq!((from - first).num_days() % period, 0);
            let recent: BTreeMap<NaiveDate, Mark> =
                century.range(from..).map(|(d, m)| (*d, *m)).collect();
            assert_eq!(
                step_stats(times, period_days, first, last, century.clone()),
                step_stats(times, period_days, first, last, recent.clone()),
                "{times} per {period_days} days"
            );
        }
    }

    #[test]
    fn habit_strength_over_the_window_differs_from_the_whole_history_by_at_most_m_to_the_730() {
        // Done every day for a century, the most strength the past can hold.
        let (first, last) = (day("2000-01-01"), day("2099-12-31"));
        let every_day: BTreeMap<NaiveDate, Mark> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d, Mark::Done))
            .collect();
        for (times, period_days, bound) in [(1, 1, 1e-6), (1, 7, 1e-6), (1, 366, 0.131)] {
            let f = f64::from(times) / f64::from(period_days);
            let m = 0.5_f64.powf(f.sqrt() / 13.0);
            let whole_history = every_day.values().fold(0.0, |s, _| m * s + (1.0 - m));
            let windowed =
                step_stats(times, period_days, first, last, every_day.clone()).habit_strength;
            let difference = whole_history - windowed;
            assert!(
                (0.0..=m.powi(730)).contains(&difference) && difference < bound,
                "{times} per {period_days}: {difference}"
            );
        }
    }

    #[test]
    fn a_streak_longer_than_the_window_counts_the_periods_within_it() {
        let (first, last) = (day("2020-01-01"), day("2024-12-31"));
        let every_day: BTreeMap<NaiveDate, Mark> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| (d, Mark::Done))
            .collect();
        let stats = step_stats(1, 1, first, last, every_day.clone());
        assert_eq!(
            (stats.current_streak, stats.best_streak),
            (STATS_WINDOW_DAYS, STATS_WINDOW_DAYS)
        );
    }

    #[test]
    fn efficacy_change_compares_with_28_days_before() {
        let ratings = [
            (day("2026-10-01"), 30),
            (day("2026-10-20"), 40),
            (day("2026-11-10"), 35),
            (day("2026-11-17"), 60),
        ];
        let e = efficacy(&ratings, day("2026-11-17"));
        // 28 days before 11-17 is 10-20: the rating then was 40.
        assert_eq!(
            e,
            Efficacy {
                first: Some(30),
                latest: Some(60),
                change_28d: Some(20),
                count: 4
            }
        );
        assert_eq!(efficacy(&ratings[..1], day("2026-11-17")).change_28d, None);
    }
}
