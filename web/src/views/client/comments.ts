// A comment thread under a record of the client page (a goal, a check-in, a
// questionnaire result): closed at first, it loads the comments whenever it
// is opened, and has a form to write one. It is kept across renderings of
// the page (see Kept), so what a therapist types survives live updates, and
// an open thread reloads on each.

import { type CommentTarget, listComments, writeComment } from "../../data/comments";
import { el, replace } from "../../dom";
import { explain } from "../../errors";
import { dateTime, isoTime } from "../../format";
import type { Comment } from "../../gen/stepwise/v1/comment_pb";
import { act, done, problemNotice } from "../common";
import type { Kept, SectionContext } from "./section";

const MAX_LENGTH = 4000;

/** The thread of `target`, kept by the page; `what` names the record ("this goal"). */
export function commentThread(context: SectionContext, target: CommentTarget, what: string): HTMLElement {
  return context.keep(`comments:${target.case}:${target.value}`, () => thread(context, target, what));
}

function thread(context: SectionContext, target: CommentTarget, what: string): Kept {
  const { me, records, onProblem } = context;
  const id = `comment-${target.value}`;
  const label = el("span", null, "Comments");
  const list = el("div", { class: "comment-list", "aria-live": "polite" });
  const text = el("textarea", { id, name: "comment", rows: 2, maxlength: MAX_LENGTH });
  const button = el("button", { type: "submit", class: "primary" }, "Add comment");
  const status = el("div", { role: "status" });

  async function load(): Promise<void> {
    try {
      const comments = await listComments(target);
      replace(label, comments.length ? `Comments (${comments.length})` : "Comments");
      replace(list, comments.length ? el("ol", { class: "comments" }, comments.map(item)) : el("p", { class: "help" }, "No comments yet."));
    } catch (error) {
      const problem = explain(error, context.name);
      if (!onProblem(problem)) replace(list, problemNotice(problem));
    }
  }

  function author(comment: Comment): string {
    if (comment.createdBy === me) return "You";
    if (comment.createdBy === records.clientId) return context.name;
    return "Another therapist";
  }

  function item(comment: Comment): HTMLElement {
    return el(
      "li",
      { class: "comment" },
      el(
        "p",
        { class: "comment-meta" },
        el("strong", null, author(comment)),
        comment.createTime ? [" · ", el("time", { datetime: isoTime(comment.createTime) }, dateTime(comment.createTime))] : null,
      ),
      el("p", { class: "comment-text" }, comment.text),
    );
  }

  const form = el(
    "form",
    {
      class: "comment-form",
      on: {
        submit: (event) => {
          event.preventDefault();
          const words = text.value.trim();
          if (!words) {
            replace(status, problemNotice({ kind: "refused", message: "Write something first." }));
            return;
          }
          void act(button, status, onProblem, async () => {
            await writeComment(target, words);
            text.value = "";
            await load();
            return done(`Comment saved; ${context.name} sees it in their app.`);
          }, context.name);
        },
      },
    },
    el("label", { for: id }, `Your comment on ${what}`),
    text,
    button,
    status,
  );
  const details = el(
    "details",
    {
      class: "comment-thread",
      on: {
        toggle: () => {
          if (details.open) void load();
        },
      },
    },
    el("summary", null, label),
    list,
    form,
  );
  replace(list, el("p", { class: "loading-inline" }, "Loading comments…"));
  return {
    node: details,
    update() {
      if (details.open) void load();
    },
  };
}

