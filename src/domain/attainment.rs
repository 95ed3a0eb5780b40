//! Goal attainment scaling (GAS): the scale written for a goal when it is
//! set, and the T-score over the goals' current ratings.
//!
//! Definitions (also in `attainment.proto`):
//! - A goal's attainment scale describes five levels of outcome in the
//!   client's own terms: −2 much less than expected, −1 less than expected,
//!   0 the expected outcome, +1 more and +2 much more than expected. Each
//!   description is 1 to [`MAX_DESCRIPTION_CHARS`] characters, and no two
//!   are the same (a rater must be able to tell the levels apart).
//! - The *weight* (importance of the goal) is a whole number from 1 to
//!   [`MAX_WEIGHT`]; 0 on input means the default, 1.
//! - The *baseline* is the level the client is at when the scale is
//!   written: −1, or −2 when no worse outcome is conceivable
//!   (Turner-Stokes, "Goal attainment scaling (GAS) in rehabilitation: a
//!   practical guide", Clin Rehabil 2009;23(4):362–370). It must be below the
//!   expected outcome: reaching 0 is what the goal is about.
//! - A rating records the level reached on a local date. A goal's *current
//!   rating* as of a day is its rating with the latest local date on or
//!   before that day (of several that day, the last recorded).
//! - The GAS T-score (Kiresuk & Sherman, "Goal attainment scaling: a general
//!   method for evaluating comprehensive community mental health programs",
//!   Community Ment Health J 1968;4(6):443–453), over the goals with a
//!   current rating, each with weight wᵢ and level xᵢ:
//!   T = 50 + 10·Σwᵢxᵢ / √((1 − ρ)·Σwᵢ² + ρ·(Σwᵢ)²), with ρ = 0.3, the
//!   correlation between goals that Kiresuk & Sherman assumed. 50 means
//!   goals were met as expected on average; the standard deviation is 10
//!   when levels are spread as the method intends. No goal rated: no score.
//!   A goal without a rating is left out (not counted at its baseline).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::encoding::Stored;
use crate::error::{FieldViolation, Violations};

/// The assumed correlation between goals' levels in the T-score (ρ).
pub const RHO: f64 = 0.3;
/// Highest weight of a goal.
pub const MAX_WEIGHT: u32 = 100;
/// Longest level description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// The outcome a goal reached, −2 to +2. The discriminants are the API's
/// enum numbers (0 there means "not set") and the bytes on disk, not the
/// levels: use [`AttainmentLevel::value`] for arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Stored)]
pub enum AttainmentLevel {
    /// −2: much less than expected.
    MuchLessThanExpected = 1,
    /// −1: less than expected.
    LessThanExpected = 2,
    /// 0: the expected outcome.
    #[default]
    Expected = 3,
    /// +1: more than expected.
    MoreThanExpected = 4,
    /// +2: much more than expected.
    MuchMoreThanExpected = 5,
}

impl AttainmentLevel {
    /// Every level, from −2 to +2.
    pub const ALL: [Self; 5] = [
        Self::MuchLessThanExpected,
        Self::LessThanExpected,
        Self::Expected,
        Self::MoreThanExpected,
        Self::MuchMoreThanExpected,
    ];

    /// The level's value, −2 to +2.
    pub fn value(self) -> i8 {
        match self {
            Self::MuchLessThanExpected => -2,
            Self::LessThanExpected => -1,
            Self::Expected => 0,
            Self::MoreThanExpected => 1,
            Self::MuchMoreThanExpected => 2,
        }
    }

    /// The level with value −2 to +2.
    pub fn from_value(value: i32) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|l| i32::from(l.value()) == value)
            .ok_or_else(|| format!("must be a level from -2 to +2, got {value}"))
    }

    fn index(self) -> usize {
        (self.value() + 2) as usize
    }
}

impl TryFrom<i32> for AttainmentLevel {
    type Error = String;

    /// The level with this API number (1 for −2 ... 5 for +2); 0
    /// (unspecified) and unknown numbers are refused.
    fn try_from(number: i32) -> Result<Self, String> {
        match number {
            0 => Err("must be specified".into()),
            _ => Self::ALL
                .into_iter()
                .find(|l| *l as i32 == number)
                .ok_or_else(|| format!("unknown value {number}")),
        }
    }
}

impl fmt::Display for AttainmentLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:+}", self.value())
    }
}

