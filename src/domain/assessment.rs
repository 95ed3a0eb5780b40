//! How an assessment result compares with the client's first result on the
//! same instrument, and which flags it raises; and, from a client's
//! aggregate ([`ClientTrack`]), their results in order, what is due, and
//! where they stand on each instrument.
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
//!   (the usual definition of treatment response; for the PHQ-9, Kroenke &
//!   Spitzer, "The PHQ-9: a new depression diagnostic and severity
//!   measure", Psychiatric Annals 2002;32(9):509–515). Not applicable
//!   (`None`) when the first total is 0, as nothing can drop.
//! - *Remission*: the total is below 5 (PHQ-9: Kroenke & Spitzer 2002; the
//!   GAD-7 takes the same cut-off, the end of its "minimal" band, Spitzer
//!   et al. 2006). Not applicable (`None`) when the first total was already
//!   below 5: a client who never had more than minimal symptoms cannot
//!   remit.
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

use chrono::NaiveDate;
use uuid::Uuid;

use super::instruments::{self, ChangeRules, Instrument};
use super::{AssessmentResult, ClientTrack, Meta, TrackedResult};
use crate::error::{Error, FieldViolation, Result};

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
    change_under(instrument.change_rules, first_total, total)
}

/// The change rules of the instrument with this id: only built-in
/// instruments have them.
pub fn change_rules(instrument_id: Uuid) -> Option<ChangeRules> {
    instruments::built_in(instrument_id).and_then(|i| i.change_rules)
}

/// Compares `total` with `first_total` under `rules` (none: only the
/// difference).
pub fn change_under(rules: Option<ChangeRules>, first_total: u32, total: u32) -> ResultChange {
    let difference = i64::from(total) - i64::from(first_total);
    let Some(ChangeRules {
        reliable_change,
        remission_below,
    }) = rules
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
    raised(instrument.signals_self_harm(answers), change)
}

/// The flags of a result that does or does not signal a risk of self-harm,
/// with `change`, most severe first.
fn raised(self_harm: bool, change: Option<&ResultChange>) -> Vec<ResultFlag> {
    let mut flags = Vec::new();
    if self_harm {
        flags.push(ResultFlag::SelfHarmRisk);
    }
    if change.and_then(|c| c.reliable_change) == Some(ReliableChange::Deterioration) {
        flags.push(ResultFlag::ReliableDeterioration);
    }
    flags
}

/// A client's results on one instrument, oldest first: by local date, then
/// submission, then id (the order of `ListAssessmentResults`).
pub fn history(track: &ClientTrack, instrument_id: Uuid) -> Vec<(Uuid, TrackedResult)> {
    let mut results: Vec<(Uuid, TrackedResult)> = track
        .results
        .iter()
        .filter(|(_, r)| r.instrument_id == instrument_id)
        .map(|(id, r)| (*id, *r))
        .collect();
    results.sort_by_key(|(id, r)| (r.local_date, r.submitted_us, *id));
    results
}

/// An assignment waiting for a result on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// The assignment.
    pub assignment_id: Uuid,
    /// The due date waiting for a result.
    pub due_date: NaiveDate,
    /// Whether a due date more than two days old has no result.
    pub overdue: bool,
}

/// The client's assignments pending on `day` (see
/// [`super::assignments`]), by due date, then assignment id.
pub fn due(track: &ClientTrack, day: NaiveDate) -> Vec<Due> {
    let mut due: Vec<Due> = track
        .assignments
        .iter()
        .filter_map(|(id, assignment)| {
            let dates = result_dates(track, assignment.instrument_id);
            let due_date = assignment.schedule.pending(day, &dates)?;
            Some(Due {
                assignment_id: *id,
                due_date,
                overdue: assignment.schedule.overdue(day, &dates).is_some(),
            })
        })
        .collect();
    due.sort_by_key(|d| (d.due_date, d.assignment_id));
    due
}

/// The local dates of the client's results on an instrument.
fn result_dates(track: &ClientTrack, instrument_id: Uuid) -> Vec<NaiveDate> {
    track
        .results
        .values()
        .filter(|r| r.instrument_id == instrument_id)
        .map(|r| r.local_date)
        .collect()
}

