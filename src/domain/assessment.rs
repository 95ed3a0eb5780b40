//! How an assessment result compares with the client's first result on the
//! same instrument, and which flags it raises.
//!
//! Definitions (also in `assessment.proto`), for instruments with
//! [`ChangeRules`] (PHQ-9 and GAD-7, where a higher total means more
//! symptoms):
//! - *Difference* = this total − the first total; negative is fewer symptoms.
//! - *Reliable change*: the difference is at least the instrument's
//!   reliable change threshold in size, so it is unlikely to be measurement
//!   error (the reliable change index of Jacobson & Truax, "Clinical
//!   significance: a statistical approach to defining meaningful change in
//!   psychotherapy research", J Consult Clin Psychol 1991;59(1):12–19).
//!   PHQ-9: 6 points; GAD-7: 4 points, the thresholds of the NHS Talking
//!   Therapies (formerly IAPT) manual and data handbook for "reliable
//!   improvement" and "reliable deterioration"; for the PHQ-9 see also
//!   McMillan, Gilbody & Richards, "Defining successful treatment outcome in
//!   depression using the PHQ-9: a comparison of methods", J Affect Disord
//!   2010;127(1–3):122–129. A decrease is *improvement*, an increase
//!   *deterioration*.
//! - *Response*: the total dropped by at least 50 % of the first total,
//!   `2 × (first − total) ≥ first` in whole numbers, so exactly half counts
//!   (the usual definition in depression trials; Kroenke et al. 2001 used it
//!   for the PHQ-9). Not applicable (`None`) when the first total is 0, as
//!   nothing can drop.
//! - *Remission*: the total is below 5 (PHQ-9: Kroenke et al. 2001, the
//!   "minimal" band; GAD-7: Spitzer et al. 2006, likewise). Not applicable
//!   (`None`) when the first total was already below 5: a client who never
//!   had more than minimal symptoms cannot remit.
//! - The first result itself has no change.
//!
//! Flags of a result, most severe first:
//! - [`ResultFlag::SelfHarmRisk`]: any answer above 0 on PHQ-9 item 9
//!   ("Thoughts that you would be better off dead or of hurting yourself in
//!   some way"). It is the most severe flag there is: a dashboard shows it
//!   first. Stepwise is not a crisis service; the flag only makes the answer
//!   visible to the linked therapists at once.
//! - [`ResultFlag::ReliableDeterioration`]: reliable change for the worse
//!   against the first result.
//!
//! Custom instruments have no change rules: only the difference is
//! reported (reliable change, response and remission are `None`), and they
//! raise no flags. Their thresholds would need a study of the instrument.

use super::instruments::{ChangeRules, Instrument};

/// Whether a difference is reliable, and which way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReliableChange {
    /// Smaller than the reliable change threshold: within measurement error.
    NoReliableChange,
    /// Fewer symptoms by at least the threshold.
    Improvement,
    /// More symptoms by at least the threshold.
    Deterioration,
}

/// A result compared with the client's first result on the same instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultChange {
    /// The first result's total.
    pub first_total: u32,
    /// This total − the first total.
    pub difference: i64,
    /// Reliable change; `None` without change rules.
    pub reliable_change: Option<ReliableChange>,
    /// At least a 50 % drop; `None` without change rules or when the first
    /// total was 0.
    pub response: Option<bool>,
    /// Total below the remission threshold; `None` without change rules or
    /// when the first total was already below it.
    pub remission: Option<bool>,
}

/// Compares `total` with `first_total` under the instrument's change rules.
pub fn change(instrument: &Instrument, first_total: u32, total: u32) -> ResultChange {
    let difference = i64::from(total) - i64::from(first_total);
    let Some(ChangeRules {
        reliable_change,
        remission_below,
    }) = instrument.change_rules
    else {
        return ResultChange {
            first_total,
            difference,
            reliable_change: None,
            response: None,
            remission: None,
        };
    };
    let reliable = if difference.unsigned_abs() < u64::from(reliable_change) {
        ReliableChange::NoReliableChange
    } else if difference < 0 {
        ReliableChange::Improvement
    } else {
        ReliableChange::Deterioration
    };
    // 2·(first − total) ≥ first, in integers so exactly 50 % is a response.
    let response = (first_total > 0).then(|| -2 * difference >= i64::from(first_total));
    let remission = (first_total >= remission_below).then_some(total < remission_below);
    ResultChange {
        first_total,
        difference,
        reliable_change: Some(reliable),
        response,
        remission,
    }
}

/// Why a result needs a therapist's attention. Declared most severe first,
/// so sorting puts the most severe flag first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResultFlag {
    /// An answer above 0 on PHQ-9 item 9 (thoughts of self-harm).
    SelfHarmRisk,
    /// Reliably worse than the first result.
    ReliableDeterioration,
}

