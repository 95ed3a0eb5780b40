//! When an assigned questionnaire is due, and when it is overdue, on the
//! client's local days.
//!
//! Definitions (also in `assessment.proto`):
//! - An assignment asks for an instrument every `every_days` days
//!   (1 to [`MAX_EVERY_DAYS`]) from its start date: its *due dates* are
//!   `start + k × every_days` for k = 0, 1, 2, …, counted in calendar days,
//!   so months and leap days need no special case. All dates are the
//!   client's local dates (the caller converts with the client's time zone).
//! - A cancelled assignment has no due dates on or after the local date it
//!   was cancelled (cancelling on a due date cancels that one too), and is
//!   never pending or overdue from that date on.
//! - A result *answers* a due date when it is for the assignment's
//!   instrument and its local date is on or after that due date. Results
//!   later than the day asked about are ignored, so every answer is "as of"
//!   that day and does not change when later results arrive.
//! - *Pending* as of day D: the latest due date on or before D has no
//!   result on or after it (up to D). That is what the client's app shows
//!   as "to do": it stays until answered or until the next due date
//!   replaces it.
//! - *Overdue* as of day D: some due date passed more than two days before
//!   D (D − due date ≥ 3 days) and no result was given on or after it (up
//!   to D). Since a result answers every earlier due date, it is enough to
//!   look at the latest due date on or before D − 3. One late result clears
//!   the flag; missed older due dates are not held against the client.
//!   Example, weekly from Monday the 1st: a result on Wednesday the 3rd
//!   answers the 1st; with no further result the 8th is overdue from
//!   Thursday the 11th.

use chrono::{Days, NaiveDate};

use crate::encoding::Stored;

/// Longest interval between due dates, in days (as action step periods).
pub const MAX_EVERY_DAYS: u32 = 366;

/// Days after a due date during which it is not yet overdue: overdue means
/// the due date passed more than this many days ago.
pub const OVERDUE_AFTER_DAYS: u64 = 2;

/// The schedule of an assignment, on the client's local days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Stored)]
pub struct AssignmentSchedule {
    /// The first due date.
    pub start: NaiveDate,
    /// Days from one due date to the next, 1 to [`MAX_EVERY_DAYS`].
    every_days: u32,
    /// Local date of cancellation: no due dates on or after it.
    pub cancelled_on: Option<NaiveDate>,
}

impl Default for AssignmentSchedule {
    /// Daily from 1970-01-01: a placeholder, never a checked schedule.
    fn default() -> Self {
        Self {
            start: NaiveDate::default(),
            every_days: 1,
            cancelled_on: None,
        }
    }
}

/// Checks the interval of an assignment: 1 to [`MAX_EVERY_DAYS`] days.
pub fn every_days(value: i64) -> Result<u32, String> {
    u32::try_from(value)
        .ok()
        .filter(|d| (1..=MAX_EVERY_DAYS).contains(d))
        .ok_or_else(|| format!("must be between 1 and {MAX_EVERY_DAYS} days, got {value}"))
}

impl AssignmentSchedule {
    /// A schedule from `start`, every `every_days` days (checked with
    /// [`every_days`]).
    pub fn new(start: NaiveDate, every_days: i64) -> Result<Self, String> {
        Ok(Self {
            start,
            every_days: self::every_days(every_days)?,
            cancelled_on: None,
        })
    }

    /// The same schedule, cancelled on a local date.
    pub fn cancelled(self, on: NaiveDate) -> Self {
        Self {
            cancelled_on: Some(on),
            ..self
        }
    }

    /// Days between due dates.
    pub fn every(&self) -> u32 {
        self.every_days
    }

    /// Whether `day` is a due date.
    pub fn is_due_on(&self, day: NaiveDate) -> bool {
        self.latest_due_date(day) == Some(day)
    }

    /// The latest due date on or before `day`, if any.
    pub fn latest_due_date(&self, day: NaiveDate) -> Option<NaiveDate> {
        let last_day = match self.cancelled_on {
            Some(cancelled) => day.min(cancelled.pred_opt()?),
            None => day,
        };
        let elapsed = u64::try_from((last_day - self.start).num_days()).ok()?;
        let every = u64::from(self.every_days);
        self.start
            .checked_add_days(Days::new(elapsed - elapsed % every))
    }

    /// The due dates from `from` to `to`, both included, in order.
    pub fn due_dates(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let every = Days::new(u64::from(self.every_days));
        let mut next = match from.pred_opt().and_then(|d| self.latest_due_date(d)) {
            Some(before) => before.checked_add_days(every),
            None => Some(self.start),
        };
        let mut dates = Vec::new();
        while let Some(date) = next.filter(|d| *d <= to && self.latest_due_date(*d) == Some(*d)) {
            if date >= from {
                dates.push(date);
            }
            next = date.checked_add_days(every);
        }
        dates
    }

