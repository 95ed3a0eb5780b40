// Goals and the action steps under them, each step with its own figures,
// and each goal with its comment thread.

import { el } from "../../dom";
import { longDate, percent } from "../../format";
import type { ActionStep } from "../../gen/stepwise/v1/action_step_pb";
import { type Goal, GoalStatus } from "../../gen/stepwise/v1/goal_pb";
import type { StepProgress } from "../../gen/stepwise/v1/progress_service_pb";
import { goalStatusText, scheduleText, stepStatusText } from "../common";
import { commentThread } from "./comments";
import type { Section } from "./section";

/** Active goals first, then achieved, then archived; otherwise as listed. */
function rank(goal: Goal): number {
  return goal.status === GoalStatus.ARCHIVED ? 2 : goal.status === GoalStatus.ACHIEVED ? 1 : 0;
}

export const goalsSection: Section = {
  id: "goals",
  title: "Goals and action steps",
  render(context) {
    const { records } = context;
    if (records.goals.length === 0) {
      return el("p", { class: "empty" }, "No goals yet.");
    }
    const goals = [...records.goals].sort((a, b) => rank(a) - rank(b));
    return el(
      "div",
      { class: "goals" },
      goals.map((goal) => {
        const steps = records.steps.get(goal.id) ?? [];
        const by = goal.createdBy && goal.createdBy !== records.clientId ? "set by a therapist" : "set by the client";
        return el(
          "article",
          { class: "goal", "aria-labelledby": `goal-${goal.id}` },
          el("h3", { id: `goal-${goal.id}`, class: "goal-title" }, goal.title),
          el(
            "p",
            { class: "meta" },
            [goalStatusText(goal.status), goal.targetDate ? `target ${longDate(goal.targetDate)}` : null, by]
              .filter(Boolean)
              .join(" · "),
          ),
          goal.why ? el("p", { class: "why" }, el("span", { class: "label" }, "Why it matters: "), goal.why) : null,
          steps.length === 0
            ? el("p", { class: "empty" }, "No action steps yet.")
            : el(
                "ul",
                { class: "steps", "aria-label": "Action steps" },
                steps.map((step) => stepItem(step, records.stepProgress.get(step.id))),
              ),
          commentThread(context, { case: "goalId", value: goal.id }, "this goal"),
        );
      }),
    );
  },
};

function stepItem(step: ActionStep, progress: StepProgress | undefined): HTMLElement {
  const stats = progress?.stats;
  const figures = stats
    ? [
        `adherence 7 days ${percent(stats.adherence7d) ?? "n/a"}`,
        `habit strength ${percent(stats.habitStrength)}`,
        `streak ${stats.currentStreak} (best ${stats.bestStreak})`,
      ].join(" · ")
    : undefined;
  return el(
    "li",
    { class: "step" },
    el("span", { class: "step-title" }, step.title),
    el("span", { class: "step-meta" }, `${scheduleText(step.schedule)} · ${stepStatusText(step.status)}`),
    figures ? el("span", { class: "step-figures" }, figures) : null,
  );
}
