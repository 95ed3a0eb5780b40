//! Thought records (cognitive restructuring, as in CBT): the cognitive
//! distortions, the checked content of a record, and insight statistics.
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
//!   balanced thought) are 0 to [`MAX_TEXT_CHARS`] characters each.
//! - A *private* record is the client's alone: it is never shown to a
//!   therapist, not even counted in their statistics ([`Audience`]).
//! - Insight statistics over a window of local dates (both ends included):
//!   the number of records; the mean emotion change = mean of (after −
//!   before) over every emotion re-rated, pooled across records (negative:
//!   emotions eased); the mean belief change = mean of (after − before) over
//!   the records with both belief ratings; and each distortion with the
//!   number of records naming it, most frequent first, ties in Burns' order
//!   (the order of [`Distortion::ALL`]), distortions never named left out.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::violation::{self, Violation, Violations};

/// Most emotions per record.
pub const MAX_EMOTIONS: usize = 10;
/// Longest emotion name, in characters.
pub const MAX_EMOTION_NAME_CHARS: usize = 50;
/// Longest text field, in characters (as notes).
pub const MAX_TEXT_CHARS: usize = 4000;

/// One of Burns' ten cognitive distortions. Numbers match the API's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Distortion {
    /// Seeing things in black and white.
    AllOrNothingThinking = 1,
    /// One negative event seen as a never-ending pattern.
    Overgeneralisation = 2,
    /// Dwelling on a single negative detail.
    MentalFilter = 3,
    /// Positive experiences "don't count".
    DisqualifyingThePositive = 4,
    /// Mind reading and fortune telling without evidence.
    JumpingToConclusions = 5,
    /// Blowing things up or shrinking them inappropriately.
    MagnificationOrMinimisation = 6,
    /// "I feel it, so it must be true."
    EmotionalReasoning = 7,
    /// "Should", "must", "ought to" aimed at oneself or others.
    ShouldStatements = 8,
    /// "I'm a loser" instead of "I made a mistake".
    Labelling = 9,
    /// Blaming oneself for what one was not responsible for.
    Personalisation = 10,
}

impl Distortion {
    /// All ten, in Burns' order (which breaks ties in the statistics).
    pub const ALL: [Self; 10] = [
        Self::AllOrNothingThinking,
        Self::Overgeneralisation,
        Self::MentalFilter,
        Self::DisqualifyingThePositive,
        Self::JumpingToConclusions,
        Self::MagnificationOrMinimisation,
        Self::EmotionalReasoning,
        Self::ShouldStatements,
        Self::Labelling,
        Self::Personalisation,
    ];
}

impl TryFrom<i32> for Distortion {
    type Error = String;

    /// The distortion with this API number; 0 (unspecified) and unknown
    /// numbers are refused.
    fn try_from(value: i32) -> Result<Self, String> {
        match value {
            0 => Err("must be specified".into()),
            _ => Self::ALL
                .into_iter()
                .find(|d| *d as i32 == value)
                .ok_or_else(|| format!("unknown value {value}")),
        }
    }
}

/// An emotion felt in the situation, rated 0 to 100.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emotion {
    /// The client's word for it, e.g. "anxious".
    pub name: String,
    /// Intensity before the balanced thought.
    pub before: u8,
    /// Intensity after it, once re-rated.
    pub after: Option<u8>,
}

impl Emotion {
    /// Checks an emotion: a name and intensities from 0 to 100. Paths are
    /// `name`, `intensity_before`, `intensity_after`.
    pub fn new(name: &str, before: i32, after: Option<i32>) -> Result<Self, Vec<Violation>> {
        let mut v = Violations::new();
        let name = v.check("name", violation::text(name, 1, MAX_EMOTION_NAME_CHARS));
        let before = v.check("intensity_before", violation::percent(before));
        let after = after.map(|a| v.check("intensity_after", violation::percent(a)));
        v.finish(|| Self {
            name: name.unwrap_or_default(),
            before: before.unwrap_or_default(),
            after: after.flatten(),
        })
    }
}

/// A thought record as written, before it is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThoughtRecordDraft {
    /// What happened: where, when, who.
    pub situation: String,
    /// The thought that went through the client's mind.
    pub automatic_thought: String,
    /// Emotions as (name, intensity before, intensity after).
    pub emotions: Vec<(String, i32, Option<i32>)>,
    /// Distortions by API number, in any order; repeats are merged.
    pub distortions: Vec<i32>,
    /// Facts that support the thought.
    pub evidence_for: String,
    /// Facts that do not.
    pub evidence_against: String,
    /// A more balanced way to see it.
    pub balanced_thought: String,
    /// Belief in the automatic thought before, 0 to 100.
    pub belief_before: Option<i32>,
    /// Belief after writing the balanced thought, 0 to 100.
    pub belief_after: Option<i32>,
    /// Hidden from therapists entirely.
    pub private: bool,
}