/// A goal's attainment scale, checked.
#[derive(Clone, Debug, PartialEq, Eq, Stored)]
pub struct AttainmentScale {
    /// Descriptions of the levels −2 to +2, in that order.
    descriptions: [String; 5],
    /// Importance of the goal, 1 to [`MAX_WEIGHT`].
    weight: u32,
    /// The level at goal setting: −2 or −1.
    baseline: AttainmentLevel,
}

impl AttainmentScale {
    /// A scale as stored: checked when it was written, so not checked
    /// again (`descriptions` of the levels −2 to +2, in that order).
    pub fn restore(descriptions: [String; 5], weight: u32, baseline: AttainmentLevel) -> Self {
        Self {
            descriptions,
            weight,
            baseline,
        }
    }

    /// The descriptions of the levels −2 to +2, in that order.
    pub fn descriptions(&self) -> &[String; 5] {
        &self.descriptions
    }

    /// The description of a level.
    pub fn description(&self, level: AttainmentLevel) -> &str {
        &self.descriptions[level.index()]
    }

    /// The goal's weight.
    pub fn weight(&self) -> u32 {
        self.weight
    }

    /// The level at goal setting.
    pub fn baseline(&self) -> AttainmentLevel {
        self.baseline
    }
}

/// An attainment scale as written, before it is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttainmentScaleDraft {
    /// −2: much less than expected.
    pub much_less_than_expected: String,
    /// −1: less than expected.
    pub less_than_expected: String,
    /// 0: the expected outcome.
    pub expected: String,
    /// +1: more than expected.
    pub more_than_expected: String,
    /// +2: much more than expected.
    pub much_more_than_expected: String,
    /// Weight; 0 means 1.
    pub weight: u32,
    /// Level at goal setting; required.
    pub baseline_level: Option<AttainmentLevel>,
}

impl AttainmentScaleDraft {
    /// Checks the scale against the rules in the module doc. Paths are the
    /// draft's field names (`expected`, `weight`, `baseline_level`).
    pub fn check(self) -> Result<AttainmentScale, Vec<FieldViolation>> {
        let mut v = Violations::new();
        let fields = [
            ("much_less_than_expected", self.much_less_than_expected),
            ("less_than_expected", self.less_than_expected),
            ("expected", self.expected),
            ("more_than_expected", self.more_than_expected),
            ("much_more_than_expected", self.much_more_than_expected),
        ];
        let mut descriptions: [String; 5] = Default::default();
        for (i, (field, text)) in fields.iter().enumerate() {
            let Some(text) = v.ok(*field, super::fields::text(text, 1, MAX_DESCRIPTION_CHARS))
            else {
                continue;
            };
            let same = descriptions[..i]
                .iter()
                .position(|d| !d.is_empty() && d.to_lowercase() == text.to_lowercase());
            match same {
                Some(j) => v.add(
                    *field,
                    format!(
                        "must differ from {}, so the levels can be told apart",
                        fields[j].0
                    ),
                ),
                None => descriptions[i] = text,
            }
        }
        let weight = match self.weight {
            0 => 1,
            w if w <= MAX_WEIGHT => w,
            w => {
                v.add(
                    "weight",
                    format!("must be between 1 and {MAX_WEIGHT} (0 means 1), got {w}"),
                );
                1
            }
        };
        let baseline = match self.baseline_level {
            None => {
                v.add("baseline_level", "is required");
                AttainmentLevel::LessThanExpected
            }
            Some(b) if b < AttainmentLevel::Expected => b,
            Some(b) => {
                v.add(
                    "baseline_level",
                    format!("must be -2 or -1, below the expected outcome, got {b}"),
                );
                b
            }
        };
        v.finish_with(|| AttainmentScale {
            descriptions,
            weight,
            baseline,
        })
    }
}

/// The GAS T-score over (weight, level) pairs of the rated goals (see the
/// module doc); `None` when no goal is rated or every weight is 0.
pub fn t_score(rated: &[(u32, AttainmentLevel)]) -> Option<f64> {
    let (mut weighted, mut squares, mut sum) = (0.0, 0.0, 0.0);
    for &(weight, level) in rated {
        let w = f64::from(weight);
        weighted += w * f64::from(level.value());
        squares += w * w;
        sum += w;
    }
    let denominator = ((1.0 - RHO) * squares + RHO * sum * sum).sqrt();
    (denominator > 0.0).then(|| 50.0 + 10.0 * weighted / denominator)
}