/// Where a client stands on one instrument as of a day, for the
/// therapist's dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The instrument.
    pub instrument_id: Uuid,
    /// The client's first result on it, ever.
    pub first: Option<(Uuid, TrackedResult)>,
    /// The latest result dated on or before the day.
    pub latest: Option<(Uuid, TrackedResult)>,
    /// Whether an assignment of it is overdue on the day.
    pub overdue: bool,
}

/// The client's standing on each instrument that has an assignment in
/// force on `day` or a result dated on or before it, by instrument id.
pub fn standings(track: &ClientTrack, day: NaiveDate) -> Vec<Standing> {
    let mut instruments: Vec<Uuid> = track
        .assignments
        .values()
        .filter(|a| a.schedule.cancelled_on.is_none_or(|c| c > day))
        .map(|a| a.instrument_id)
        .chain(
            track
                .results
                .values()
                .filter(|r| r.local_date <= day)
                .map(|r| r.instrument_id),
        )
        .collect();
    instruments.sort_unstable();
    instruments.dedup();
    instruments
        .into_iter()
        .map(|instrument_id| {
            let history = history(track, instrument_id);
            let dates: Vec<NaiveDate> = history.iter().map(|(_, r)| r.local_date).collect();
            Standing {
                instrument_id,
                first: history.first().copied(),
                latest: history
                    .iter()
                    .rev()
                    .find(|(_, r)| r.local_date <= day)
                    .copied(),
                overdue: track.assignments.values().any(|a| {
                    a.instrument_id == instrument_id && a.schedule.overdue(day, &dates).is_some()
                }),
            }
        })
        .collect()
}

/// A result compared with the first result on its instrument: the first
/// result's id and the change (none for the first result itself), and the
/// flags, most severe first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessed {
    /// The first result's id, and the change against it.
    pub change: Option<(Uuid, ResultChange)>,
    /// What needs a therapist's attention.
    pub flags: Vec<ResultFlag>,
}

/// Assesses result `id` against the client's first result on the same
/// instrument (`first`: its id and total).
pub fn assess(
    instrument_id: Uuid,
    first: Option<(Uuid, u32)>,
    (id, result): (Uuid, &TrackedResult),
) -> Assessed {
    let change = first
        .filter(|(first_id, _)| *first_id != id)
        .map(|(first_id, first_total)| {
            let rules = change_rules(instrument_id);
            (first_id, change_under(rules, first_total, result.total))
        });
    let flags = raised(result.self_harm, change.as_ref().map(|(_, c)| c));
    Assessed { change, flags }
}

/// The flags a result raises by itself, without comparing it with others
/// (as a change feed carries it).
pub fn own_flags(result: &AssessmentResult) -> Vec<ResultFlag> {
    raised(result.signals_self_harm(), None)
}

/// Answers as a client submits them, before they are checked against the
/// instrument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultDraft {
    /// The result's id.
    pub id: Uuid,
    /// The instrument answered.
    pub instrument_id: Uuid,
    /// The version answered; 0 for the current one.
    pub instrument_version: i64,
    /// The day answered, in the client's time zone.
    pub local_date: NaiveDate,
    /// One answer per item, as sent.
    pub answers: Vec<i32>,
    /// What is wrong with the request's other fields (a malformed date),
    /// found before the instrument was read: reported together with what is
    /// wrong with the answers, so that the client learns of every bad field
    /// at once. A draft with any is never scored.
    pub violations: Vec<FieldViolation>,
}

