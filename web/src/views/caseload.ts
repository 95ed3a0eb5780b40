// The caseload: every linked client, most in need of attention first, kept
// current by the live stream without reloading the page.

import { Charts } from "../charts";
import type { Caseload } from "../data/caseload";
import { WEEKS } from "../data/caseload";
import { el, replace, srOnly } from "../dom";
import { ago, dateTime, isoTime, percent, signed } from "../format";
import { type ClientSummary, Flag } from "../gen/stepwise/v1/care_service_pb";
import { flagBadge, missing, orMissing, problemNotice, type View } from "./common";

/** Badges in the order of the caseload's sort: the most serious first. */
const FLAG_ORDER = [
  Flag.SELF_HARM_RISK,
  Flag.RELIABLE_DETERIORATION,
  Flag.EFFICACY_DROP,
  Flag.INACTIVE,
  Flag.LOW_ADHERENCE,
  Flag.ASSESSMENT_OVERDUE,
];

/** The caseload view, rendered again on every change of `caseload`. */
export function caseloadView(caseload: Caseload): View {
  const charts = new Charts();
  const status = el("p", { class: "updated" });
  const body = el("div", { class: "caseload-body" });
  const node = el(
    "section",
    { class: "caseload", "aria-labelledby": "caseload-title" },
    el("div", { class: "view-head" }, el("h1", { id: "caseload-title" }, "Caseload"), status),
    body,
  );

  function render(): void {
    // Keep the keyboard focus on the same client's link across updates.
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.clientId;
    charts.destroy();
    if (caseload.updatedAt) {
      replace(status, `Updated ${caseload.updatedAt.toLocaleTimeString(undefined, { timeStyle: "medium" })}`);
    }
    if (!caseload.loaded) {
      replace(body, caseload.problem ? problemNotice(caseload.problem) : el("p", { class: "loading" }, "Loading your clients…"));
      return;
    }
    replace(
      body,
      caseload.problem ? problemNotice(caseload.problem) : null,
      caseload.clients.length === 0
        ? el(
            "p",
            { class: "empty" },
            "No clients are linked to you yet. ",
            el("a", { href: "#/invites" }, "Create an invite"),
            " and give the code to a client.",
          )
        : table(caseload, charts),
    );
    if (focused) {
      body.querySelector<HTMLElement>(`a[data-client-id="${CSS.escape(focused)}"]`)?.focus();
    }
  }

  const unsubscribe = caseload.subscribe(render);
  render();
  return {
    node,
    dispose() {
      unsubscribe();
      charts.destroy();
    },
  };
}

function table(caseload: Caseload, charts: Charts): HTMLElement {
  const count = caseload.clients.length;
  return el(
    "div",
    { class: "table-scroll" },
    el(
      "table",
      { class: "caseload-table" },
      el(
        "caption",
        null,
        `${count} ${count === 1 ? "client" : "clients"}, most in need of attention first `,
        el(
          "span",
          { class: "caption-note" },
          "(a risk of self-harm, then worse symptoms, then a drop in self-efficacy, then inactivity, low adherence and overdue questionnaires)",
        ),
      ),
      el(
        "thead",
        null,
        el(
          "tr",
          null,
          el("th", { scope: "col" }, "Client"),
          el("th", { scope: "col" }, "Needs attention"),
          el("th", { scope: "col" }, "Last check-in"),
          el("th", { scope: "col", class: "num" }, "Adherence, 7 days"),
          el("th", { scope: "col", class: "num" }, "Adherence, 28 days"),
          el("th", { scope: "col", class: "num" }, "Habit strength"),
          el("th", { scope: "col", class: "num" }, "Self-efficacy"),
          el("th", { scope: "col" }, `Weekly adherence, ${WEEKS} weeks`),
        ),
      ),
      el(
        "tbody",
        null,
        caseload.clients.map((client) => row(client, caseload.history.get(client.clientId) ?? [], charts)),
      ),
    ),
  );
}

function row(client: ClientSummary, weeks: (number | undefined)[], charts: Charts): HTMLElement {
  const flags = FLAG_ORDER.filter((flag) => client.flags.includes(flag)).map(flagBadge);
  return el(
    "tr",
    { "data-client-id": client.clientId },
    el(
      "th",
      { scope: "row" },
      el("a", { href: `#/client/${client.clientId}`, "data-client-id": client.clientId }, client.displayName),
    ),
    el("td", null, flags.length ? el("ul", { class: "badges" }, flags) : el("span", { class: "ok" }, "On track")),
    el(
      "td",
      null,
      client.lastCheckInTime
        ? el(
            "time",
            { datetime: isoTime(client.lastCheckInTime), title: dateTime(client.lastCheckInTime) },
            ago(client.lastCheckInTime),
          )
        : "Never",
    ),
    el("td", { class: "num" }, orMissing(percent(client.adherence7d), "nothing scheduled")),
    el("td", { class: "num" }, orMissing(percent(client.adherence28d), "nothing scheduled")),
    el("td", { class: "num" }, percent(client.habitStrength) ?? missing("no steps")),
    el(
      "td",
      { class: "num" },
      client.efficacyLatest === undefined
        ? missing("no ratings yet")
        : [
            String(client.efficacyLatest),
            client.efficacyChange28d === undefined
              ? null
              : el(
                  "span",
                  { class: client.efficacyChange28d < 0 ? "change change-down" : "change" },
                  ` (${signed(client.efficacyChange28d)}`,
                  srOnly(" in 28 days"),
                  ")",
                ),
          ],
    ),
    el(
      "td",
      null,
      charts.sparkline(
        weeks,
        `Adherence per week, oldest first: ${weeks
          .map((w) => percent(w) ?? "no data")
          .join(", ")}`,
      ),
    ),
  );
}
