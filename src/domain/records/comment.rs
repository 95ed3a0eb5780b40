//! comment

use uuid::Uuid;

use super::record::{Authors, Editable, Kind, Meta, Order, Parent, Record};
use crate::encoding::Stored;


/// What a comment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
#[repr(u8)]
pub enum CommentTarget {
    /// A goal.
    Goal(Uuid) = 1,
    /// An action step.
    ActionStep(Uuid) = 2,
    /// A check-in.
    CheckIn(Uuid) = 3,
    /// An assessment result.
    AssessmentResult(Uuid) = 6,
}

impl CommentTarget {
    /// Id of the record commented on.
    pub fn id(&self) -> Uuid {
        match self {
            CommentTarget::Goal(id)
            | CommentTarget::ActionStep(id)
            | CommentTarget::CheckIn(id)
            | CommentTarget::AssessmentResult(id) => *id,
        }
    }

    /// Kind of the record commented on.
    pub fn kind(&self) -> Kind {
        match self {
            CommentTarget::Goal(_) => Kind::Goal,
            CommentTarget::ActionStep(_) => Kind::ActionStep,
            CommentTarget::CheckIn(_) => Kind::CheckIn,
            CommentTarget::AssessmentResult(_) => Kind::AssessmentResult,
        }
    }
}

impl Default for CommentTarget {
    fn default() -> Self {
        CommentTarget::Goal(Uuid::nil())
    }
}

/// Feedback between sessions, by the client or a linked therapist.
#[derive(Debug, Clone, PartialEq, Default, Stored)]
pub struct Comment {
    /// Common fields; `created_by` is the author.
    #[stored(skip)]
    pub meta: Meta,
    /// The record commented on.
    pub target: CommentTarget,
    /// What the author wrote.
    pub text: String,
    /// Visible to its author only: it is on a check-in whose note is
    /// private, and may discuss it. Kept by the store's use cases (see
    /// `crate::app`), never sent by a caller.
    pub author_only: bool,
}

record!(
    Comment,
    authors: Authors::CareTeam,
    parent: |comment| Parent::Record(comment.target.kind(), comment.target.id()),
    fn order(&self) -> Order {
        Order::Time(self.meta.create_time_us)
    }
    fn alteration(&self, by: Uuid) -> Result<(), &'static str> {
        if self.meta.created_by == by {
            Ok(())
        } else {
            Err("only its author can change or delete a comment")
        }
    }
    fn visible_to(&self, viewer: Uuid) -> bool {
        !self.author_only || self.meta.created_by == viewer
    }
);

editable! {
    Comment / CommentField {
        Text: "text" => text,
    }
    immutable { target: "target", }
    derived { author_only, }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::records::record::tests::Samples;

    impl Samples for Comment {
        fn samples() -> (Self, Self) {
            let a = Comment {
                meta: Meta::default(),
                target: CommentTarget::Goal(Uuid::from_u128(1)),
                text: "a".into(),
                author_only: false,
            };
            let b = Comment {
                meta: Meta::default(),
                target: CommentTarget::CheckIn(Uuid::from_u128(2)),
                text: "b".into(),
                author_only: true,
            };
            (a, b)
        }
    }
}