/// The flags of a result with checked `answers`, compared with the first
/// result by `change` (`None` for the first result), most severe first.
pub fn flags(
    instrument: &Instrument,
    answers: &[u8],
    change: Option<&ResultChange>,
) -> Vec<ResultFlag> {
    let mut flags = Vec::new();
    if instrument.signals_self_harm(answers) {
        flags.push(ResultFlag::SelfHarmRisk);
    }
    if change.and_then(|c| c.reliable_change) == Some(ReliableChange::Deterioration) {
        flags.push(ResultFlag::ReliableDeterioration);
    }
    flags
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::instruments::{BandDraft, CustomInstrumentDraft, GAD7, ItemDraft, PHQ9};

    #[test]
    fn phq9_needs_six_points_for_reliable_change() {
        // 18 → 12: −6, reliably better; 2·6 = 12 < 18, no response; 12 ≥ 5.
        assert_eq!(
            change(&PHQ9, 18, 12),
            ResultChange {
                first_total: 18,
                difference: -6,
                reliable_change: Some(ReliableChange::Improvement),
                response: Some(false),
                remission: Some(false),
            }
        );
        // 18 → 13: −5, within measurement error.
        assert_eq!(
            change(&PHQ9, 18, 13).reliable_change,
            Some(ReliableChange::NoReliableChange)
        );
        // 10 → 15: +5, not yet; 10 → 16: +6, reliably worse.
        assert_eq!(
            change(&PHQ9, 10, 15).reliable_change,
            Some(ReliableChange::NoReliableChange)
        );
        assert_eq!(
            change(&PHQ9, 10, 16).reliable_change,
            Some(ReliableChange::Deterioration)
        );
    }

    #[test]
    fn gad7_needs_four_points_for_reliable_change() {
        // 12 → 8: −4, reliably better; 2·4 = 8 < 12, no response.
        let c = change(&GAD7, 12, 8);
        assert_eq!(
            (c.difference, c.reliable_change, c.response),
            (-4, Some(ReliableChange::Improvement), Some(false))
        );
        // 12 → 15: +3, not reliable; 12 → 16: +4, reliably worse.
        assert_eq!(
            change(&GAD7, 12, 15).reliable_change,
            Some(ReliableChange::NoReliableChange)
        );
        assert_eq!(
            change(&GAD7, 12, 16).reliable_change,
            Some(ReliableChange::Deterioration)
        );
    }

    #[test]
    fn response_is_a_drop_of_half_or_more() {
        // 18 → 9: 2·9 = 18 ≥ 18, exactly half: a response.
        assert_eq!(change(&PHQ9, 18, 9).response, Some(true));
        // 19 → 10: 2·9 = 18 < 19: not quite half.
        assert_eq!(change(&PHQ9, 19, 10).response, Some(false));
        // 7 → 3: 2·4 = 8 ≥ 7.
        assert_eq!(change(&GAD7, 7, 3).response, Some(true));
        // From 0 nothing can drop.
        assert_eq!(change(&PHQ9, 0, 0).response, None);
        // A rise is never a response.
        assert_eq!(change(&PHQ9, 6, 8).response, Some(false));
    }

    #[test]
    fn remission_is_a_total_below_five_after_starting_at_five_or_more() {
        // 18 → 4: in remission (and a response, 2·14 = 28 ≥ 18).
        let c = change(&PHQ9, 18, 4);
        assert_eq!((c.remission, c.response), (Some(true), Some(true)));
        // 5 → 4: the smallest step into remission.
        assert_eq!(change(&GAD7, 5, 4).remission, Some(true));
        // 9 → 5: not below 5.
        assert_eq!(change(&GAD7, 9, 5).remission, Some(false));
        // 3 → 2: never out of the minimal range, so not applicable.
        assert_eq!(change(&PHQ9, 3, 2).remission, None);
    }

    fn custom() -> Instrument {
        CustomInstrumentDraft {
            short_name: "MOOD".into(),
            title: "Mood".into(),
            instructions: String::new(),
            items: vec![ItemDraft {
                text: "How low did you feel?".into(),
                min_value: 0,
                max_value: 10,
                labels: vec![(0, "Not at all".into()), (10, "Very".into())],
            }],
            bands: vec![BandDraft {
                min_score: 0,
                max_score: 10,
                label: "Any".into(),
            }],
        }
        .check(Uuid::now_v7())
        .expect("valid")
    }

    #[test]
    fn custom_instruments_report_only_the_difference() {
        let c = change(&custom(), 2, 10);
        assert_eq!(
            c,
            ResultChange {
                first_total: 2,
                difference: 8,
                reliable_change: None,
                response: None,
                remission: None,
            }
        );
        assert_eq!(flags(&custom(), &[10], Some(&c)), []);
    }

    #[test]
    fn flags_come_most_severe_first() {
        // 9 → 16 with item 9 answered "Several days": self-harm risk, and
        // +7 ≥ 6 is reliable deterioration.
        let answers = [2, 2, 2, 2, 2, 2, 2, 1, 1];
        let scored = PHQ9.check_answers(&answers.map(i32::from)).expect("valid");
        assert_eq!(scored.total, 16);
        let c = change(&PHQ9, 9, scored.total);
        assert_eq!(
            flags(&PHQ9, &scored.answers, Some(&c)),
            [ResultFlag::SelfHarmRisk, ResultFlag::ReliableDeterioration]
        );
        // The first result has no change, so only the self-harm item counts.
        assert_eq!(
            flags(&PHQ9, &scored.answers, None),
            [ResultFlag::SelfHarmRisk]
        );
        // Improvement raises nothing.
        let better = change(&GAD7, 15, 5);
        assert_eq!(flags(&GAD7, &[1, 1, 1, 1, 1, 0, 0], Some(&better)), []);
        assert!(ResultFlag::SelfHarmRisk < ResultFlag::ReliableDeterioration);
    }
}
