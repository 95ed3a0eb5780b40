// Invites: the therapist makes a code (CareService.CreateInvite) and hands
// it to a client, who signs up with it or accepts it in their app; the codes
// still pending (CareService.ListInvites) are listed, each with a button to
// cancel it (CareService.CancelInvite).

import { allPages, care, PAGE_SIZE } from "../api";
import { el, replace } from "../dom";
import { explain } from "../errors";
import { dateTime, isoTime } from "../format";
import type { Invite } from "../gen/stepwise/v1/care_pb";
import { ACTIONS, act, count, dataTable, done, type OnProblem, problemNotice, type View } from "./common";

export function invitesView(onProblem: OnProblem): View {
  const result = el("div", { class: "invite-result", "aria-live": "polite" });
  const button = el(
    "button",
    { type: "button", class: "primary", on: { click: () => void create() } },
    "Create an invite code",
  );
  const pending = el("div", { class: "pending-invites" }, el("p", { class: "loading-inline" }, "Loading…"));
  const pendingStatus = el("div", { role: "status" });

  function create(): void {
    void act(button, result, onProblem, async () => {
      const invite = await care.createInvite({});
      void load();
      return shown(invite);
    });
  }

  async function load(): Promise<void> {
    try {
      const invites = await allPages(async (pageToken) => {
        const page = await care.listInvites({ pageSize: PAGE_SIZE, pageToken });
        return { items: page.invites, next: page.nextPageToken };
      });
      replace(pending, invites.length === 0 ? el("p", null, "No invite is waiting to be used.") : table(invites));
    } catch (error) {
      const problem = explain(error);
      if (!onProblem(problem)) replace(pending, problemNotice(problem));
    }
  }

  function table(invites: Invite[]): HTMLElement {
    return dataTable({
      attrs: { class: "invites-table" },
      caption: `${count(invites.length, "invite")} not used yet, oldest first`,
      columns: ["Code", "Made", "Valid until", ACTIONS],
      rows: invites.map((invite) => {
            const cancel = el(
              "button",
              {
                type: "button",
                "aria-label": `Cancel invite ${invite.code}`,
                on: {
                  click: () =>
                    // Reloaded either way: a refusal (used meanwhile) also
                    // means the list is out of date.
                    void act(cancel, pendingStatus, onProblem, async () => {
                      await care.cancelInvite({ code: invite.code });
                      return done(`Invite ${invite.code} cancelled: the code no longer works.`);
                    }).then(load),
                },
              },
              "Cancel",
            );
            return el(
              "tr",
              { "data-code": invite.code },
              el("th", { scope: "row", class: "code" }, invite.code),
              el("td", null, moment(invite.createTime)),
              el("td", null, moment(invite.expireTime)),
              el("td", null, cancel),
            );
          }),
    });
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
    el(
      "section",
      { class: "section", "aria-labelledby": "pending-invites" },
      el("h2", { id: "pending-invites" }, "Pending invites"),
      el("p", null, "Codes you made that no client has used yet. Cancel one you gave to the wrong person, or no longer need."),
      pendingStatus,
      pending,
    ),
  );
  void load();
  return { node, dispose() {} };
}

function moment(ts: Invite["createTime"]): HTMLElement | string {
  return ts ? el("time", { datetime: isoTime(ts), title: dateTime(ts) }, dateTime(ts)) : "—";
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
        invite.expireTime ? moment(invite.expireTime) : "7 days from now",
      ),
    ),
    el("p", null, "Give it to the client in person or through a channel you trust."),
    el("p", null, copy, " ", copyStatus),
  );
}
