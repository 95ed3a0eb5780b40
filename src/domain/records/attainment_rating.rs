//! attainment rating

use chrono::NaiveDate;
use uuid::Uuid;

use super::record::{Authors, NEVER_ALTERED, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;
use crate::domain::attainment::AttainmentLevel;

/// The level a goal reached on a local day, against its attainment scale.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct AttainmentRating {
    /// Common fields; `created_by` is the client or a therapist.
    #[stored(skip)]
    pub meta: Meta,
    /// The goal rated.
    pub goal_id: Uuid,
    /// The level reached.
    pub level: AttainmentLevel,
    /// The day rated, in the client's time zone.
    pub local_date: NaiveDate,
}

record!(
    AttainmentRating,
    authors: Authors::CareTeam,
    parent: |rating| Parent::Record(Kind::Goal, rating.goal_id),
    fn order(&self) -> Order {
        Order::DayTime(self.local_date, self.meta.create_time_us)
    }
    fn alteration(&self, _by: Uuid) -> Result<(), &'static str> {
        Err(NEVER_ALTERED)
    }
);

editable! {
    AttainmentRating / AttainmentRatingField {}
    immutable { goal_id: "goal_id", level: "level", local_date: "local_date", }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for AttainmentRating {
        fn samples() -> (Self, Self) {
            let a = AttainmentRating {
                meta: Meta::default(),
                goal_id: Uuid::from_u128(1),
                level: AttainmentLevel::LessThanExpected,
                local_date: day("2026-01-01"),
            };
            let b = AttainmentRating {
                meta: Meta::default(),
                goal_id: Uuid::from_u128(2),
                level: AttainmentLevel::MoreThanExpected,
                local_date: day("2026-01-02"),
            };
            (a, b)
        }
    }
}
