// The top of a client page while a risk alert is open: a link to the
// client's safety plan, and the form a therapist acknowledges the alert with
// (CareService.AcknowledgeRisk: what they did, and a note only therapists
// read). One acknowledgement closes the alert for every therapist of the
// client; the flag leaves the caseload when the summaries reload.

import { care } from "../../api";
import { el } from "../../dom";
import { RiskAction } from "../../gen/stepwise/v1/risk_alert_pb";
import { act, done, type OnProblem } from "../common";
import { SAFETY_PLAN_SECTION } from "./safety_plan";

/** The longest note the server takes. */
const NOTE_MAX = 2000;

const ACTIONS: readonly [RiskAction, string][] = [
  [RiskAction.CONTACTED_CLIENT, "Contacted the client"],
  [RiskAction.REVIEWED_SAFETY_PLAN, "Reviewed the safety plan with them"],
  [RiskAction.ESCALATED, "Escalated (crisis team, emergency services, supervisor)"],
];

/** A link that brings the client's safety plan section into view. */
export function safetyPlanLink(): HTMLElement {
  return el(
    "p",
    null,
    el(
      "a",
      {
        href: `#section-${SAFETY_PLAN_SECTION}`,
        on: {
          // The page's hash is its route: scroll instead of navigating.
          click: (event) => {
            event.preventDefault();
            document.getElementById(`section-${SAFETY_PLAN_SECTION}`)?.scrollIntoView();
          },
        },
      },
      "Read the client's safety plan",
    ),
  );
}

/**
 * The acknowledgement form; `status` (outside the banner, which goes once
 * the alert is closed) says what it did; `acknowledged` reloads what shows
 * the flag.
 */
export function acknowledgeForm(
  clientId: string,
  name: () => string,
  status: HTMLElement,
  acknowledged: () => void,
  onProblem: OnProblem,
): HTMLFormElement {
  const action = el(
    "select",
    { id: "risk-action", name: "action", required: true },
    ACTIONS.map(([value, label]) => el("option", { value: String(value) }, label)),
  );
  const note = el("textarea", { id: "risk-note", name: "note", rows: 2, maxlength: NOTE_MAX });
  const button = el("button", { type: "submit", class: "primary" }, "Acknowledge");
  return el(
    "form",
    {
      class: "inline-form risk-acknowledge",
      "aria-labelledby": "risk-acknowledge-title",
      on: {
        submit: (event) => {
          event.preventDefault();
          void act(
            button,
            status,
            onProblem,
            async () => {
              await care.acknowledgeRisk({ clientId, action: Number(action.value), note: note.value });
              note.value = "";
              acknowledged();
              return done(`Acknowledged for every therapist of ${name()}: the self-harm flag is closed.`);
            },
            name(),
          );
        },
      },
    },
    el("h3", { id: "risk-acknowledge-title" }, "Acknowledge the alert"),
    el("div", { class: "field" }, el("label", { for: "risk-action" }, "What you did"), action),
    el("div", { class: "field" }, el("label", { for: "risk-note" }, "Note (therapists only; the client never sees it)"), note),
    button,
  );
}
