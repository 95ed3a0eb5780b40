// The questionnaires the client is asked to answer (AssessmentService
// assignments): each with whether it is due or overdue today, a button to
// stop it, and a form to assign an instrument every N days.

import { assessments } from "../../api";
import { el, replace } from "../../dom";
import { addDays, daysBetween, longDate } from "../../format";
import type { Assignment } from "../../gen/stepwise/v1/assessment_pb";
import { instrumentOf } from "../assessments";
import { ACTIONS, act, dataTable, done } from "../common";
import type { Kept, Section, SectionContext } from "./section";

/** The usual interval: every two weeks, as the NHS Talking Therapies ask at each session. */
const DEFAULT_EVERY_DAYS = 14;

export const assignmentsSection: Section = {
  id: "assignments",
  title: "Assigned questionnaires",
  render(context) {
    const { records } = context;
    return [
      records.assignments.length === 0
        ? el("p", { class: "empty" }, `${context.name} has no questionnaire to answer.`)
        : dataTable({
            attrs: { class: "assignments" },
            caption: "Questionnaires assigned to the client",
            hiddenCaption: true,
            columns: ["Questionnaire", "How often", "Today", ACTIONS],
            rows: records.assignments.map((assignment) => row(context, assignment)),
          }),
      context.keep("assign-form", () => assignForm(context)),
    ];
  },
};

function row(context: SectionContext, assignment: Assignment): HTMLElement {
  const { records } = context;
  const name = instrumentOf(records.instruments, assignment.instrumentId)?.shortName ?? "Questionnaire";
  const status = el("div", { role: "status" });
  const stop = el(
    "button",
    {
      type: "button",
      on: {
        click: () =>
          void act(stop, status, context.onProblem, async () => {
            await assessments.cancelAssignment({ id: assignment.id, version: assignment.version });
            context.refresh();
            return done(`${name} cancelled: ${context.name} is no longer asked to answer it.`);
          }, context.name),
      },
    },
    `Stop asking for the ${name}`,
  );
  return el(
    "tr",
    { "data-assignment": assignment.id },
    el("th", { scope: "row" }, name),
    el("td", null, `every ${assignment.everyDays} ${assignment.everyDays === 1 ? "day" : "days"} from ${longDate(assignment.startDate)}`),
    el("td", null, dueState(context, assignment)),
    el("td", null, stop, status),
  );
}

/** Whether the assignment waits for an answer today, or when it next does. */
function dueState(context: SectionContext, assignment: Assignment): HTMLElement {
  const { asOf, due } = context.records;
  const pending = due.get(assignment.id);
  if (pending?.overdue) {
    return el("span", { class: "badge badge-warning" }, `Overdue: due ${longDate(pending.dueDate)}`);
  }
  if (pending) return el("span", { class: "badge badge-caution" }, `Due since ${longDate(pending.dueDate)}`);
  const next =
    assignment.startDate > asOf
      ? assignment.startDate
      : addDays(
          assignment.startDate,
          (Math.floor(daysBetween(assignment.startDate, asOf) / assignment.everyDays) + 1) * assignment.everyDays,
        );
  return el("span", null, `Answered; next due ${longDate(next)}`);
}

function assignForm(context: SectionContext): Kept {
  const { records } = context;
  const status = el("div", { role: "status" });
  const instrument = el(
    "select",
    { id: "assign-instrument", name: "instrument", required: true },
    records.instruments.map((i) => el("option", { value: i.id }, `${i.shortName}: ${i.title}`)),
  );
  const every = el("input", {
    id: "assign-every",
    name: "every",
    type: "number",
    min: 1,
    max: 366,
    value: DEFAULT_EVERY_DAYS,
    required: true,
  });
  const button = el("button", { type: "submit", class: "primary" }, "Assign");
  const form = el(
    "form",
    {
      class: "inline-form",
      "aria-labelledby": "assign-title",
      on: {
        submit: (event) => {
          event.preventDefault();
          const everyDays = Number(every.value);
          if (!Number.isInteger(everyDays) || everyDays < 1 || everyDays > 366) {
            replace(status, el("p", { class: "notice notice-error" }, "Choose a whole number of days from 1 to 366."));
            return;
          }
          const chosen = instrumentOf(records.instruments, instrument.value);
          void act(button, status, context.onProblem, async () => {
            await assessments.assignAssessment({
              assignment: { clientId: records.clientId, instrumentId: instrument.value, everyDays },
            });
            context.refresh();
            return done(
              `Assigned: ${context.name}'s app asks for the ${chosen?.shortName ?? "questionnaire"} every ${everyDays} ${everyDays === 1 ? "day" : "days"}, from today.`,
            );
          }, context.name);
        },
      },
    },
    el("h3", { id: "assign-title" }, "Assign a questionnaire"),
    el("div", { class: "field" }, el("label", { for: "assign-instrument" }, "Questionnaire"), instrument),
    el("div", { class: "field" }, el("label", { for: "assign-every" }, "Every how many days"), every),
    button,
    status,
  );
  return { node: form };
}
