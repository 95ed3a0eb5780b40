//! assessment result

use chrono::NaiveDate;
use uuid::Uuid;

use super::record::{Authors, NEVER_ALTERED, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;
use crate::domain::instruments::{self, RankedBand};

/// A client's answers to an instrument on one local day. Checked against
/// the instrument when it was submitted, and never changed.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct AssessmentResult {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The instrument answered.
    pub instrument_id: Uuid,
    /// Its version when answered.
    pub instrument_version: u32,
    /// The day answered, in the client's time zone.
    pub local_date: NaiveDate,
    /// One answer per item, in item order, each within its item's range.
    /// Sealed with the client's text, as the band below: they tell how
    /// the client is.
    #[stored(sealed)]
    pub answers: Vec<u8>,
    /// The band of the total, fixed by the instrument's version when the
    /// answers were checked (kept, so a custom instrument need not be read
    /// to show it).
    #[stored(sealed)]
    pub severity: Option<RankedBand>,
}

impl AssessmentResult {
    /// The sum of the answers.
    pub fn total(&self) -> u32 {
        instruments::total(&self.answers)
    }

    /// Whether an answer signals a risk of self-harm (PHQ-9 item 9). Only
    /// built-in instruments have such an item, so the result alone tells.
    pub fn signals_self_harm(&self) -> bool {
        instruments::built_in(self.instrument_id)
            .is_some_and(|instrument| instrument.signals_self_harm(&self.answers))
    }
}

record!(
    AssessmentResult,
    authors: Authors::Client,
    parent: |_result| Parent::Client,
    fn order(&self) -> Order {
        Order::DayTime(self.local_date, self.meta.create_time_us)
    }
    fn alteration(&self, _by: Uuid) -> Result<(), &'static str> {
        Err(NEVER_ALTERED)
    }
);

editable! {
    AssessmentResult / AssessmentResultField {}
    immutable {
        instrument_id: "instrument_id",
        instrument_version: "instrument_version",
        local_date: "local_date",
        answers: "answers",
    }
    derived { severity, }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for AssessmentResult {
        fn samples() -> (Self, Self) {
            let a = AssessmentResult {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(1),
                instrument_version: 1,
                local_date: day("2026-01-01"),
                answers: vec![0, 1],
                severity: None,
            };
            let b = AssessmentResult {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(2),
                instrument_version: 2,
                local_date: day("2026-01-02"),
                answers: vec![3],
                severity: instruments::PHQ9.ranked_band(3),
            };
            (a, b)
        }
    }
}
