//! Reminders of an action step: a local time of day on some days of the
//! week, or every few days counted from the step's start day; quiet hours
//! that hold a reminder back to their end; and the instants reminders fire
//! at in a client's time zone.
//!
//! Reminders are kept in local time, so that every device of the client
//! schedules the same local notifications and a change of time zone moves
//! them. Turning a local time into an instant follows the clocks: a time
//! that a spring-forward gap skips fires at the first valid minute after
//! it; a time that a fall-back repeats fires once, at its first (daylight
//! time) occurrence.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::encoding::{Bits, Reader, Stored, Writer, malformed};
use crate::error::Result;

/// Most reminders one action step may carry.
pub const MAX_REMINDERS: usize = 5;
/// Fewest days between reminders of an "every N days" reminder (every
/// day is every weekday).
pub const MIN_EVERY_DAYS: u16 = 2;
/// Most days between reminders of an "every N days" reminder.
pub const MAX_EVERY_DAYS: u16 = 365;
/// Most firings one listing returns.
pub const MAX_FIRINGS: usize = 500;
/// Longest span one listing looks at, in days.
pub const MAX_SPAN_DAYS: u64 = 366;

/// A minute of a local day, 00:00 to 23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Stored)]
pub struct TimeOfDay {
    /// Minutes since midnight, below 1440.
    minute: u16,
}

impl TimeOfDay {
    /// The time `text` names, "HH:MM" on a 24-hour clock from 00:00 to
    /// 23:59 (midnight is 00:00 of the next day, never 24:00).
    pub fn parse(text: &str) -> Result<TimeOfDay, String> {
        let wrong = || format!("{text:?} is not a time of day \"HH:MM\" from 00:00 to 23:59");
        let (hours, minutes) = text.split_once(':').ok_or_else(wrong)?;
        let two_digits = |part: &str| {
            (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        match (two_digits(hours), two_digits(minutes)) {
            (Some(h), Some(m)) if h < 24 && m < 60 => Ok(TimeOfDay { minute: h * 60 + m }),
            _ => Err(wrong()),
        }
    }

    /// The time at `hour`:`minute`, if it is one.
    pub fn at(hour: u16, minute: u16) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then_some(TimeOfDay {
            minute: hour * 60 + minute,
        })
    }

    /// As chrono's time.
    pub fn time(self) -> NaiveTime {
        NaiveTime::from_hms_opt(u32::from(self.minute / 60), u32::from(self.minute % 60), 0)
            .unwrap_or(NaiveTime::MIN)
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minute / 60, self.minute % 60)
    }
}

/// A non-empty set of days of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays {
    /// Bit 0 is Monday, bit 6 Sunday.
    bits: u8,
}

impl Weekdays {
    /// The set of `days`; an error when there are none.
    pub fn of(days: impl IntoIterator<Item = Weekday>) -> Result<Weekdays, String> {
        let bits = days
            .into_iter()
            .fold(0u8, |bits, day| bits | 1 << day.num_days_from_monday());
        if bits == 0 {
            return Err("name at least one day of the week, or set every_days".into());
        }
        Ok(Weekdays { bits })
    }

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.bits & 1 << day.num_days_from_monday() != 0
    }

    /// The days, Monday first.
    pub fn days(self) -> impl Iterator<Item = Weekday> {
        let mut day = Weekday::Mon;
        (0..7).filter_map(move |_| {
            let this = day;
            day = day.succ();
            self.contains(this).then_some(this)
        })
    }
}

/// Stored as its byte of bits (an enum variant's field is its head).
impl Stored for Weekdays {
    type Head = Self;

    fn put_head(&self, head: &mut Writer) {
        head.u8(self.bits);
    }

    fn put_text(&self, _: &mut Writer) {}

    fn get_head(_: &mut Bits, head: &mut Reader<'_>) -> Result<Self> {
        match head.u8()? {
            bits @ 1..=0x7f => Ok(Weekdays { bits }),
            _ => Err(malformed("days of the week")),
        }
    }

    fn get_text(head: Self, _: &mut Reader<'_>) -> Result<Self> {
        Ok(head)
    }
}

/// On which local days a reminder fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
#[repr(u8)]
pub enum Repeat {
    /// On these days of the week.
    On(Weekdays) = 1,
    /// Every this many days (2 to 365), counted from the step's start day.
    Every(u16) = 2,
}

impl Repeat {
    /// Every `days` days; an error naming the range when out of it.
    pub fn every(days: u32) -> Result<Repeat, String> {
        match u16::try_from(days) {
            Ok(days) if (MIN_EVERY_DAYS..=MAX_EVERY_DAYS).contains(&days) => {
                Ok(Repeat::Every(days))
            }
            _ => Err(format!(
                "must be from {MIN_EVERY_DAYS} to {MAX_EVERY_DAYS} days (every day is every weekday)"
            )),
        }
    }

