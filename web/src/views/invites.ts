// Invites: the therapist makes a code (CareService.CreateInvite) and hands
// it to a client, who signs up with it or accepts it in their app. The page
// is a list of sections like the client page; listing and cancelling pending
// invites becomes one more section once the API offers it.

import { care } from "../api";
import { el, replace } from "../dom";
import { explain } from "../errors";
import { dateTime, isoTime } from "../format";
import type { Invite } from "../gen/stepwise/v1/care_pb";
import { type OnProblem, problemNotice, type View } from "./common";

export function invitesView(onProblem: OnProblem): View {
  const result = el("div", { class: "invite-result", "aria-live": "polite" });
  const button = el(
    "button",
    { type: "button", class: "primary", on: { click: () => void create() } },
    "Create an invite code",
  );

  async function create(): Promise<void> {
    button.disabled = true;
    try {
      const invite = await care.createInvite({});
      replace(result, shown(invite));
    } catch (error) {
      const problem = explain(error);
      if (!onProblem(problem)) replace(result, problemNotice(problem));
    } finally {
      button.disabled = false;
    }
  }

  const node = el(
    "section",
    { class: "invites", "aria-labelledby": "invites-title" },
    el("div", { class: "view-head" }, el("h1", { id: "invites-title" }, "Invite a client")),
    el(
      "section",
      { class: "section", "aria-labelledby": "new-invite" },
      el("h2", { id: "new-invite" }, "New invite"),
      el(
        "p",
        null,
        "An invite code links one client to you. The client types it in the Stepwise app, when signing up or later. Each code works once, for 7 days.",
      ),
      button,
      result,
    ),
  );
  return { node, dispose() {} };
}

function shown(invite: Invite): HTMLElement {
  const copyStatus = el("span", { class: "copy-status", role: "status" });
  // The clipboard exists only in secure contexts (https, or localhost).
  const copy = navigator.clipboard
    ? el(
        "button",
        {
          type: "button",
          on: {
            click: () =>
              void navigator.clipboard.writeText(invite.code).then(
                () => replace(copyStatus, "Copied."),
                () => replace(copyStatus, "Could not copy; select the code instead."),
              ),
          },
        },
        "Copy code",
      )
    : null;
  return el(
    "div",
    { class: "invite" },
    el(
      "dl",
      null,
      el("dt", null, "Invite code"),
      el("dd", { class: "invite-code" }, invite.code),
      el("dt", null, "Valid until"),
      el(
        "dd",
        null,
        invite.expireTime
          ? el("time", { datetime: isoTime(invite.expireTime) }, dateTime(invite.expireTime))
          : "7 days from now",
      ),
    ),
    el("p", null, "Give it to the client in person or through a channel you trust."),
    el("p", null, copy, " ", copyStatus),
  );
}
