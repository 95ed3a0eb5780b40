//! efficacy rating

use uuid::Uuid;

use super::record::{Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;


/// What a self-efficacy rating is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Stored)]
#[repr(u8)]
pub enum RatingTarget {
    /// A goal.
    Goal(Uuid) = 1,
    /// An action step.
    ActionStep(Uuid) = 2,
}

impl RatingTarget {
    /// Id of the rated record.
    pub fn id(&self) -> Uuid {
        match self {
            RatingTarget::Goal(id) | RatingTarget::ActionStep(id) => *id,
        }
    }

    /// Kind of the rated record.
    pub fn kind(&self) -> Kind {
        match self {
            RatingTarget::Goal(_) => Kind::Goal,
            RatingTarget::ActionStep(_) => Kind::ActionStep,
        }
    }
}

impl Default for RatingTarget {
    fn default() -> Self {
        RatingTarget::Goal(Uuid::nil())
    }
}

/// A self-efficacy rating at one moment, on Bandura's 0 to 100 scale.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct EfficacyRating {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// What is rated.
    pub target: RatingTarget,
    /// 0 to 100.
    pub score: u8,
    /// The client's words.
    pub note: String,
    /// When the client gave the rating, microseconds since the Unix epoch.
    pub rate_time_us: i64,
}

record!(
    EfficacyRating,
    authors: Authors::Client,
    parent: |rating| Parent::Record(rating.target.kind(), rating.target.id()),
    fn order(&self) -> Order {
        Order::Time(self.rate_time_us)
    }
);

editable! {
    EfficacyRating / EfficacyRatingField {}
    immutable { target: "target", score: "score", note: "note", rate_time_us: "rate_time", }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::Samples;

    impl Samples for EfficacyRating {
        fn samples() -> (Self, Self) {
            let a = EfficacyRating {
                meta: Meta::default(),
                target: RatingTarget::Goal(Uuid::from_u128(1)),
                score: 10,
                note: "a".into(),
                rate_time_us: 1,
            };
            let b = EfficacyRating {
                meta: Meta::default(),
                target: RatingTarget::ActionStep(Uuid::from_u128(2)),
                score: 90,
                note: "b".into(),
                rate_time_us: 2,
            };
            (a, b)
        }
    }
}