/// Each goal's current level as of `as_of`, from ratings (goal, local date,
/// level) in the order they were recorded: the latest local date on or
/// before `as_of` wins, and of several on that date the last recorded.
pub fn current_levels<K: Ord + Clone>(
    ratings: &[(K, NaiveDate, AttainmentLevel)],
    as_of: NaiveDate,
) -> BTreeMap<K, AttainmentLevel> {
    let mut current: BTreeMap<K, (NaiveDate, AttainmentLevel)> = BTreeMap::new();
    for (goal, date, level) in ratings.iter().filter(|(_, d, _)| *d <= as_of) {
        let newer = current.get(goal).is_none_or(|(seen, _)| date >= seen);
        if newer {
            current.insert(goal.clone(), (*date, *level));
        }
    }
    current.into_iter().map(|(k, (_, l))| (k, l)).collect()
}

#[cfg(test)]
mod tests {
    use super::AttainmentLevel::*;
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn one_goal_scores_fifty_plus_ten_per_level_whatever_its_weight() {
        // One goal: √((1−ρ)·w² + ρ·w²) = w, so T = 50 + 10·w·x / w = 50 + 10x.
        assert!(close(t_score(&[(1, Expected)]), 50.0));
        assert!(close(t_score(&[(1, MoreThanExpected)]), 60.0));
        assert!(close(t_score(&[(7, MuchLessThanExpected)]), 30.0));
        assert!(close(t_score(&[(3, MuchMoreThanExpected)]), 70.0));
    }

    #[test]
    fn two_goals_one_above_expected_each() {
        // w = (1, 1), x = (+1, +1): Σwx = 2, Σw² = 2, (Σw)² = 4;
        // √(0.7·2 + 0.3·4) = √2.6 = 1.6124515; T = 50 + 20 / 1.6124515 = 62.403473.
        let t = t_score(&[(1, MoreThanExpected), (1, MoreThanExpected)]);
        assert!(close(t, 50.0 + 20.0 / 2.6_f64.sqrt()));
        assert!((t.expect("rated") - 62.403473).abs() < 1e-6);
    }

    #[test]
    fn weighted_goals() {
        // w = (2, 1, 3), x = (+1, −1, +2): Σwx = 2 − 1 + 6 = 7; Σw² = 4 + 1 + 9
        // = 14; (Σw)² = 36; √(0.7·14 + 0.3·36) = √(9.8 + 10.8) = √20.6 =
        // 4.5387223; T = 50 + 70 / 4.5387223 = 65.422843.
        let t = t_score(&[
            (2, MoreThanExpected),
            (1, LessThanExpected),
            (3, MuchMoreThanExpected),
        ]);
        assert!((t.expect("rated") - 65.422843).abs() < 1e-6);
        // w = (3, 1), x = (−2, +1): Σwx = −6 + 1 = −5; Σw² = 10; (Σw)² = 16;
        // √(7 + 4.8) = √11.8 = 3.4351128; T = 50 − 50 / 3.4351128 = 35.444437.
        let t = t_score(&[(3, MuchLessThanExpected), (1, MoreThanExpected)]);
        assert!((t.expect("rated") - 35.444437).abs() < 1e-6);
    }

    #[test]
    fn goals_at_baseline_or_at_best() {
        // Five goals, all at −1: Σwx = −5, Σw² = 5, (Σw)² = 25;
        // √(3.5 + 7.5) = √11 = 3.3166248; T = 50 − 50 / 3.3166248 = 34.924433.
        let t = t_score(&[(1, LessThanExpected); 5]);
        assert!((t.expect("rated") - 34.924433).abs() < 1e-6);
        // Three goals, all at +2: Σwx = 6, Σw² = 3, (Σw)² = 9; √(2.1 + 2.7) =
        // √4.8 = 2.1908902; T = 50 + 60 / 2.1908902 = 77.386128.
        let t = t_score(&[(1, MuchMoreThanExpected); 3]);
        assert!((t.expect("rated") - 77.386128).abs() < 1e-6);
        // As far above 50 as below when mirrored: (+1, 0, −1) is 50.
        let t = t_score(&[(1, MoreThanExpected), (1, Expected), (1, LessThanExpected)]);
        assert!(close(t, 50.0));
    }

    #[test]
    fn no_rated_goal_has_no_score() {
        assert_eq!(t_score(&[]), None);
        assert_eq!(t_score(&[(0, Expected)]), None);
    }

