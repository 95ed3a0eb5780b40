//! assignment

use uuid::Uuid;

use super::record::{Authors, NEVER_ALTERED, Editable, Kind, Meta, Parent, Record};
use crate::encoding::Stored;
use crate::domain::assignments::AssignmentSchedule;

/// A therapist's request that the client answer an instrument on a
/// schedule of local days (see [`crate::domain::assignments`]).
#[derive(Debug, Clone, PartialEq, Stored)]
pub struct Assignment {
    /// Common fields; `created_by` is the therapist who assigned it.
    #[stored(skip)]
    pub meta: Meta,
    /// The instrument to answer: a built-in one or the therapist's own.
    pub instrument_id: Uuid,
    /// Its due dates, and the day it was cancelled, if it was.
    pub schedule: AssignmentSchedule,
}

record!(Assignment, authors: Authors::CarePlan, parent: |_assignment| Parent::Client,
    fn alteration(&self, _by: Uuid) -> Result<(), &'static str> {
        Err(NEVER_ALTERED)
    }
);

editable! {
    Assignment / AssignmentField {}
    immutable { instrument_id: "instrument_id", schedule: "schedule", }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for Assignment {
        fn samples() -> (Self, Self) {
            let schedule =
                |start, every| AssignmentSchedule::new(day(start), every).expect("valid");
            let a = Assignment {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(1),
                schedule: schedule("2026-01-01", 7),
            };
            let b = Assignment {
                meta: Meta::default(),
                instrument_id: Uuid::from_u128(2),
                schedule: schedule("2026-02-01", 14).cancelled(day("2026-03-01")),
            };
            (a, b)
        }
    }
}
