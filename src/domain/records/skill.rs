//! skill


use super::record::{Authors, Editable, Kind, Meta, Parent, Record};
use crate::encoding::Stored;

/// What kind of coping skill it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Stored)]
pub enum SkillCategory {
    /// Paced or diaphragmatic breathing.
    Breathing = 1,
    /// Mindfulness and meditation.
    Mindfulness = 2,
    /// Grounding in the present through the senses (e.g. 5-4-3-2-1).
    Grounding = 3,
    /// Progressive muscle relaxation, imagery.
    Relaxation = 4,
    /// Assertive or interpersonal communication.
    Communication = 5,
    /// Structured problem solving.
    ProblemSolving = 6,
    /// Anything else.
    #[default]
    Other = 7,
}

/// A coping skill the client practises (box breathing, 5-4-3-2-1
/// grounding), written by the client or a linked therapist.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct Skill {
    /// Common fields.
    #[stored(skip)]
    pub meta: Meta,
    /// Its name.
    pub title: String,
    /// What kind of skill it is.
    pub category: SkillCategory,
    /// How to do it.
    pub instructions: String,
}

record!(Skill, authors: Authors::CarePlan, parent: |_skill| Parent::Client);

editable! {
    Skill / SkillField {
        Title: "title" => title,
        Category: "category" => category,
        Instructions: "instructions" => instructions,
    }
    immutable {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::Samples;

    impl Samples for Skill {
        fn samples() -> (Self, Self) {
            let a = Skill {
                meta: Meta::default(),
                title: "a".into(),
                category: SkillCategory::Breathing,
                instructions: "a".into(),
            };
            let b = Skill {
                meta: Meta::default(),
                title: "b".into(),
                category: SkillCategory::Grounding,
                instructions: "b".into(),
            };
            (a, b)
        }
    }
}
