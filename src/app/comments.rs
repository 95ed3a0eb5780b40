//! Feedback between sessions: comments on a client's goals, action steps,
//! check-ins and assessment results, by the client or a linked therapist.
//! Only a comment's author changes or deletes it; a comment on a check-in
//! whose note is private is its author's only (see [`super::records`]).

use uuid::Uuid;

use super::{Action, App, Principal, check_version, records};
use crate::domain::IntoEntity;
use crate::domain::{Comment, CommentTarget, Entity, Kind, Patch};
use crate::error::{Error, Result};
use crate::store::Tx;

impl App {
    /// Writes a comment on a record the caller may see.
    pub async fn create_comment(
        &self,
        principal: &Principal,
        mut comment: Comment,
    ) -> Result<Comment> {
        let field = target_field(&comment.target);
        let (id, kind) = (comment.target.id(), comment.target.kind());
        let target = self
            .referenced(principal, Action::Feedback, id, kind, field)
            .await?;
        comment.meta.client_id = target.meta().client_id;
        self.create(principal, comment, Some(field)).await
    }

    /// Changes the text of a comment the caller wrote, if `version` is 0 or
    /// current.
    pub async fn update_comment(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i64,
        patch: Patch<Comment>,
    ) -> Result<Comment> {
        self.visible(principal, Action::Feedback, id, Kind::Comment)
            .await?;
        let author = principal.account_id;
        let updated = self
            .store
            .write(author, move |tx| {
                let mut comment = authored(tx, id, version, author)?;
                patch.apply(&mut comment);
                records::update(tx, comment.into_entity())
            })
            .await?;
        Comment::from_entity(updated).ok_or_else(|| Error::internal("kind changed"))
    }

    /// Deletes a comment the caller wrote, if `version` is 0 or current.
    pub async fn delete_comment(
        &self,
        principal: &Principal,
        id: Uuid,
        version: i64,
    ) -> Result<()> {
        self.visible(principal, Action::Feedback, id, Kind::Comment)
            .await?;
        let author = principal.account_id;
        self.store
            .write(author, move |tx| {
                let comment = authored(tx, id, version, author)?;
                records::delete(tx, &comment.into_entity()).map(drop)
            })
            .await
    }
}

/// The live comment `id` at `version` (0: any), which `author` wrote:
/// `PERMISSION_DENIED` for anyone else.
pub(super) fn authored(tx: &mut Tx<'_>, id: Uuid, version: i64, author: Uuid) -> Result<Comment> {
    let entity = records::live(tx, id, Kind::Comment)?;
    let Entity::Comment(comment) = &entity else {
        return Err(Error::internal("kind changed"));
    };
    check_author(comment, author)?;
    check_version(&entity, version)?;
    Comment::from_entity(entity).ok_or_else(|| Error::internal("kind changed"))
}

/// `PERMISSION_DENIED` unless `author` wrote `comment`.
pub(super) fn check_author(comment: &Comment, author: Uuid) -> Result<()> {
    if comment.meta.created_by == author {
        Ok(())
    } else {
        Err(Error::PermissionDenied(
            "only its author can change or delete a comment",
        ))
    }
}

/// The request field naming a comment's target.
pub(super) fn target_field(target: &CommentTarget) -> &'static str {
    match target {
        CommentTarget::Goal(_) => "comment.goal_id",
        CommentTarget::ActionStep(_) => "comment.action_step_id",
        CommentTarget::CheckIn(_) => "comment.check_in_id",
        CommentTarget::AssessmentResult(_) => "comment.assessment_result_id",
    }
}
