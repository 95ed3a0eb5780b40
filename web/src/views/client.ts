// The client page: one client's progress, goals, calendar, self-efficacy and
// recent check-ins, reloaded when the live stream reports a change of theirs,
// and cleared at once when their link is revoked.

import { Charts } from "../charts";
import type { Caseload } from "../data/caseload";
import { type ClientRecords, loadClient } from "../data/client";
import { el, replace } from "../dom";
import { explain, type Problem } from "../errors";
import { longDate } from "../format";
import { CareLinkState } from "../gen/stepwise/v1/care_pb";
import type { LiveEvent } from "../live";
import { coalesced } from "../tasks";
import { type LiveListeners, type OnProblem, problemNotice, type View } from "./common";
import { calendarSection } from "./client/calendar";
import { checkInsSection } from "./client/checkins";
import { efficacySection } from "./client/efficacy";
import { goalsSection } from "./client/goals";
import { progressSection } from "./client/progress";
import type { Section } from "./client/section";

/**
 * The sections, top to bottom. Assessments (with severity bands), goal
 * attainment ratings, skill practice and comments join this list, each as
 * its own module, once the API offers them.
 */
const SECTIONS: readonly Section[] = [
  progressSection,
  goalsSection,
  calendarSection,
  efficacySection,
  checkInsSection,
];

export function clientView(
  clientId: string,
  caseload: Caseload,
  live: LiveListeners,
  onProblem: OnProblem,
): View {
  const charts = new Charts();
  const title = el("h1", { id: "client-title" });
  const asOf = el("p", { class: "updated" });
  const notice = el("div", { class: "client-notice" });
  const body = el("div", { class: "sections" }, el("p", { class: "loading" }, "Loading…"));
  const node = el(
    "section",
    { class: "client", "aria-labelledby": "client-title" },
    el("p", { class: "back" }, el("a", { href: "#/" }, "\u2190 Back to the caseload")),
    el("div", { class: "view-head" }, title, asOf),
    notice,
    body,
  );
  let records: ClientRecords | undefined;
  let gone = false;
  let loading: AbortController | undefined;

  // Remembered, so the name still shows once a revocation removed the client
  // from the caseload.
  let knownName: string | undefined;
  const name = () => (knownName = caseload.client(clientId)?.displayName ?? knownName);
  const showName = () => {
    const known = name();
    replace(title, known ?? (records ? "Client" : "Loading…"));
    if (known && node.isConnected) document.title = `${known} · Stepwise`;
  };

  function render(): void {
    charts.destroy();
    showName();
    if (!records) return;
    replace(asOf, `As of ${longDate(records.asOf)}, the client's today`);
    const context = {
      records,
      name: name() ?? "This client",
      charts,
      chartWidth: Math.max(280, Math.min(860, (node.isConnected ? body.clientWidth : window.innerWidth) - 32)),
    };
    replace(
      body,
      SECTIONS.map((section) =>
        el(
          "section",
          { class: `section section-${section.id}`, "aria-labelledby": `section-${section.id}` },
          el("h2", { id: `section-${section.id}` }, section.title),
          section.render(context),
        ),
      ),
    );
  }

  /** The client's data is no longer ours to show: drop it. */
  function withdraw(problem: Problem): void {
    gone = true;
    replace(title, name() ?? "Client");
    records = undefined;
    charts.destroy();
    loading?.abort();
    replace(asOf);
    replace(notice);
    replace(body, problemNotice(problem), el("p", null, el("a", { href: "#/" }, "Back to the caseload")));
  }

  const reload = coalesced(async () => {
    if (gone) return;
    loading = new AbortController();
    try {
      records = await loadClient(clientId, loading.signal);
      replace(notice);
      render();
    } catch (error) {
      const problem = explain(error, name() ?? "This client");
      if (problem.kind === "canceled" || onProblem(problem)) return;
      if (problem.kind === "revoked" || problem.kind === "not-found") withdraw(problem);
      else replace(notice, problemNotice(problem));
    }
  }, 1000);

  const listener = (event: LiveEvent) => {
    if (event.kind === "connected") reload();
    else if (event.clientId !== clientId) return;
    else if (event.kind === "change") reload();
    else if (event.link.state === CareLinkState.REVOKED) {
      withdraw({
        kind: "revoked",
        message: `${name() ?? "This client"} no longer shares their data with you: the care link was revoked.`,
      });
    }
  };
  live.add(listener);
  const unsubscribe = caseload.subscribe(showName);
  reload();
  return {
    node,
    dispose() {
      live.delete(listener);
      unsubscribe();
      loading?.abort();
      gone = true;
      charts.destroy();
    },
  };
}