    #[test]
    fn levels_are_minus_two_to_plus_two() {
        assert_eq!(AttainmentLevel::from_value(-2), Ok(MuchLessThanExpected));
        assert_eq!(AttainmentLevel::from_value(2), Ok(MuchMoreThanExpected));
        assert!(AttainmentLevel::from_value(3).is_err());
        assert!(AttainmentLevel::from_value(-3).is_err());
        assert_eq!(LessThanExpected.to_string(), "-1");
        assert_eq!(MoreThanExpected.to_string(), "+1");
        assert_eq!(Expected.to_string(), "+0");
        // The API numbers 1 to 5 stand for −2 to +2.
        assert_eq!(AttainmentLevel::try_from(1), Ok(MuchLessThanExpected));
        assert_eq!(AttainmentLevel::try_from(3), Ok(Expected));
        assert_eq!(AttainmentLevel::try_from(5), Ok(MuchMoreThanExpected));
        assert!(AttainmentLevel::try_from(0).is_err());
        assert!(AttainmentLevel::try_from(6).is_err());
    }

    fn draft() -> AttainmentScaleDraft {
        AttainmentScaleDraft {
            much_less_than_expected: "Stays in bed all weekend".into(),
            less_than_expected: "Gets up but stays home".into(),
            expected: "Walks to the park once a weekend".into(),
            more_than_expected: "Walks to the park both days".into(),
            much_more_than_expected: "Meets a friend at the park".into(),
            weight: 0,
            baseline_level: Some(LessThanExpected),
        }
    }

    #[test]
    fn a_scale_describes_every_level_and_defaults_its_weight_to_one() {
        let scale = draft().check().expect("valid");
        assert_eq!(scale.weight(), 1);
        assert_eq!(scale.baseline(), LessThanExpected);
        assert_eq!(
            scale.description(Expected),
            "Walks to the park once a weekend"
        );
        assert_eq!(
            scale.description(MuchMoreThanExpected),
            "Meets a friend at the park"
        );
        let heavy = AttainmentScaleDraft {
            weight: 100,
            ..draft()
        };
        assert_eq!(heavy.check().map(|s| s.weight()), Ok(100));
    }

    #[test]
    fn a_bad_scale_names_every_bad_field() {
        let bad = AttainmentScaleDraft {
            less_than_expected: " ".into(),
            more_than_expected: "walks to the park ONCE a weekend".into(),
            weight: 101,
            baseline_level: Some(Expected),
            ..draft()
        };
        let fields: Vec<(String, String)> = bad
            .check()
            .expect_err("invalid")
            .into_iter()
            .map(|v| (v.field, v.description))
            .collect();
        assert_eq!(
            fields,
            [
                ("less_than_expected".into(), "must not be empty".into()),
                (
                    "more_than_expected".into(),
                    "must differ from expected, so the levels can be told apart".into()
                ),
                (
                    "weight".into(),
                    "must be between 1 and 100 (0 means 1), got 101".into()
                ),
                (
                    "baseline_level".into(),
                    "must be -2 or -1, below the expected outcome, got +0".into()
                ),
            ]
        );
        let no_baseline = AttainmentScaleDraft {
            baseline_level: None,
            ..draft()
        };
        assert!(no_baseline.check().is_err());
        let lowest = AttainmentScaleDraft {
            baseline_level: Some(MuchLessThanExpected),
            ..draft()
        };
        assert!(lowest.check().is_ok());
    }

    #[test]
    fn the_current_level_is_the_latest_rating_up_to_the_day() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        // Goal "a": −1 on 05-01, then +1 and 0 both on 05-10 (0 recorded
        // last), then +2 on 05-20 (after the day asked about). Goal "b":
        // recorded out of date order: 0 on 05-09 after +1 on 05-03.
        let ratings = [
            ("a", d("2026-05-01"), LessThanExpected),
            ("b", d("2026-05-09"), Expected),
            ("a", d("2026-05-10"), MoreThanExpected),
            ("b", d("2026-05-03"), MoreThanExpected),
            ("a", d("2026-05-10"), Expected),
            ("a", d("2026-05-20"), MuchMoreThanExpected),
        ];
        let current = current_levels(&ratings, d("2026-05-15"));
        assert_eq!(current, BTreeMap::from([("a", Expected), ("b", Expected)]));
        // On 05-04: a's −1 of 05-01 and b's +1 of 05-03 (b's 0 is later).
        let early = current_levels(&ratings, d("2026-05-04"));
        assert_eq!(
            early,
            BTreeMap::from([("a", LessThanExpected), ("b", MoreThanExpected)])
        );
        // Before any rating: nothing.
        assert_eq!(current_levels(&ratings, d("2026-04-30")), BTreeMap::new());
    }
}
