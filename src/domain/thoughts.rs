//! Thought records (cognitive restructuring, as in CBT): the cognitive
//! distortions, the rules of a record's content, and insight statistics.
//!
//! Definitions (also in `thought_record.proto`):
//! - The distortions are Burns' ten (Burns, *Feeling Good: The New Mood
//!   Therapy*, 1980): all-or-nothing thinking, overgeneralisation, mental
//!   filter, disqualifying the positive, jumping to conclusions,
//!   magnification or minimisation, emotional reasoning, should statements,
//!   labelling, personalisation. A record names each at most once (a set).
//! - An emotion has a name (1 to [`MAX_EMOTION_NAME_CHARS`] characters,
//!   unique within the record ignoring case) and an intensity from 0 to 100
//!   before the balanced thought and, once re-rated, after it. A record has
//!   at most [`MAX_EMOTIONS`] emotions.
//! - Belief in the automatic thought is rated 0 to 100 before and, once
//!   re-rated, after. Both are optional: a record may be filled in stages.
//! - Texts (situation, automatic thought, evidence for and against,
//!   balanced thought) are 0 to 4000 characters each, as notes are
//!   ([`fields::note`]).
//! - A *private* record is the client's alone: it is never shown to a
//!   therapist, not even counted in their statistics (the use cases pass
//!   [`insight_stats`] only the records the caller may see). A record can
//!   be shared later, but a shared record cannot be made private again:
//!   therapists may have seen it (it can be deleted instead).
//! - Insight statistics over a window of local dates (both ends included):
//!   the number of records; the mean emotion change = mean of (after −
//!   before) over every emotion re-rated, pooled across records (negative:
//!   emotions eased); the mean belief change = mean of (after − before) over
//!   the records with both belief ratings; and each distortion with the
//!   number of records naming it, most frequent first, ties in Burns' order
//!   (the order of [`Distortion::ALL`]), distortions never named left out.

use chrono::NaiveDate;

pub use super::{Distortion, Emotion};
use super::{ThoughtRecord, fields};

/// Most emotions per record.
pub const MAX_EMOTIONS: usize = 10;
/// Longest emotion name, in characters.
pub const MAX_EMOTION_NAME_CHARS: usize = 50;

/// Checks an emotion's name: 1 to [`MAX_EMOTION_NAME_CHARS`] characters,
/// trimmed.
pub fn emotion_name(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    let chars = trimmed.chars().count();
    if chars > MAX_EMOTION_NAME_CHARS {
        return Err(format!(
            "must be at most {MAX_EMOTION_NAME_CHARS} characters, got {chars}"
        ));
    }
    Ok(trimmed.to_owned())
}

/// Checks a rating of the record (an emotion's intensity, belief in the
/// thought): 0 to 100, as every rating scale of the API.
pub fn rating(value: i32) -> Result<u8, String> {
    fields::score(value)
}

/// The problems of a record's list of emotions as a whole: too many
/// (`None`: the list itself), and names used twice ignoring case (the index
/// of each repeat).
pub fn emotion_list_problems(names: &[&str]) -> Vec<(Option<usize>, String)> {
    let mut problems = Vec::new();
    if names.len() > MAX_EMOTIONS {
        problems.push((
            None,
            format!(
                "must have at most {MAX_EMOTIONS} emotions, got {}",
                names.len()
            ),
        ));
    }
    let mut seen: Vec<String> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let key = name.trim().to_lowercase();
        if key.is_empty() {
            continue;
        }
        if seen.contains(&key) {
            problems.push((Some(i), format!("{:?} is named twice", name.trim())));
        } else {
            seen.push(key);
        }
    }
    problems
}

/// Insight statistics over a window of local dates.
#[derive(Clone, Debug, PartialEq)]
pub struct InsightStats {
    /// Records in the window.
    pub records: u32,
    /// Mean of (after − before) over every re-rated emotion; negative means
    /// emotions eased.
    pub mean_emotion_change: Option<f64>,
    /// Mean of (after − before) belief over records with both ratings.
    pub mean_belief_change: Option<f64>,
    /// Distortions named, with how many records named them, most frequent
    /// first and ties in Burns' order.
    pub distortions: Vec<(Distortion, u32)>,
}

/// The statistics of the records dated from `from` to `to`, both included.
/// The caller passes only the records its audience may see.
pub fn insight_stats(records: &[ThoughtRecord], from: NaiveDate, to: NaiveDate) -> InsightStats {
    let in_window: Vec<&ThoughtRecord> = records
        .iter()
        .filter(|r| (from..=to).contains(&r.local_date))
        .collect();
    let emotion_changes: Vec<f64> = in_window
        .iter()
        .flat_map(|r| &r.emotions)
        .filter_map(|e| e.after.map(|a| f64::from(a) - f64::from(e.before)))
        .collect();
    let belief_changes: Vec<f64> = in_window
        .iter()
        .filter_map(|r| Some(f64::from(r.belief_after?) - f64::from(r.belief_before?)))
        .collect();
    InsightStats {
        records: in_window.len() as u32,
        mean_emotion_change: mean(&emotion_changes),
        mean_belief_change: mean(&belief_changes),
        distortions: distortion_counts(in_window.iter().copied()),
    }
}