/// The checked content of a thought record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThoughtRecordContent {
    /// What happened.
    pub situation: String,
    /// The automatic thought.
    pub automatic_thought: String,
    /// The emotions, in the client's order.
    pub emotions: Vec<Emotion>,
    /// The distortions identified.
    pub distortions: BTreeSet<Distortion>,
    /// Evidence for the thought.
    pub evidence_for: String,
    /// Evidence against it.
    pub evidence_against: String,
    /// The balanced thought.
    pub balanced_thought: String,
    /// Belief before, 0 to 100.
    pub belief_before: Option<u8>,
    /// Belief after, 0 to 100.
    pub belief_after: Option<u8>,
    /// Hidden from therapists entirely.
    pub private: bool,
}

impl ThoughtRecordDraft {
    /// Checks the draft against the rules in the module doc; paths are the
    /// draft's field names, with `emotions[i].name` and `distortions[i]`.
    pub fn check(self) -> Result<ThoughtRecordContent, Vec<Violation>> {
        let mut v = Violations::new();
        let mut text = |field: &str, value: &str| {
            v.check(field, violation::text(value, 0, MAX_TEXT_CHARS))
                .unwrap_or_default()
        };
        let situation = text("situation", &self.situation);
        let automatic_thought = text("automatic_thought", &self.automatic_thought);
        let evidence_for = text("evidence_for", &self.evidence_for);
        let evidence_against = text("evidence_against", &self.evidence_against);
        let balanced_thought = text("balanced_thought", &self.balanced_thought);
        if self.emotions.len() > MAX_EMOTIONS {
            v.push(Violation::new(
                "emotions",
                format!(
                    "must have at most {MAX_EMOTIONS} emotions, got {}",
                    self.emotions.len()
                ),
            ));
        }
        let mut emotions: Vec<Emotion> = Vec::with_capacity(self.emotions.len());
        // Names seen so far, also of emotions with other faults, so a
        // repeated name is reported whatever else is wrong.
        let mut names: Vec<String> = Vec::with_capacity(self.emotions.len());
        for (i, (name, before, after)) in self.emotions.iter().enumerate() {
            let path = format!("emotions[{i}]");
            let key = name.trim().to_lowercase();
            if !key.is_empty() && names.contains(&key) {
                v.push(Violation::new(
                    format!("{path}.name"),
                    format!("{:?} is named twice", name.trim()),
                ));
                continue;
            }
            names.push(key);
            match Emotion::new(name, *before, *after) {
                Err(nested) => v.extend_under(&path, nested),
                Ok(e) => emotions.push(e),
            }
        }
        let mut distortions = BTreeSet::new();
        for (i, value) in self.distortions.iter().enumerate() {
            if let Some(d) = v.check(format!("distortions[{i}]"), Distortion::try_from(*value)) {
                distortions.insert(d);
            }
        }
        let belief_before = self
            .belief_before
            .and_then(|b| v.check("belief_before", violation::percent(b)));
        let belief_after = self
            .belief_after
            .and_then(|b| v.check("belief_after", violation::percent(b)));
        v.finish(|| ThoughtRecordContent {
            situation,
            automatic_thought,
            emotions,
            distortions,
            evidence_for,
            evidence_against,
            balanced_thought,
            belief_before,
            belief_after,
            private: self.private,
        })
    }
}

/// Who the statistics are for: a therapist never sees private records, not
/// even as a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The client who owns the records: all of them count.
    Client,
    /// A linked therapist: private records are left out.
    Therapist,
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

