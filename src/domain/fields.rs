//! Parsers for request fields. Each returns the normalised value or a
//! description of what is wrong, in words the caller understands; the field
//! path is added by [`crate::error::Violations`].
//!
//! Every date and time a client sends is bounded here: local dates to
//! [`MIN_DATE`]..=[`MAX_DATE`], a rating's time to that range and to at most
//! [`MAX_RATE_TIME_AHEAD_US`] after the server's clock.

use chrono::NaiveDate;
use uuid::Uuid;

/// Longest title of a goal or action step, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest note, `why` or other free text, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// Largest check-in amount.
pub const MAX_AMOUNT: f64 = 1e9;
/// Page size used when a list request gives 0.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page size; larger requests are capped to it.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Earliest local date a request may carry (a check-in's day, a goal's
/// target date, an as-of day, a list bound), and the day of the earliest
/// rating time. A therapy app records the present and the recent past (a
/// habit kept before it was written down); a quarter of a century back is
/// more than any client needs. Year 1 or 9999 is an app's bug (an unset
/// date picker), not a client's history.
pub const MIN_DATE: NaiveDate = ymd(2000, 1, 1);
/// Latest local date a request may carry: goals' target dates lie a few
/// years ahead at most, and no client of today will be in therapy in 2100.
pub const MAX_DATE: NaiveDate = ymd(2099, 12, 31);
/// How far a rating's time may lie after the server's clock: nobody rates
/// tomorrow's confidence, but a phone's clock may be off, and a rating made
/// offline is sent with the phone's time.
pub const MAX_RATE_TIME_AHEAD_US: i64 = 24 * 3600 * 1_000_000;

/// A date known to be valid, for constants.
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("not a date"),
    }
}

/// A required id: a UUID, returned in canonical lower-case form.
pub fn id(value: &str) -> Result<Uuid, String> {
    if value.is_empty() {
        return Err("is required".into());
    }
    Uuid::try_parse(value).map_err(|_| format!("must be a UUID, got {:?}", truncate(value)))
}

/// The id of a record being created: the client's UUID, or a new
/// time-ordered one when empty.
pub fn new_id(value: &str) -> Result<Uuid, String> {
    if value.is_empty() {
        Ok(Uuid::now_v7())
    } else {
        id(value)
    }
}

/// A title: 1 to [`MAX_TITLE_CHARS`] characters, surrounding whitespace trimmed.
pub fn title(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    bounded_text(trimmed, MAX_TITLE_CHARS)
}

/// Free text (notes, `why`): at most [`MAX_NOTE_CHARS`] characters, may be empty.
pub fn note(value: &str) -> Result<String, String> {
    bounded_text(value, MAX_NOTE_CHARS)
}

/// A display name: 1 to [`MAX_DISPLAY_NAME_CHARS`] characters.
pub fn display_name(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    bounded_text(trimmed, MAX_DISPLAY_NAME_CHARS)
}

/// A token's label: like a display name, 1 to [`MAX_DISPLAY_NAME_CHARS`]
/// characters.
pub fn token_label(value: &str) -> Result<String, String> {
    display_name(value)
}

/// How far ahead a token may expire: tokens for a course of therapy, not
/// for ever by accident (no expiry at all is its own choice).
pub const MAX_TOKEN_LIFETIME_US: i64 = 10 * 366 * 24 * 3600 * 1_000_000;

/// A token's expiry time: after `now_us`, at most
/// [`MAX_TOKEN_LIFETIME_US`] later.
pub fn token_expiry(micros: i64, now_us: i64) -> Result<i64, String> {
    if micros <= now_us {
        return Err("must be in the future".into());
    }
    if micros - now_us > MAX_TOKEN_LIFETIME_US {
        return Err(
            "must be at most 10 years ahead; leave it unset for the default of 90 days".into(),
        );
    }
    Ok(micros)
}

/// A time zone that must be given: an IANA name, not empty.
pub fn required_time_zone(value: &str) -> Result<chrono_tz::Tz, String> {
    if value.is_empty() {
        return Err("must be an IANA time zone such as \"Europe/Lisbon\"".into());
    }
    time_zone(value)
}

fn bounded_text(value: &str, max_chars: usize) -> Result<String, String> {
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(format!(
            "must be at most {max_chars} characters, got {chars}"
        ));
    }
    Ok(value.to_owned())
}

