// The client's safety plan (SafetyPlanService), after Stanley & Brown's
// Safety Planning Intervention: the six steps and the reasons for living, as
// the client and their therapists last saved it, with who saved it and when,
// and the form a therapist saves a new version with (written with the
// client, in a session). Each save names the version it was edited from: if
// someone saved another meanwhile, the server refuses it rather than
// overwrite theirs.

import { safetyPlans } from "../../api";
import { el } from "../../dom";
import { dateTime } from "../../format";
import type { SafetyPlan, SafetyPlanAgency, SafetyPlanContact } from "../../gen/stepwise/v1/safety_plan_pb";
import { act, done } from "../common";
import { agencies, contacts, lines } from "../../plan_lines";
import type { Kept, Section, SectionContext } from "./section";

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
  render(context) {
    const { records, name } = context;
    const plan = records.safetyPlan;
    // One form per version: a version saved meanwhile brings a fresh one.
    // What a save did shows beside it, as the form it came from goes.
    const status = context.keep("safety-plan-status", () => ({ node: el("div", { role: "status" }) }));
    const form = [
      context.keep(`safety-plan-form:${plan?.revision ?? 0}`, () => planForm(context, plan, status)),
      status,
    ];
    if (!plan) {
      return [el("p", { class: "empty" }, `${name} has no safety plan yet. Write one with them below.`), form];
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
      form,
    ];
  },
};

function planForm(context: SectionContext, plan: SafetyPlan | undefined, status: HTMLElement): Kept {
  const box = (id: string, label: string, value: string) => {
    const area = el("textarea", { id: `plan-${id}`, name: id, rows: 3 });
    area.value = value;
    return { area, field: el("div", { class: "field field-wide" }, el("label", { for: `plan-${id}` }, label), area) };
  };
  const joined = (items: readonly string[]) => items.join("\n");
  const warningSigns = box("warning-signs", "1. Warning signs (one per line)", joined(plan?.warningSigns ?? []));
  const coping = box("coping", "2. Internal coping strategies (one per line)", joined(plan?.copingStrategies ?? []));
  const distractions = box(
    "distractions",
    "3. People and social settings that provide distraction (one per line: name, phone)",
    joined((plan?.distractions ?? []).map(contact)),
  );
  const people = box(
    "people",
    "4. People to ask for help (one per line: name, phone)",
    joined((plan?.peopleToAsk ?? []).map(contact)),
  );
  const professionals = box(
    "professionals",
    "5. Professionals and agencies (one per line: name, phone, hours)",
    joined((plan?.professionals ?? []).map(agency)),
  );
  const environment = box("environment", "6. Making the environment safe (one per line)", joined(plan?.safeEnvironment ?? []));
  const reasons = box("reasons", "Reasons for living (one per line)", joined(plan?.reasonsForLiving ?? []));
  const button = el("button", { type: "submit", class: "primary" }, "Save a new version");
  const form = el(
    "form",
    {
      class: "inline-form",
      "aria-labelledby": "plan-form-title",
      on: {
        submit: (event) => {
          event.preventDefault();
          void act(
            button,
            status,
            context.onProblem,
            async () => {
              const saved = await safetyPlans.updateSafetyPlan({
                safetyPlan: {
                  clientId: context.records.clientId,
                  revision: plan?.revision ?? 0n,
                  warningSigns: lines(warningSigns.area.value),
                  copingStrategies: lines(coping.area.value),
                  distractions: contacts(distractions.area.value),
                  peopleToAsk: contacts(people.area.value),
                  professionals: agencies(professionals.area.value),
                  safeEnvironment: lines(environment.area.value),
                  reasonsForLiving: lines(reasons.area.value),
                },
              });
              context.refresh();
              return done(`Saved as version ${saved.revision} of ${context.name}'s safety plan.`);
            },
            context.name,
          );
        },
      },
    },
    el("h3", { id: "plan-form-title" }, plan ? "Save a new version of the plan" : "Write the plan"),
    warningSigns.field,
    coping.field,
    distractions.field,
    people.field,
    professionals.field,
    environment.field,
    reasons.field,
    button,
  );
  return { node: el("details", { class: "plan-edit" }, el("summary", null, "Edit the safety plan"), form) };
}
