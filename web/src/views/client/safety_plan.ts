// The client's safety plan (SafetyPlanService), after Stanley & Brown's
// Safety Planning Intervention: the six steps and the reasons for living, as
// the client and their therapists last saved it, with who saved it and when.
// Read only here: the plan is written with the client, in a session or on
// their phone.

import { el } from "../../dom";
import { dateTime } from "../../format";
import type { SafetyPlanAgency, SafetyPlanContact } from "../../gen/stepwise/v1/safety_plan_pb";
import type { Section } from "./section";

/** Id of the section's heading, which the risk banner links to. */
export const SAFETY_PLAN_SECTION = "safety-plan";

function entries(title: string, items: readonly string[]): HTMLElement {
  return el(
    "div",
    { class: "plan-step" },
    el("h3", null, title),
    items.length ? el("ul", null, items.map((item) => el("li", null, item))) : el("p", { class: "empty" }, "Nothing written yet."),
  );
}

function contact({ name, phone }: SafetyPlanContact): string {
  return phone ? `${name}, ${phone}` : name;
}

function agency({ name, phone, hours }: SafetyPlanAgency): string {
  return [name, phone, hours].filter(Boolean).join(", ");
}

export const safetyPlanSection: Section = {
  id: SAFETY_PLAN_SECTION,
  title: "Safety plan",
  render({ records, name }) {
    const plan = records.safetyPlan;
    if (!plan) {
      return el("p", { class: "empty" }, `${name} has no safety plan yet. Write one together in the next session.`);
    }
    const saved = plan.saveTime ? dateTime(plan.saveTime) : undefined;
    return [
      el(
        "p",
        { class: "meta" },
        `Version ${plan.revision}`,
        saved ? `, saved ${saved}` : "",
        plan.savedBy === records.clientId ? ` by ${name}` : " by a therapist",
        ".",
      ),
      el(
        "div",
        { class: "plan" },
        entries("1. Warning signs", plan.warningSigns),
        entries("2. Internal coping strategies", plan.copingStrategies),
        entries("3. People and social settings that provide distraction", plan.distractions.map(contact)),
        entries("4. People to ask for help", plan.peopleToAsk.map(contact)),
        entries("5. Professionals and agencies to contact in a crisis", plan.professionals.map(agency)),
        entries("6. Making the environment safe", plan.safeEnvironment),
        entries("Reasons for living", plan.reasonsForLiving),
      ),
    ];
  },
};
