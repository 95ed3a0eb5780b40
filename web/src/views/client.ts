// The client page: what changed since the last session, one client's
// progress, questionnaires, goals, attainment, calendar, self-efficacy, skills
// and recent check-ins, with comment threads and the forms a therapist uses;
// reloaded when the live stream reports a change of theirs, and cleared at
// once when their link is revoked.

import { Charts } from "../charts";
import type { Caseload } from "../data/caseload";
import { type ClientRecords, loadClient } from "../data/client";
import { el, replace } from "../dom";
import { explain, type Problem } from "../errors";
import { longDate } from "../format";
import { CareLinkState } from "../gen/stepwise/v1/care_pb";
import { Flag } from "../gen/stepwise/v1/care_service_pb";
import type { LiveEvent } from "../live";
import { coalesced } from "../tasks";
import { crisisNote } from "./assessments";
import { type LiveListeners, type OnProblem, problemNotice, type View } from "./common";
import { calendarSection } from "./client/calendar";
import { assignmentsSection } from "./client/assignments";
import { attainmentSection } from "./client/attainment";
import { checkInsSection } from "./client/checkins";
import { digestSection } from "./client/digest";
import { efficacySection } from "./client/efficacy";
import { goalsSection } from "./client/goals";
import { progressSection } from "./client/progress";
import { questionnairesSection } from "./client/questionnaires";
import { acknowledgeForm, safetyPlanLink } from "./client/risk";
import { safetyPlanSection } from "./client/safety_plan";
import type { Kept, Section } from "./client/section";
import { skillsSection } from "./client/skills";
import { thoughtsSection } from "./client/thoughts";

/** The sections, top to bottom: what a therapist preparing a session reads first. */
const SECTIONS: readonly Section[] = [
  digestSection,
  progressSection,
  questionnairesSection,
  safetyPlanSection,
  assignmentsSection,
  goalsSection,
  attainmentSection,
  calendarSection,
  efficacySection,
  skillsSection,
  thoughtsSection,
  checkInsSection,
];

export function clientView(
  clientId: string,
  me: string,
  caseload: Caseload,
  live: LiveListeners,
  onProblem: OnProblem,
): View {
  const charts = new Charts();
  const title = el("h1", { id: "client-title" });
  const asOf = el("p", { class: "updated" });
  const notice = el("div", { class: "client-notice" });
  const risk = el("div", { class: "client-risk" });
  const riskStatus = el("div", { role: "status" });
  const body = el("div", { class: "sections" }, el("p", { class: "loading" }, "Loading…"));
  const node = el(
    "section",
    { class: "client", "aria-labelledby": "client-title" },
    el("p", { class: "back" }, el("a", { href: "#/" }, "\u2190 Back to the caseload")),
    el("div", { class: "view-head" }, title, asOf),
    notice,
    risk,
    riskStatus,
    body,
  );
  let records: ClientRecords | undefined;
  let gone = false;
  let loading: AbortController | undefined;
  const kept = new Map<string, Kept>();
  const keep = (key: string, make: () => Kept): HTMLElement => {
    let part = kept.get(key);
    if (part) part.update?.();
    else kept.set(key, (part = make()));
    return part.node;
  };

  // Remembered, so the name still shows once a revocation removed the client
  // from the caseload.
  let knownName: string | undefined;
  const name = () => (knownName = caseload.client(clientId)?.displayName ?? knownName);
  // Made once, so what a therapist types survives the page's renderings.
  const acknowledge = acknowledgeForm(
    clientId,
    () => name() ?? "this client",
    riskStatus,
    () => caseload.refresh(),
    onProblem,
  );
  const showName = () => {
    const known = name();
    replace(title, known ?? (records ? "Client" : "Loading…"));
    if (known && node.isConnected) document.title = `${known} · Stepwise`;
    // The caseload's flags are the server's judgement: a risk alert open
    // until a therapist acknowledges it.
    const atRisk = !gone && caseload.client(clientId)?.flags.includes(Flag.SELF_HARM_RISK);
    replace(
      risk,
      atRisk
        ? [
            crisisNote(`${known ?? "This client"} reported thoughts of self-harm on a PHQ-9 that no therapist has acknowledged yet.`),
            safetyPlanLink(),
            acknowledge,
          ]
        : null,
    );
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
      me,
      keep,
      refresh: () => reload(),
      onProblem,
    };
    // A kept form survives the new rendering; so does the focus inside it.
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
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
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus();
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
    replace(risk);
    kept.clear();
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
