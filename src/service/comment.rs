//! `stepwise.v1.CommentService`: feedback between sessions.

use tonic::{Request, Response, Status};

use super::request::{caller_and_id, list_children};
use super::{convert, principal};
use crate::app::App;
use crate::domain::Comment;
use crate::pb;

/// Implements `CommentService` over the use cases.
pub struct CommentApi {
    app: App,
}

impl CommentApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::comment_service_server::CommentService for CommentApi {
    async fn create_comment(
        &self,
        request: Request<pb::CreateCommentRequest>,
    ) -> Result<Response<pb::Comment>, Status> {
        let principal = principal(&request)?;
        let comment = convert::new_comment(request.into_inner().comment)?;
        let comment = self.app.create_comment(&principal, comment).await?;
        Ok(Response::new(comment.into()))
    }

    async fn list_comments(
        &self,
        request: Request<pb::ListCommentsRequest>,
    ) -> Result<Response<pb::ListCommentsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (target, page) = convert::all((
            convert::comments_target(request.target),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let parent = (target.kind(), target.id());
        list_children::<Comment, _>(&self.app, &principal, parent, (None, None), page).await
    }

    async fn update_comment(
        &self,
        request: Request<pb::UpdateCommentRequest>,
    ) -> Result<Response<pb::Comment>, Status> {
        let principal = principal(&request)?;
        let (id, version, patch) = convert::comment_update(request.into_inner())?;
        let comment = self
            .app
            .update_comment(&principal, id, version, patch)
            .await?;
        Ok(Response::new(comment.into()))
    }

    async fn delete_comment(
        &self,
        request: Request<pb::DeleteCommentRequest>,
    ) -> Result<Response<()>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let version = request.get_ref().version;
        self.app.delete_comment(&principal, id, version).await?;
        Ok(Response::new(()))
    }
}