impl ResultDraft {
    /// The result of `client` once every answer passed
    /// [`Instrument::check_answers`]: `INVALID_ARGUMENT` naming each bad
    /// answer (`result.answers[3]`) and the draft's other
    /// [`violations`](Self::violations), `INSTRUMENT_CHANGED` for answers
    /// to another version.
    pub fn score(self, instrument: &Instrument, client: Uuid) -> Result<AssessmentResult> {
        let current = instrument.version;
        let mut violations = self.violations;
        if self.instrument_version != 0 && self.instrument_version != i64::from(current) {
            // Answers to another version cannot be checked against this one.
            return Err(match violations.is_empty() {
                true => Error::InstrumentChanged {
                    answered: self.instrument_version,
                    current,
                },
                false => Error::InvalidFields(violations),
            });
        }
        let scored = match instrument.check_answers(&self.answers) {
            Ok(scored) if violations.is_empty() => scored,
            Ok(_) => return Err(Error::InvalidFields(violations)),
            Err(bad_answers) => {
                violations.extend(bad_answers.into_iter().map(|v| v.under("result")));
                return Err(Error::InvalidFields(violations));
            }
        };
        Ok(AssessmentResult {
            meta: Meta::new(self.id, client),
            instrument_id: self.instrument_id,
            instrument_version: current,
            local_date: self.local_date,
            severity: instrument.ranked_band(scored.total),
            answers: scored.answers,
        })
    }
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

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// A client's aggregate: results (instrument, day, submitted, total)
    /// and weekly assignments (instrument, start, cancelled).
    fn track(
        results: &[(Uuid, &str, i64, u32)],
        assignments: &[(Uuid, &str, Option<&str>)],
    ) -> ClientTrack {
        use crate::domain::TrackedAssignment;
        use crate::domain::assignments::AssignmentSchedule;
        let mut track = ClientTrack::default();
        for (n, (instrument_id, date, submitted_us, total)) in results.iter().enumerate() {
            track.results.insert(
                Uuid::from_u128(100 + n as u128),
                TrackedResult {
                    instrument_id: *instrument_id,
                    local_date: day(date),
                    submitted_us: *submitted_us,
                    total: *total,
                    self_harm: false,
                },
            );
        }
        for (n, (instrument_id, start, cancelled)) in assignments.iter().enumerate() {
            let schedule = AssignmentSchedule::new(day(start), 7).expect("valid");
            let schedule = match cancelled {
                Some(on) => schedule.cancelled(day(on)),
                None => schedule,
            };
            track.assignments.insert(
                Uuid::from_u128(200 + n as u128),
                TrackedAssignment {
                    instrument_id: *instrument_id,
                    schedule,
                },
            );
        }
        track
    }

    #[test]
    fn the_first_result_is_the_earliest_day_then_the_earliest_submission() {
        let phq9 = PHQ9.id;
        // Submitted in the order 12, 18, 9; dated 03-16, 03-02, 03-02.
        let t = track(
            &[
                (phq9, "2026-03-16", 1, 12),
                (phq9, "2026-03-02", 2, 18),
                (phq9, "2026-03-02", 3, 9),
                (GAD7.id, "2026-01-01", 0, 3),
            ],
            &[],
        );
        let totals: Vec<u32> = history(&t, phq9).iter().map(|(_, r)| r.total).collect();
        assert_eq!(totals, [18, 9, 12]);
        // As of 03-10 the latest is the 9 of 03-02; the first stays 18.
        let standings = standings(&t, day("2026-03-10"));
        let phq9_standing = standings
            .iter()
            .find(|s| s.instrument_id == phq9)
            .expect("PHQ-9");
        assert_eq!(phq9_standing.first.map(|(_, r)| r.total), Some(18));
        assert_eq!(phq9_standing.latest.map(|(_, r)| r.total), Some(9));
        assert_eq!(standings.len(), 2, "GAD-7 has a result too");
    }

    #[test]
    fn due_assignments_come_by_due_date_and_cancelled_ones_drop_out() {
        let (a, b) = (PHQ9.id, GAD7.id);
        // Weekly from 06-01 (a) and 06-03 (b); b answered on 06-03; a third,
        // cancelled on 06-05, never shows again.
        let t = track(
            &[(b, "2026-06-03", 0, 4)],
            &[
                (a, "2026-06-01", None),
                (b, "2026-06-03", None),
                (b, "2026-05-01", Some("2026-06-05")),
            ],
        );
        let on = |d| due(&t, day(d));
        let ids = |list: Vec<Due>| {
            list.into_iter()
                .map(|d| (d.assignment_id.as_u128(), d.due_date, d.overdue))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(on("2026-06-04")),
            [
                // The cancelled one, due 05-29, is answered by 06-03.
                (200, day("2026-06-01"), true),
            ]
        );
        // a was never answered: 06-01 is more than two days past.
        assert_eq!(
            ids(on("2026-06-10")),
            [
                (200, day("2026-06-08"), true),
                (201, day("2026-06-10"), false),
            ]
        );
        let standing = standings(&t, day("2026-06-10"));
        let overdue: Vec<(Uuid, bool)> = standing
            .iter()
            .map(|s| (s.instrument_id, s.overdue))
            .collect();
        assert_eq!(
            overdue,
            [(b, false), (a, true)],
            "by id; the cancelled one adds nothing"
        );
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