/// Each distortion named by `records` with the number of records naming
/// it, most frequent first, ties in Burns' order, those never named left
/// out.
pub fn distortion_counts<'a>(
    records: impl Iterator<Item = &'a ThoughtRecord> + Clone,
) -> Vec<(Distortion, u32)> {
    let mut counts: Vec<(Distortion, u32)> = Distortion::ALL
        .into_iter()
        .map(|d| {
            let named = records.clone().filter(|r| r.distortions.contains(&d));
            (d, named.count() as u32)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    // Stable sort: equal counts keep Burns' order from ALL.
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    counts
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::Distortion::*;
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn record(
        date: &str,
        emotions: &[(&str, u8, Option<u8>)],
        distortions: &[Distortion],
        belief: (Option<u8>, Option<u8>),
    ) -> ThoughtRecord {
        ThoughtRecord {
            local_date: day(date),
            automatic_thought: "They think I'm useless".into(),
            emotions: emotions
                .iter()
                .map(|(name, before, after)| Emotion {
                    name: name.to_string(),
                    before: *before,
                    after: *after,
                })
                .collect(),
            distortions: distortions.iter().copied().collect(),
            belief_before: belief.0,
            belief_after: belief.1,
            ..Default::default()
        }
    }

    /// Four records in May 2026 and one in April.
    fn may() -> Vec<ThoughtRecord> {
        vec![
            // April: outside the window.
            record(
                "2026-04-30",
                &[("sad", 90, Some(10))],
                &[Labelling],
                (Some(100), Some(0)),
            ),
            // Anxious 80 → 50 (−30), ashamed 60 → 40 (−20); belief 90 → 60 (−30).
            record(
                "2026-05-02",
                &[("anxious", 80, Some(50)), ("ashamed", 60, Some(40))],
                &[JumpingToConclusions, Labelling],
                (Some(90), Some(60)),
            ),
            // Angry 70, not yet re-rated; belief before only.
            record(
                "2026-05-09",
                &[("angry", 70, None)],
                &[ShouldStatements, JumpingToConclusions],
                (Some(80), None),
            ),
            // Sad 50 → 60 (+10); belief 70 → 50 (−20).
            record(
                "2026-05-20",
                &[("sad", 50, Some(60))],
                &[Labelling, MentalFilter],
                (Some(70), Some(50)),
            ),
            // Lonely 90 → 30 (−60); belief 100 → 20 (−80).
            record(
                "2026-05-31",
                &[("lonely", 90, Some(30))],
                &[Personalisation],
                (Some(100), Some(20)),
            ),
        ]
    }

    #[test]
    fn statistics_cover_the_records_of_the_window() {
        let s = insight_stats(&may(), day("2026-05-01"), day("2026-05-31"));
        assert_eq!(s.records, 4);
        // Emotions re-rated: −30, −20, +10, −60 → −100 / 4 = −25.
        assert_eq!(s.mean_emotion_change, Some(-25.0));
        // Beliefs with both ratings: −30, −20, −80 → −130 / 3.
        let belief = s.mean_belief_change.expect("rated");
        assert!((belief - -130.0 / 3.0).abs() < 1e-12);
        // Labelling 2 (05-02, 05-20); jumping to conclusions 2 (05-02,
        // 05-09): a tie, so Burns' order: jumping (5th) before labelling
        // (9th). Then mental filter, should statements, personalisation,
        // each 1, in Burns' order.
        assert_eq!(
            s.distortions,
            [
                (JumpingToConclusions, 2),
                (Labelling, 2),
                (MentalFilter, 1),
                (ShouldStatements, 1),
                (Personalisation, 1),
            ]
        );
    }

    #[test]
    fn an_empty_window_has_no_means() {
        let s = insight_stats(&may(), day("2026-06-01"), day("2026-06-30"));
        assert_eq!(
            s,
            InsightStats {
                records: 0,
                mean_emotion_change: None,
                mean_belief_change: None,
                distortions: vec![],
            }
        );
    }

    #[test]
    fn a_list_of_emotions_is_short_and_names_each_once() {
        assert!(emotion_list_problems(&["anxious", "sad"]).is_empty());
        assert_eq!(
            emotion_list_problems(&["anxious", " Anxious ", "", "sad", "SAD"]),
            [
                (Some(1), "\"Anxious\" is named twice".to_owned()),
                (Some(4), "\"SAD\" is named twice".to_owned()),
            ]
        );
        let many: Vec<String> = (0..=MAX_EMOTIONS).map(|i| format!("e{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(emotion_list_problems(&many)[0].0, None);
        assert_eq!(emotion_name(" sad ").as_deref(), Ok("sad"));
        assert!(emotion_name(" ").is_err());
        assert!(emotion_name(&"x".repeat(MAX_EMOTION_NAME_CHARS + 1)).is_err());
    }
}