    /// Whether a reminder of a step started on `start` fires on `day`.
    fn fires_on(self, day: NaiveDate, start: NaiveDate) -> bool {
        match self {
            Repeat::On(days) => days.contains(day.weekday()),
            Repeat::Every(every) => {
                day >= start && (day - start).num_days() % i64::from(every) == 0
            }
        }
    }
}

/// One reminder: a local time on the days its repeat names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct Reminder {
    /// When in the day.
    pub time: TimeOfDay,
    /// On which days.
    pub repeat: Repeat,
}

/// Whether a step may carry `count` reminders: at most [`MAX_REMINDERS`].
pub fn reminder_count(count: usize) -> Result<(), String> {
    if count > MAX_REMINDERS {
        return Err(format!(
            "at most {MAX_REMINDERS} reminders per action step, not {count}"
        ));
    }
    Ok(())
}

/// Local hours in which no reminder fires: one that falls inside them
/// fires at their end. They may span midnight (22:00 to 07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct QuietHours {
    /// First quiet minute.
    pub start: TimeOfDay,
    /// First minute after them.
    pub end: TimeOfDay,
}

impl QuietHours {
    /// Quiet from `start` until `end`; they must differ.
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Result<QuietHours, String> {
        if start == end {
            return Err("start and end must differ".into());
        }
        Ok(QuietHours { start, end })
    }

    /// Where a reminder due at local `at` fires: the end of the quiet
    /// hours when `at` is inside them, else `at`.
    fn hold(self, at: NaiveDateTime) -> NaiveDateTime {
        let (start, end, time) = (self.start.time(), self.end.time(), at.time());
        let day = at.date();
        if start < end {
            if start <= time && time < end {
                day.and_time(end)
            } else {
                at
            }
        } else if time >= start {
            // Quiet until the end, tomorrow.
            (day + Days::new(1)).and_time(end)
        } else if time < end {
            day.and_time(end)
        } else {
            at
        }
    }
}

/// The instant a local time names in `zone`: in a gap the clocks skip, the
/// first valid minute after it; on a repeated hour, its first occurrence.
pub fn instant_of(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    // A gap lasts at most a day (Pacific/Kiritimati skipped 1994-12-31).
    let mut candidate = local;
    for _ in 0..=2 * 24 * 60 {
        if let Some(instant) = zone.from_local_datetime(&candidate).earliest() {
            return instant.with_timezone(&Utc);
        }
        candidate += TimeDelta::minutes(1);
    }
    Utc.from_utc_datetime(&local)
}

/// From an instant (inclusive) to another (exclusive).
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Firings a listing returns when asked for 0.
pub const DEFAULT_FIRINGS: usize = 100;

/// The span a listing from `from` looks at: up to `until` (after `from`,
/// at most [`MAX_SPAN_DAYS`] later), by default the longest.
pub fn span(from: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Result<Span, String> {
    let longest = from + Days::new(MAX_SPAN_DAYS);
    match until {
        None => Ok((from, longest)),
        Some(until) if from < until && until <= longest => Ok((from, until)),
        Some(_) => Err(format!(
            "must be after the start and at most {MAX_SPAN_DAYS} days after it"
        )),
    }
}

/// How many firings a listing asked for `requested` returns: 0 means
/// [`DEFAULT_FIRINGS`], more than [`MAX_FIRINGS`] that many.
pub fn firing_count(requested: i32) -> Result<usize, String> {
    match usize::try_from(requested) {
        Ok(0) => Ok(DEFAULT_FIRINGS),
        Ok(count) => Ok(count.min(MAX_FIRINGS)),
        Err(_) => Err("must not be negative".into()),
    }
}

/// What of a step the listing of reminders reads.
#[derive(Debug, Clone)]
pub struct StepReminders {
    /// The step.
    pub step_id: Uuid,
    /// The client's local day on which it was created, from which "every N
    /// days" counts.
    pub start_day: NaiveDate,
    /// Its reminders.
    pub reminders: Vec<Reminder>,
    /// Its quiet hours.
    pub quiet_hours: Option<QuietHours>,
}

/// When one reminder fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    /// The step.
    pub step_id: Uuid,
    /// Which of its reminders, from 0.
    pub reminder: usize,
    /// The instant.
    pub at: DateTime<Utc>,
    /// The local time it fires at, in the zone it was computed in.
    pub local: NaiveDateTime,
}