/// The statistics of the records (local date, content) dated from `from` to
/// `to`, both included, as `audience` may see them.
pub fn insight_stats(
    records: &[(NaiveDate, ThoughtRecordContent)],
    from: NaiveDate,
    to: NaiveDate,
    audience: Audience,
) -> InsightStats {
    let visible: Vec<&ThoughtRecordContent> = records
        .iter()
        .filter(|(date, r)| {
            (from..=to).contains(date) && !(r.private && audience == Audience::Therapist)
        })
        .map(|(_, r)| r)
        .collect();
    let emotion_changes: Vec<f64> = visible
        .iter()
        .flat_map(|r| &r.emotions)
        .filter_map(|e| e.after.map(|a| f64::from(a) - f64::from(e.before)))
        .collect();
    let belief_changes: Vec<f64> = visible
        .iter()
        .filter_map(|r| Some(f64::from(r.belief_after?) - f64::from(r.belief_before?)))
        .collect();
    let mut distortions: Vec<(Distortion, u32)> = Distortion::ALL
        .into_iter()
        .map(|d| {
            (
                d,
                visible
                    .iter()
                    .filter(|r| r.distortions.contains(&d))
                    .count() as u32,
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    // Stable sort: equal counts keep Burns' order from ALL.
    distortions.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    InsightStats {
        records: visible.len() as u32,
        mean_emotion_change: mean(&emotion_changes),
        mean_belief_change: mean(&belief_changes),
        distortions,
    }
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
        emotions: &[(&str, i32, Option<i32>)],
        distortions: &[Distortion],
        belief: (Option<i32>, Option<i32>),
        private: bool,
    ) -> ThoughtRecordContent {
        ThoughtRecordDraft {
            automatic_thought: "They think I'm useless".into(),
            emotions: emotions
                .iter()
                .map(|(n, b, a)| (n.to_string(), *b, *a))
                .collect(),
            distortions: distortions.iter().map(|d| *d as i32).collect(),
            belief_before: belief.0,
            belief_after: belief.1,
            private,
            ..Default::default()
        }
        .check()
        .expect("valid")
    }

    /// Four records in May 2026 and one in April.
    fn may() -> Vec<(NaiveDate, ThoughtRecordContent)> {
        vec![
            // April: outside the window.
            (
                day("2026-04-30"),
                record(
                    &[("sad", 90, Some(10))],
                    &[Labelling],
                    (Some(100), Some(0)),
                    false,
                ),
            ),
            // Anxious 80 → 50 (−30), ashamed 60 → 40 (−20); belief 90 → 60 (−30).
            (
                day("2026-05-02"),
                record(
                    &[("anxious", 80, Some(50)), ("ashamed", 60, Some(40))],
                    &[JumpingToConclusions, Labelling],
                    (Some(90), Some(60)),
                    false,
                ),
            ),
            // Angry 70, not yet re-rated; belief before only.
            (
                day("2026-05-09"),
                record(
                    &[("angry", 70, None)],
                    &[ShouldStatements, JumpingToConclusions],
                    (Some(80), None),
                    false,
                ),
            ),
            // Sad 50 → 60 (+10); belief 70 → 50 (−20).
            (
                day("2026-05-20"),
                record(
                    &[("sad", 50, Some(60))],
                    &[Labelling, MentalFilter],
                    (Some(70), Some(50)),
                    false,
                ),
            ),
            // Private: lonely 90 → 30 (−60); belief 100 → 20 (−80).
            (
                day("2026-05-31"),
                record(
                    &[("lonely", 90, Some(30))],
                    &[Personalisation],
                    (Some(100), Some(20)),
                    true,
                ),
            ),
        ]
    }

    #[test]
    fn the_client_sees_every_record_of_the_window() {
        let s = insight_stats(
            &may(),
            day("2026-05-01"),
            day("2026-05-31"),
            Audience::Client,
        );
        assert_eq!(s.records, 4);
        // Emotions re-rated: −30, −20, +10, −60 → −100 / 4 = −25.
        assert_eq!(s.mean_emotion_change, Some(-25.0));
        // Beliefs with both ratings: −30, −20, −80 → −130 / 3.
        let belief = s.mean_belief_change.expect("rated");
        assert!((belief - -130.0 / 3.0).abs() < 1e-12);
        // Labelling 2 (05-02, 05-20); jumping to conclusions 2 (05-02,
        // 05-09): a tie, so Burns' order: jumping (5) before labelling (9).
        // Then mental filter (3), should statements (8), personalisation
        // (10), each 1, in Burns' order.
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
    fn a_therapist_never_sees_private_records_even_as_numbers() {
        let s = insight_stats(
            &may(),
            day("2026-05-01"),
            day("2026-05-31"),
            Audience::Therapist,
        );
        assert_eq!(s.records, 3);
        // −30, −20, +10 → −40 / 3.
        let emotion = s.mean_emotion_change.expect("rated");
        assert!((emotion - -40.0 / 3.0).abs() < 1e-12);
        // −30, −20 → −25.
        assert_eq!(s.mean_belief_change, Some(-25.0));
        assert!(!s.distortions.iter().any(|(d, _)| *d == Personalisation));
    }

    #[test]
    fn an_empty_window_has_no_means() {
        let s = insight_stats(
            &may(),
            day("2026-06-01"),
            day("2026-06-30"),
            Audience::Client,
        );
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
    fn distortions_use_the_api_numbers_and_repeat_only_once() {
        assert_eq!(Distortion::try_from(1), Ok(AllOrNothingThinking));
        assert_eq!(Distortion::try_from(10), Ok(Personalisation));
        assert!(Distortion::try_from(0).is_err());
        assert!(Distortion::try_from(11).is_err());
        let r = record(
            &[],
            &[Labelling, MentalFilter, Labelling],
            (None, None),
            false,
        );
        assert_eq!(r.distortions, BTreeSet::from([MentalFilter, Labelling]));
    }

    #[test]
    fn a_bad_record_names_every_bad_field() {
        let draft = ThoughtRecordDraft {
            situation: "x".repeat(MAX_TEXT_CHARS + 1),
            emotions: vec![
                ("anxious".into(), 80, Some(101)),
                ("Anxious".into(), 50, None),
                ("".into(), -1, None),
            ],
            distortions: vec![3, 0, 42],
            belief_before: Some(120),
            belief_after: Some(50),
            ..Default::default()
        };
        let fields: Vec<String> = draft
            .check()
            .expect_err("invalid")
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            [
                "situation",
                "emotions[0].intensity_after",
                "emotions[1].name",
                "emotions[2].name",
                "emotions[2].intensity_before",
                "distortions[1]",
                "distortions[2]",
                "belief_before",
            ]
        );
        let many = ThoughtRecordDraft {
            emotions: (0..=MAX_EMOTIONS)
                .map(|i| (format!("e{i}"), 50, None))
                .collect(),
            ..Default::default()
        };
        assert_eq!(many.check().expect_err("too many")[0].field, "emotions");
    }
}
