// The caseload: every linked client, most urgent first (the server's
// severity), with their flags, questionnaires and practice, kept current by
// the live stream without reloading the page. A risk of self-harm is marked
// on the row and named above the table with the note that Stepwise is not a
// crisis service.

import { Charts } from "../charts";
import type { Caseload } from "../data/caseload";
import { WEEKS } from "../data/caseload";
import { el, replace, srOnly } from "../dom";
import { dateTime, percent, shortDate, signed } from "../format";
import { type ClientSummary, Flag, SummarySeverity } from "../gen/stepwise/v1/care_service_pb";
import { bandBadge, crisisNote } from "./assessments";
import { count, flagBadge, missing, orMissing, problemNotice, type View, wideTable } from "./common";

/** The server's severity in words, with the tone of its badge. */
const SEVERITY: Record<SummarySeverity, { label: string; tone: string } | undefined> = {
  [SummarySeverity.UNSPECIFIED]: undefined,
  [SummarySeverity.NONE]: undefined,
  [SummarySeverity.LOW]: { label: "Low", tone: "caution" },
  [SummarySeverity.MEDIUM]: { label: "Medium", tone: "warning" },
  [SummarySeverity.HIGH]: { label: "High", tone: "danger" },
  [SummarySeverity.CRITICAL]: { label: "Critical", tone: "critical" },
};

/** Badges in the order of the caseload's sort: the most serious first. */
const FLAG_ORDER = [
  Flag.SELF_HARM_RISK,
  Flag.NO_SAFETY_PLAN,
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
    // Keep the keyboard focus on the same client's link across updates, and
    // the table scrolled where it was (on a tablet it scrolls sideways).
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.clientId;
    const scrolledTo = body.querySelector(".table-scroll")?.scrollLeft ?? 0;
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
        : [selfHarmNote(caseload.clients), table(caseload, charts)],
    );
    const box = body.querySelector(".table-scroll");
    if (box) box.scrollLeft = scrolledTo;
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
  return wideTable(
    el(
      "p",
      { id: "caseload-caption", class: "table-caption" },
      `${count(caseload.clients.length, "client")}, most urgent first `,
      el(
        "span",
        { class: "caption-note" },
        "(a risk of self-harm, then reliably worse symptoms, a drop in self-efficacy, then inactivity, low adherence and overdue questionnaires)",
      ),
    ),
    el(
      "table",
      { class: "caseload-table", "aria-labelledby": "caseload-caption" },
      el(
        "thead",
        null,
        el(
          "tr",
          null,
          el("th", { scope: "col" }, "Client"),
          el("th", { scope: "col" }, "Needs attention"),
          el("th", { scope: "col" }, "Questionnaires"),
          el("th", { scope: "col" }, "Last check-in"),
          el("th", { scope: "col", class: "num" }, "Adherence, 7 days"),
          el("th", { scope: "col", class: "num" }, "Adherence, 28 days"),
          el("th", { scope: "col", class: "num" }, "Habit strength"),
          el("th", { scope: "col", class: "num" }, "Self-efficacy"),
          el("th", { scope: "col" }, "Practice, 7 days"),
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
  const severity = SEVERITY[client.severity];
  return el(
    "tr",
    {
      "data-client-id": client.clientId,
      class: client.severity === SummarySeverity.CRITICAL ? "row-critical" : null,
    },
    el(
      "th",
      { scope: "row" },
      el("a", { href: `#/client/${client.clientId}`, "data-client-id": client.clientId }, client.displayName),
      severity
        ? el("span", { class: `urgency badge badge-${severity.tone}` }, srOnly("Urgency: "), severity.label)
        : null,
    ),
    el("td", null, flags.length ? el("ul", { class: "badges" }, flags) : el("span", { class: "ok" }, "On track")),
    el("td", null, questionnaires(client)),
    el("td", null, lastCheckIn(client)),
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
      { class: "practice" },
      count(client.skillPractices7d, "skill practice"),
      el("br"),
      count(client.thoughtRecords7d, "thought record"),
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

/**
 * The day the client last checked in for, as "Inactive" counts it: a walk of
 * four days ago logged a minute ago is four days old. When it was logged is
 * in the tooltip.
 */
function lastCheckIn(client: ClientSummary): HTMLElement | string {
  if (!client.lastCheckInDate) return "Never";
  const logged = client.lastCheckInTime ? `first logged ${dateTime(client.lastCheckInTime)}` : null;
  return el(
    "time",
    { class: "last-check-in", datetime: client.lastCheckInDate, title: logged },
    shortDate(client.lastCheckInDate),
  );
}

/** Each questionnaire's latest total and band, e.g. "PHQ-9 12 Moderate". */
function questionnaires(client: ClientSummary): HTMLElement | string {
  if (client.instruments.length === 0) return "None";
  return el(
    "ul",
    { class: "instruments" },
    client.instruments.map((i) =>
      el(
        "li",
        null,
        el("span", { class: "instrument-name" }, i.shortName),
        " ",
        i.latestTotal === undefined ? "no result yet " : `${i.latestTotal} `,
        bandBadge(i.severity),
        i.overdue ? [" ", el("span", { class: "overdue" }, "(overdue)")] : null,
      ),
    ),
  );
}

/** Above the table: whose report of thoughts of self-harm waits for an acknowledgement, and what Stepwise does not do. */
function selfHarmNote(clients: readonly ClientSummary[]): HTMLElement | null {
  const atRisk = clients.filter((c) => c.flags.includes(Flag.SELF_HARM_RISK)).map((c) => c.displayName);
  if (atRisk.length === 0) return null;
  const who = atRisk.length === 1 ? `${atRisk[0]} reported` : `${atRisk.length} clients (${atRisk.join(", ")}) reported`;
  return crisisNote(`${who} thoughts of self-harm on a PHQ-9 that no therapist has acknowledged yet.`);
}