/// The firings of `steps`' reminders in `zone` from `from` (inclusive) to
/// `until` (exclusive), earliest first, at most `most` of them. Two
/// reminders of a step that quiet hours move to one instant fire once.
pub fn upcoming(
    steps: &[StepReminders],
    zone: Tz,
    (from, until): Span,
    most: usize,
) -> Vec<Firing> {
    let local_day = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
    // A reminder due the day before may fire today (held by quiet hours
    // past midnight, or moved past a gap).
    let mut day = local_day(from).pred_opt().unwrap_or(NaiveDate::MIN);
    let last = local_day(until);
    let mut firings = Vec::new();
    let mut enough_since: Option<NaiveDate> = None;
    while day <= last {
        // Once `most` were found, firings of days more than two days later
        // come after all of them (a hold or a gap moves a firing less than
        // a day; a repeated hour lasts less than one).
        if enough_since.is_some_and(|since| day > since + Days::new(2)) {
            break;
        }
        for step in steps {
            for (index, reminder) in step.reminders.iter().enumerate() {
                if !reminder.repeat.fires_on(day, step.start_day) {
                    continue;
                }
                let due = day.and_time(reminder.time.time());
                let local = step.quiet_hours.map_or(due, |quiet| quiet.hold(due));
                let at = instant_of(local, zone);
                if from <= at && at < until {
                    firings.push(Firing {
                        step_id: step.step_id,
                        reminder: index,
                        at,
                        local: at.with_timezone(&zone).naive_local(),
                    });
                }
            }
        }
        if enough_since.is_none() && firings.len() >= most {
            in_order(&mut firings);
            if firings.len() >= most {
                enough_since = Some(day);
            }
        }
        day = match day.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    in_order(&mut firings);
    firings.truncate(most);
    firings
}

/// Sorts firings earliest first and keeps one of a step's at one instant.
fn in_order(firings: &mut Vec<Firing>) {
    firings.sort_by_key(|f| (f.at, f.step_id, f.reminder));
    firings.dedup_by_key(|f| (f.at, f.step_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("local time")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).and_utc()
    }

    fn time(s: &str) -> TimeOfDay {
        TimeOfDay::parse(s).expect("time")
    }

    #[test]
    fn times_of_day_run_from_midnight_to_a_minute_before_the_next() {
        assert_eq!(time("00:00").to_string(), "00:00");
        assert_eq!(time("23:59").to_string(), "23:59");
        for wrong in [
            "24:00", "7:30", "07:60", "0730", "", "07:30:00", "-1:00", "+7:30",
        ] {
            assert!(TimeOfDay::parse(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_gap_moves_a_time_to_its_end_and_a_repeated_hour_keeps_the_first() {
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(
            instant_of(local("2026-03-29 02:30"), berlin),
            utc("2026-03-29 01:00")
        );
        assert_eq!(
            instant_of(local("2026-10-25 02:30"), berlin),
            utc("2026-10-25 00:30")
        );
    }

    #[test]
    fn quiet_hours_hold_a_reminder_until_they_end() {
        let night = QuietHours::new(time("22:00"), time("07:00")).expect("quiet hours");
        assert_eq!(
            night.hold(local("2026-01-05 23:00")),
            local("2026-01-06 07:00")
        );
        assert_eq!(
            night.hold(local("2026-01-05 06:00")),
            local("2026-01-05 07:00")
        );
        assert_eq!(
            night.hold(local("2026-01-05 07:00")),
            local("2026-01-05 07:00")
        );
        let lunch = QuietHours::new(time("12:00"), time("13:30")).expect("quiet hours");
        assert_eq!(
            lunch.hold(local("2026-01-05 12:00")),
            local("2026-01-05 13:30")
        );
        assert_eq!(
            lunch.hold(local("2026-01-05 11:59")),
            local("2026-01-05 11:59")
        );
        assert!(QuietHours::new(time("12:00"), time("12:00")).is_err());
    }

    #[test]
    fn every_n_days_counts_from_the_start_day() {
        let every = Repeat::every(3).expect("repeat");
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let days: Vec<u32> = NaiveDate::from_ymd_opt(2025, 12, 25)
            .expect("date")
            .iter_days()
            .take(17)
            .filter(|day| every.fires_on(*day, start))
            .map(|day| day.day())
            .collect();
        assert_eq!(days, [1, 4, 7, 10]);
        assert!(Repeat::every(1).is_err());
        assert!(Repeat::every(366).is_err());
        assert!(Repeat::every(365).is_ok());
    }

    #[test]
    fn listings_stop_at_the_count_earliest_first() {
        let step = StepReminders {
            step_id: Uuid::from_u128(1),
            start_day: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            reminders: vec![
                Reminder {
                    time: time("20:00"),
                    repeat: Repeat::On(Weekdays::of([Weekday::Mon, Weekday::Thu]).expect("days")),
                },
                Reminder {
                    time: time("08:00"),
                    repeat: Repeat::every(2).expect("repeat"),
                },
            ],
            quiet_hours: None,
        };
        let window = (utc("2026-01-05 00:00"), utc("2026-02-05 00:00"));
        let firings = upcoming(&[step], chrono_tz::UTC, window, 4);
        let at: Vec<_> = firings.iter().map(|f| f.at).collect();
        assert_eq!(
            at,
            [
                utc("2026-01-05 08:00"),
                utc("2026-01-05 20:00"),
                utc("2026-01-07 08:00"),
                utc("2026-01-08 20:00"),
            ]
        );
    }
}
