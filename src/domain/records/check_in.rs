//! check in

use chrono::NaiveDate;
use uuid::Uuid;

use super::record::{note_for_therapist, Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;


/// What happened to an action step on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Stored)]
pub enum CheckInState {
    /// Done.
    #[default]
    Done = 1,
    /// Partly done.
    Partial = 2,
    /// Deliberately skipped.
    Skipped = 3,
}

/// One action step on one local day.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct CheckIn {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The step checked in.
    pub action_step_id: Uuid,
    /// The day, in the client's time zone.
    pub local_date: NaiveDate,
    /// What happened.
    pub state: CheckInState,
    /// How much, in the step's own unit.
    pub amount: f64,
    /// The client's words.
    pub note: String,
    /// The note is for the client only, not for therapists.
    pub private_note: bool,
}

record!(
    CheckIn,
    authors: Authors::Client,
    parent: |check_in| Parent::Record(Kind::ActionStep, check_in.action_step_id),
    fn order(&self) -> Order {
        Order::Day(self.local_date)
    }
    fn for_therapist(mut self) -> Option<Self> {
        note_for_therapist(&mut self.note, self.private_note);
        Some(self)
    }
);

editable! {
    CheckIn / CheckInField {
        State: "state" => state,
        Amount: "amount" => amount,
        Note: "note" => note,
        PrivateNote: "private_note" => private_note,
    }
    immutable { action_step_id: "action_step_id", local_date: "local_date", }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for CheckIn {
        fn samples() -> (Self, Self) {
            let a = CheckIn {
                meta: Meta::default(),
                action_step_id: Uuid::from_u128(1),
                local_date: day("2026-01-01"),
                state: CheckInState::Done,
                amount: 0.0,
                note: "a".into(),
                private_note: false,
            };
            let b = CheckIn {
                meta: Meta::default(),
                action_step_id: Uuid::from_u128(2),
                local_date: day("2026-01-02"),
                state: CheckInState::Skipped,
                amount: 2.0,
                note: "b".into(),
                private_note: true,
            };
            (a, b)
        }
    }

    #[test]
    fn a_therapist_sees_a_private_note_blank() {
        let (_, check_in) = <CheckIn as Samples>::samples();
        let seen = check_in.for_therapist().expect("visible");
        assert_eq!((seen.note.as_str(), seen.private_note), ("", true));
    }
}
