//! Comments.

use uuid::Uuid;

use super::{EditableFields, editable_fields, id, new_id, new_meta, required, timestamp, update};
use crate::domain::{Comment, CommentField, CommentTarget, Patch, fields};
use crate::error::{Error, Result, Violations};
use crate::pb;

impl EditableFields<pb::Comment> for Comment {
    fn parse_field(
        api: &pb::Comment,
        field: CommentField,
        into: &mut Comment,
        check: &mut Violations,
        (prefix, _creating): (&str, bool),
    ) {
        match field {
            CommentField::Text => {
                into.text = check.check(
                    format!("{prefix}.text"),
                    fields::text(&api.text, 1, fields::MAX_NOTE_CHARS),
                )
            }
        }
    }
}

/// The target of a comment in a request.
fn comment_target(target: Option<&pb::comment::Target>, check: &mut Violations) -> CommentTarget {
    use pb::comment::Target;
    let (field, value, target): (&str, &str, fn(Uuid) -> CommentTarget) = match target {
        Some(Target::GoalId(goal)) => ("comment.goal_id", goal, CommentTarget::Goal),
        Some(Target::ActionStepId(step)) => {
            ("comment.action_step_id", step, CommentTarget::ActionStep)
        }
        Some(Target::CheckInId(check_in)) => {
            ("comment.check_in_id", check_in, CommentTarget::CheckIn)
        }
        Some(Target::AssessmentResultId(result)) => (
            "comment.assessment_result_id",
            result,
            CommentTarget::AssessmentResult,
        ),
        None => {
            check.add(
                "comment.target",
                "set goal_id, action_step_id, check_in_id or assessment_result_id",
            );
            return CommentTarget::default();
        }
    };
    target(check.check(field, fields::id(value)))
}

/// A new comment from a `CreateCommentRequest` (or a sync upsert); its
/// client is the target's, filled in by the use case.
pub fn new_comment(comment: Option<pb::Comment>) -> Result<Comment> {
    let api = required(comment, "comment")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "comment.id", &mut check);
    let target = comment_target(api.target.as_ref(), &mut check);
    let mut comment = Comment {
        meta: new_meta(id, Uuid::nil()),
        target,
        ..Comment::default()
    };
    editable_fields(&api, "comment", &mut check, &mut comment);
    check.finish()?;
    Ok(comment)
}

/// The id, expected version and patch of an `UpdateCommentRequest`.
pub fn comment_update(request: pb::UpdateCommentRequest) -> Result<(Uuid, i64, Patch<Comment>)> {
    update(request.comment, &request.update_mask, "comment")
}

/// The target of a `ListCommentsRequest`.
pub fn comments_target(target: Option<pb::list_comments_request::Target>) -> Result<CommentTarget> {
    use pb::list_comments_request::Target;
    match target {
        Some(Target::GoalId(goal)) => Ok(CommentTarget::Goal(id(&goal, "goal_id")?)),
        Some(Target::ActionStepId(step)) => {
            Ok(CommentTarget::ActionStep(id(&step, "action_step_id")?))
        }
        Some(Target::CheckInId(check_in)) => {
            Ok(CommentTarget::CheckIn(id(&check_in, "check_in_id")?))
        }
        Some(Target::AssessmentResultId(result)) => Ok(CommentTarget::AssessmentResult(id(
            &result,
            "assessment_result_id",
        )?)),
        None => Err(Error::invalid(
            "target",
            "set goal_id, action_step_id, check_in_id or assessment_result_id",
        )),
    }
}

impl From<Comment> for pb::Comment {
    fn from(comment: Comment) -> Self {
        use pb::comment::Target;
        let Comment {
            meta,
            target,
            text,
            author_only: _,
        } = comment;
        pb::Comment {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            target: Some(match target {
                CommentTarget::Goal(id) => Target::GoalId(id.to_string()),
                CommentTarget::ActionStep(id) => Target::ActionStepId(id.to_string()),
                CommentTarget::CheckIn(id) => Target::CheckInId(id.to_string()),
                CommentTarget::AssessmentResult(id) => Target::AssessmentResultId(id.to_string()),
            }),
            text,
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
            created_by: meta.created_by.to_string(),
            updated_by: meta.updated_by.to_string(),
        }
    }
}