    /// The due date waiting for a result as of `day`: the latest due date on
    /// or before `day` when no result (by local date, in any order) falls on
    /// or after it and on or before `day`.
    pub fn pending(&self, day: NaiveDate, results: &[NaiveDate]) -> Option<NaiveDate> {
        if self.cancelled_on.is_some_and(|c| c <= day) {
            return None;
        }
        let due = self.latest_due_date(day)?;
        (!answered(due, day, results)).then_some(due)
    }

    /// Whether the assignment is overdue as of `day`: a due date more than
    /// [`OVERDUE_AFTER_DAYS`] days before `day` has no result on or after it
    /// (up to `day`). The overdue due date is returned.
    pub fn overdue(&self, day: NaiveDate, results: &[NaiveDate]) -> Option<NaiveDate> {
        if self.cancelled_on.is_some_and(|c| c <= day) {
            return None;
        }
        let limit = day.checked_sub_days(Days::new(OVERDUE_AFTER_DAYS + 1))?;
        let due = self.latest_due_date(limit)?;
        (!answered(due, day, results)).then_some(due)
    }
}

/// Whether a result falls on a day from `due` to `day`.
fn answered(due: NaiveDate, day: NaiveDate, results: &[NaiveDate]) -> bool {
    results.iter().any(|r| (due..=day).contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn days(list: &[&str]) -> Vec<NaiveDate> {
        list.iter().map(|s| day(s)).collect()
    }

    #[test]
    fn the_interval_is_one_to_366_days() {
        assert!(every_days(0).is_err());
        assert!(every_days(-7).is_err());
        assert_eq!(every_days(1), Ok(1));
        assert_eq!(every_days(366), Ok(366));
        assert!(every_days(367).is_err());
        assert!(AssignmentSchedule::new(day("2026-01-01"), 0).is_err());
    }

    #[test]
    fn due_dates_cross_month_ends_by_counting_days() {
        // Every 14 days from 2026-01-22: +14 = 02-05, +14 = 02-19,
        // +14 = 03-05 (February 2026 has 28 days: 19 + 14 = 33 = 28 + 5).
        let s = AssignmentSchedule::new(day("2026-01-22"), 14).expect("valid");
        assert_eq!(
            s.due_dates(day("2026-01-01"), day("2026-03-05")),
            days(&["2026-01-22", "2026-02-05", "2026-02-19", "2026-03-05"])
        );
        // Every 30 days from 01-31: 01-31 + 30 = 03-02 (31 − 31 + 28 + 2).
        let s = AssignmentSchedule::new(day("2026-01-31"), 30).expect("valid");
        assert_eq!(
            s.due_dates(day("2026-02-01"), day("2026-04-30")),
            days(&["2026-03-02", "2026-04-01"])
        );
        // Weekly over a leap day: 2028-02-26 + 7 = 03-04 (29-day February).
        let s = AssignmentSchedule::new(day("2028-02-26"), 7).expect("valid");
        assert!(s.is_due_on(day("2028-03-04")));
        assert!(!s.is_due_on(day("2028-03-05")));
        // And over a year end: 2026-12-28 + 7 = 2027-01-04.
        let s = AssignmentSchedule::new(day("2026-12-28"), 7).expect("valid");
        assert_eq!(
            s.latest_due_date(day("2027-01-10")),
            Some(day("2027-01-04"))
        );
    }

    #[test]
    fn nothing_is_due_before_the_start() {
        let s = AssignmentSchedule::new(day("2026-03-10"), 7).expect("valid");
        assert!(!s.is_due_on(day("2026-03-03")));
        assert_eq!(s.latest_due_date(day("2026-03-09")), None);
        assert_eq!(s.pending(day("2026-03-09"), &[]), None);
        assert!(s.is_due_on(day("2026-03-10")));
        assert_eq!(s.pending(day("2026-03-10"), &[]), Some(day("2026-03-10")));
    }

    #[test]
    fn a_result_answers_the_latest_due_date_up_to_it() {
        // Weekly from Mon 2026-06-01: due 06-01, 06-08, 06-15.
        let s = AssignmentSchedule::new(day("2026-06-01"), 7).expect("valid");
        // A result on Wed 06-03 answers 06-01: nothing pending that week.
        let results = days(&["2026-06-03"]);
        assert_eq!(
            s.pending(day("2026-06-02"), &results),
            Some(day("2026-06-01"))
        );
        assert_eq!(s.pending(day("2026-06-03"), &results), None);
        assert_eq!(s.pending(day("2026-06-07"), &results), None);
        // 06-08 is new and unanswered.
        assert_eq!(
            s.pending(day("2026-06-08"), &results),
            Some(day("2026-06-08"))
        );
        // A result the day before a due date does not answer it.
        let early = days(&["2026-06-07"]);
        assert_eq!(
            s.pending(day("2026-06-08"), &early),
            Some(day("2026-06-08"))
        );
        // Results after the day asked about are ignored.
        let later = days(&["2026-06-10"]);
        assert_eq!(
            s.pending(day("2026-06-09"), &later),
            Some(day("2026-06-08"))
        );
    }

    #[test]
    fn overdue_means_a_due_date_more_than_two_days_old_without_a_result() {
        // Weekly from Mon 2026-06-01, one result on Wed 06-03.
        let s = AssignmentSchedule::new(day("2026-06-01"), 7).expect("valid");
        let results = days(&["2026-06-03"]);
        // 06-08 is pending on 06-08, 09 and 10 (0, 1 and 2 days after)...
        assert_eq!(s.overdue(day("2026-06-10"), &results), None);
        // ...and overdue from Thu 06-11 (3 days after).
        assert_eq!(
            s.overdue(day("2026-06-11"), &results),
            Some(day("2026-06-08"))
        );
        // Without any result, 06-01 was overdue from 06-04 already.
        assert_eq!(s.overdue(day("2026-06-03"), &[]), None);
        assert_eq!(s.overdue(day("2026-06-04"), &[]), Some(day("2026-06-01")));
        // On 06-16 the latest due date ≤ 06-13 is 06-08: still unanswered.
        assert_eq!(
            s.overdue(day("2026-06-16"), &results),
            Some(day("2026-06-08"))
        );
        // A late result on 06-12 answers 06-08, so no longer overdue...
        let late = days(&["2026-06-03", "2026-06-12"]);
        assert_eq!(s.overdue(day("2026-06-12"), &late), None);
        // ...until 06-15 passes unanswered: overdue on 06-18 (3 days after).
        assert_eq!(s.overdue(day("2026-06-17"), &late), None);
        assert_eq!(s.overdue(day("2026-06-18"), &late), Some(day("2026-06-15")));
    }

    #[test]
    fn overdue_counts_days_across_month_ends() {
        // Every 28 days from 2026-01-03: due 01-31, then 02-28.
        let s = AssignmentSchedule::new(day("2026-01-03"), 28).expect("valid");
        let results = days(&["2026-01-03"]);
        // 01-31 + 3 days = 02-03: overdue from then, not on 02-02.
        assert_eq!(s.overdue(day("2026-02-02"), &results), None);
        assert_eq!(
            s.overdue(day("2026-02-03"), &results),
            Some(day("2026-01-31"))
        );
        // Answered on 02-05; 02-28 + 3 = 03-03 (2026 is not a leap year).
        let results = days(&["2026-01-03", "2026-02-05"]);
        assert_eq!(s.overdue(day("2026-03-02"), &results), None);
        assert_eq!(
            s.overdue(day("2026-03-03"), &results),
            Some(day("2026-02-28"))
        );
    }

    #[test]
    fn a_daily_assignment_is_overdue_after_three_silent_days() {
        // Daily from 06-01, last result 06-02: the latest due date ≤ D − 3
        // must be after 06-02, so D − 3 ≥ 06-03, D ≥ 06-06.
        let s = AssignmentSchedule::new(day("2026-06-01"), 1).expect("valid");
        let results = days(&["2026-06-02"]);
        assert_eq!(s.overdue(day("2026-06-05"), &results), None);
        assert_eq!(
            s.overdue(day("2026-06-06"), &results),
            Some(day("2026-06-03"))
        );
        // Today's due date is pending until answered.
        assert_eq!(
            s.pending(day("2026-06-06"), &results),
            Some(day("2026-06-06"))
        );
    }

    #[test]
    fn a_cancelled_assignment_stops_being_due() {
        // Weekly from 06-01, cancelled on 06-15 (a due date): 06-15 is gone.
        let s = AssignmentSchedule::new(day("2026-06-01"), 7)
            .expect("valid")
            .cancelled(day("2026-06-15"));
        assert_eq!(
            s.due_dates(day("2026-06-01"), day("2026-06-30")),
            days(&["2026-06-01", "2026-06-08"])
        );
        assert!(!s.is_due_on(day("2026-06-15")));
        // Before the cancellation it behaved as always...
        assert_eq!(s.overdue(day("2026-06-14"), &[]), Some(day("2026-06-08")));
        assert_eq!(s.pending(day("2026-06-14"), &[]), Some(day("2026-06-08")));
        // ...from it on, nothing is pending or overdue.
        assert_eq!(s.overdue(day("2026-06-15"), &[]), None);
        assert_eq!(s.pending(day("2026-06-20"), &[]), None);
        // Cancelled before it started: never due.
        let never = AssignmentSchedule::new(day("2026-06-01"), 7)
            .expect("valid")
            .cancelled(day("2026-06-01"));
        assert_eq!(never.due_dates(day("2026-05-01"), day("2026-07-01")), []);
    }
}
