// Comments on a client's records (CommentService): the ones the therapist may
// see, and writing one. A comment on a check-in whose note is private is
// visible only to its author; the server leaves the others out.

import { allPages, comments as commentApi, PAGE_SIZE } from "../api";
import type { Comment } from "../gen/stepwise/v1/comment_pb";

/** The record a comment is on. */
export type CommentTarget = Exclude<Comment["target"], { case: undefined }>;

/** The comments on `target`, oldest first. */
export async function listComments(target: CommentTarget): Promise<Comment[]> {
  return await allPages(async (pageToken) => {
    const page = await commentApi.listComments({ target, pageSize: PAGE_SIZE, pageToken });
    return { items: page.comments, next: page.nextPageToken };
  });
}

/** Writes a comment on `target`. */
export async function writeComment(target: CommentTarget, text: string): Promise<Comment> {
  return await commentApi.createComment({ comment: { target, text } });
}