/// A local date in a request: written `YYYY-MM-DD`, from [`MIN_DATE`] to
/// [`MAX_DATE`].
pub fn date(value: &str) -> Result<NaiveDate, String> {
    let date = canonical_date(value)?;
    if !(MIN_DATE..=MAX_DATE).contains(&date) {
        return Err(format!(
            "must be a date from {MIN_DATE} to {MAX_DATE}, got {value:?}"
        ));
    }
    Ok(date)
}

/// A calendar date written `YYYY-MM-DD`, any year. For dates already
/// stored (which may predate the bounds of [`date`]); requests use [`date`].
pub fn canonical_date(value: &str) -> Result<NaiveDate, String> {
    // chrono's parser tolerates padding and signs; the canonical form only.
    let canonical = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !canonical {
        return Err(format!(
            "must be a date as YYYY-MM-DD, got {:?}",
            truncate(value)
        ));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("must be a valid date as YYYY-MM-DD, got {value:?}"))
}

/// An optional date: empty means none.
pub fn optional_date(value: &str) -> Result<Option<NaiveDate>, String> {
    if value.is_empty() {
        Ok(None)
    } else {
        date(value).map(Some)
    }
}

/// Canonical `YYYY-MM-DD` form of a date.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The time a rating was given (or a session took place), in microseconds
/// since the Unix epoch: from [`MIN_DATE`] (00:00 UTC) to
/// [`MAX_RATE_TIME_AHEAD_US`] after `now_us` (and never after [`MAX_DATE`]).
pub fn rate_time(micros: i64, now_us: i64) -> Result<i64, String> {
    time_until(
        micros,
        now_us.saturating_add(MAX_RATE_TIME_AHEAD_US),
        "one day after the server's current time",
    )
}

/// A time in the past, in microseconds since the Unix epoch: from
/// [`MIN_DATE`] (00:00 UTC) to `now_us`.
pub fn past_time(micros: i64, now_us: i64) -> Result<i64, String> {
    time_until(micros, now_us, "the server's current time")
}

/// A time from [`MIN_DATE`] (00:00 UTC) to `latest_us` (described as
/// `latest`), and never after [`MAX_DATE`].
fn time_until(micros: i64, latest_us: i64, latest: &str) -> Result<i64, String> {
    let day_us = |date: NaiveDate| {
        date.and_hms_opt(0, 0, 0)
            .map_or(0, |midnight| midnight.and_utc().timestamp_micros())
    };
    let earliest = day_us(MIN_DATE);
    let after_max_date = day_us(MAX_DATE) + 24 * 3600 * 1_000_000;
    let latest_us = latest_us.min(after_max_date - 1);
    if (earliest..=latest_us).contains(&micros) {
        Ok(micros)
    } else {
        Err(format!("must be from {MIN_DATE}T00:00:00Z to {latest}"))
    }
}

/// An IANA time zone name; empty means "UTC".
pub fn time_zone(value: &str) -> Result<chrono_tz::Tz, String> {
    if value.is_empty() {
        return Ok(chrono_tz::UTC);
    }
    value.parse::<chrono_tz::Tz>().map_err(|_| {
        format!(
            "must be an IANA time zone such as \"Europe/Berlin\", got {:?}",
            truncate(value)
        )
    })
}

/// A self-efficacy score on Bandura's 0 to 100 scale.
pub fn score(value: i32) -> Result<u8, String> {
    match u8::try_from(value) {
        Ok(score) if score <= 100 => Ok(score),
        _ => Err(format!("must be between 0 and 100, got {value}")),
    }
}

/// A check-in amount: finite, between 0 and [`MAX_AMOUNT`].
pub fn amount(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..=MAX_AMOUNT).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be a number between 0 and {MAX_AMOUNT}"))
    }
}

/// A known, specified value of a proto enum.
pub fn enum_value<E: TryFrom<i32> + PartialEq>(value: i32, unspecified: E) -> Result<E, String> {
    match E::try_from(value) {
        Ok(v) if v != unspecified => Ok(v),
        Ok(_) => Err("must be specified".into()),
        Err(_) => Err(format!("unknown value {value}")),
    }
}

