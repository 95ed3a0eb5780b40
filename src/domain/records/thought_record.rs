//! thought record

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::record::{Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;

/// One of Burns' ten cognitive distortions, in Burns' order (which breaks
/// ties in the statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Stored)]
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
    /// All ten, in Burns' order.
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

/// An emotion felt in the situation, rated 0 to 100.
#[derive(Clone, Debug, Default, PartialEq, Eq, Stored)]
pub struct Emotion {
    /// The client's word for it, e.g. "anxious".
    pub name: String,
    /// Intensity before the balanced thought.
    pub before: u8,
    /// Intensity after it, once re-rated.
    pub after: Option<u8>,
}

/// A thought record of cognitive restructuring (see [`crate::domain::thoughts`]).
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct ThoughtRecord {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// The day of the situation, in the client's time zone.
    pub local_date: NaiveDate,
    /// What happened.
    pub situation: String,
    /// The thought that went through the client's mind.
    pub automatic_thought: String,
    /// The emotions felt, in the client's order.
    pub emotions: Vec<Emotion>,
    /// The distortions the client sees in the thought.
    pub distortions: BTreeSet<Distortion>,
    /// Facts that support the thought.
    pub evidence_for: String,
    /// Facts that do not.
    pub evidence_against: String,
    /// A more balanced way to see it.
    pub balanced_thought: String,
    /// Belief in the automatic thought at first, 0 to 100, once rated.
    pub belief_before: Option<u8>,
    /// Belief after the balanced thought, 0 to 100, once re-rated.
    pub belief_after: Option<u8>,
    /// The client's alone: therapists never receive it, nor count it.
    pub private: bool,
}

record!(
    ThoughtRecord,
    authors: Authors::Client,
    parent: |_record| Parent::Client,
    fn order(&self) -> Order {
        Order::Day(self.local_date)
    }
    fn for_therapist(self) -> Option<Self> {
        (!self.private).then_some(self)
    }
);

editable! {
    ThoughtRecord / ThoughtRecordField {
        LocalDate: "local_date" => local_date,
        Situation: "situation" => situation,
        AutomaticThought: "automatic_thought" => automatic_thought,
        Emotions: "emotions" => emotions,
        Distortions: "distortions" => distortions,
        EvidenceFor: "evidence_for" => evidence_for,
        EvidenceAgainst: "evidence_against" => evidence_against,
        BalancedThought: "balanced_thought" => balanced_thought,
        BeliefBefore: "belief_before" => belief_before,
        BeliefAfter: "belief_after" => belief_after,
        Private: "private_record" => private,
    }
    immutable {}
    refuse |before, after| (!before.private && after.private).then_some((
        "private_record",
        "a shared thought record cannot be made private again: your therapists may have \
         seen it; delete it instead",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::{Samples, day};

    impl Samples for ThoughtRecord {
        fn samples() -> (Self, Self) {
            let a = ThoughtRecord {
                meta: Meta::default(),
                local_date: day("2026-01-01"),
                situation: "a".into(),
                automatic_thought: "a".into(),
                emotions: vec![],
                distortions: BTreeSet::new(),
                evidence_for: "a".into(),
                evidence_against: "a".into(),
                balanced_thought: "a".into(),
                belief_before: None,
                belief_after: None,
                private: false,
            };
            let b = ThoughtRecord {
                meta: Meta::default(),
                local_date: day("2026-01-02"),
                situation: "b".into(),
                automatic_thought: "b".into(),
                emotions: vec![Emotion {
                    name: "sad".into(),
                    before: 80,
                    after: Some(40),
                }],
                distortions: BTreeSet::from([Distortion::Labelling]),
                evidence_for: "b".into(),
                evidence_against: "b".into(),
                balanced_thought: "b".into(),
                belief_before: Some(90),
                belief_after: Some(50),
                private: true,
            };
            (a, b)
        }
    }
}
