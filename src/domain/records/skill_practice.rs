//! skill practice

use chrono::NaiveDate;
use uuid::Uuid;

use super::record::{note_for_therapist, Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;


/// One time the client practised a skill, with their distress before and
/// after on the 0 to 100 SUDS scale (see [`crate::domain::skills`]).
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct SkillPractice {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The skill practised.
    pub skill_id: Uuid,
    /// The day, in the client's time zone.
    pub local_date: NaiveDate,
    /// Distress before practising, 0 to 100.
    pub distress_before: u8,
    /// Distress after practising, 0 to 100.
    pub distress_after: u8,
    /// How long it took, in minutes, if the client said.
    pub duration_minutes: Option<u32>,
    /// The client's words.
    pub note: String,
    /// The note is for the client only, not for therapists.
    pub private_note: bool,
}

record!(
    SkillPractice,
    authors: Authors::Client,
    parent: |practice| Parent::Record(Kind::Skill, practice.skill_id),
    fn order(&self) -> Order {
        Order::Day(self.local_date)
    }
    fn for_therapist(mut self) -> Option<Self> {
        note_for_therapist(&mut self.note, self.private_note);
        Some(self)
    }
);

editable! {
    SkillPractice / SkillPracticeField {}
    immutable {
        skill_id: "skill_id",
        local_date: "local_date",
        distress_before: "distress_before",
        distress_after: "distress_after",
        duration_minutes: "duration_minutes",
        note: "note",
        private_note: "private_note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for SkillPractice {
        fn samples() -> (Self, Self) {
            let a = SkillPractice {
                meta: Meta::default(),
                skill_id: Uuid::from_u128(1),
                local_date: day("2026-01-01"),
                distress_before: 70,
                distress_after: 40,
                duration_minutes: None,
                note: "a".into(),
                private_note: false,
            };
            let b = SkillPractice {
                meta: Meta::default(),
                skill_id: Uuid::from_u128(2),
                local_date: day("2026-01-02"),
                distress_before: 60,
                distress_after: 65,
                duration_minutes: Some(10),
                note: "b".into(),
                private_note: true,
            };
            (a, b)
        }
    }

    #[test]
    fn a_therapist_sees_a_private_note_blank() {
        let (_, practice) = <SkillPractice as Samples>::samples();
        let seen = practice.for_therapist().expect("visible");
        assert_eq!((seen.note.as_str(), seen.private_note), ("", true));
    }
}