/// A list page size: 0 gives the default, larger than the maximum is capped.
pub fn page_size(value: i32) -> Result<usize, String> {
    bounded_count(value, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
}

/// A requested count: 0 gives `default`, more than `max` is capped,
/// negative is refused.
pub fn bounded_count(value: i32, default: usize, max: usize) -> Result<usize, String> {
    match usize::try_from(value) {
        Err(_) => Err(format!("must not be negative, got {value}")),
        Ok(0) => Ok(default),
        Ok(n) => Ok(n.min(max)),
    }
}

/// Free text: surrounding whitespace trimmed, `min_chars` to `max_chars`
/// characters (counted as Unicode scalar values, as the API's other text
/// limits are). Returns the trimmed text.
pub fn text(value: &str, min_chars: usize, max_chars: usize) -> Result<String, String> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars < min_chars {
        return Err(if min_chars == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min_chars} characters, got {chars}")
        });
    }
    if chars > max_chars {
        return Err(format!(
            "must be at most {max_chars} characters, got {chars}"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Echoes at most a short prefix of bad input, so errors stay readable.
fn truncate(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  Walk  ").as_deref(), Ok("Walk"));
        assert!(title("   ").is_err());
        assert!(title(&"é".repeat(200)).is_ok());
        assert!(title(&"é".repeat(201)).is_err());
    }

    #[test]
    fn dates_must_be_real_and_canonical() {
        assert!(date("2026-02-28").is_ok());
        assert!(date("2026-02-30").is_err());
        assert!(date("2026-2-3").is_err());
        assert!(date("26-02-03").is_err());
        assert!(date("  26-02-03").is_err());
        assert!(date("2026-02- 3").is_err());
        assert!(date("+2026-2-03").is_err());
    }

    #[test]
    fn request_dates_lie_in_this_century_and_stored_ones_may_not() {
        assert_eq!(date("2000-01-01"), Ok(MIN_DATE));
        assert_eq!(date("2099-12-31"), Ok(MAX_DATE));
        for outside in ["1999-12-31", "2100-01-01", "0001-01-01", "9999-12-31"] {
            let error = date(outside).expect_err(outside);
            assert!(error.contains("from 2000-01-01 to 2099-12-31"), "{error}");
        }
        assert!(optional_date("0001-01-01").is_err());
        assert!(canonical_date("0001-01-01").is_ok());
    }

    #[test]
    fn a_rating_time_is_not_before_2000_nor_more_than_a_day_ahead() {
        let now = 1_772_400_000_000_000; // 2026-03-01T21:20:00Z
        let day = 24 * 3600 * 1_000_000;
        assert_eq!(rate_time(now, now), Ok(now));
        assert_eq!(rate_time(now + day, now), Ok(now + day));
        assert!(rate_time(now + day + 1, now).is_err());
        let y2k = 946_684_800_000_000;
        assert_eq!(rate_time(y2k, now), Ok(y2k));
        assert!(rate_time(y2k - 1, now).is_err());
        assert!(rate_time(i64::MAX, i64::MAX).is_err(), "never after 2099");
        assert_eq!(past_time(now, now), Ok(now));
        assert!(past_time(now + 1, now).is_err());
        assert!(past_time(y2k - 1, now).is_err());
    }

    #[test]
    fn page_sizes_default_cap_and_reject_negatives() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(5000), Ok(MAX_PAGE_SIZE));
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(
            text("  Box breathing ", 1, 200).as_deref(),
            Ok("Box breathing")
        );
        assert_eq!(text("   ", 1, 200), Err("must not be empty".to_owned()));
        assert!(text(&"ü".repeat(200), 1, 200).is_ok());
        assert!(text(&"ü".repeat(201), 1, 200).is_err());
        assert_eq!(text("", 0, 10).as_deref(), Ok(""));
    }

    #[test]
    fn scores_are_zero_to_one_hundred() {
        assert_eq!(score(0), Ok(0));
        assert_eq!(score(100), Ok(100));
        assert!(score(101).is_err());
        assert!(score(-1).is_err());
        assert!(score(i32::MAX).is_err());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(time_zone(""), Ok(chrono_tz::UTC));
        assert_eq!(time_zone("Europe/Berlin"), Ok(chrono_tz::Europe::Berlin));
        assert!(time_zone("Mars/Olympus").is_err());
    }
}
