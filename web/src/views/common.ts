// Pieces several views show the same way.

import { type Attrs, type Child, decorative, el, replace, srOnly } from "../dom";
import { explain, type Problem } from "../errors";
import { ActionStepStatus, type Schedule } from "../gen/stepwise/v1/action_step_pb";
import { Flag } from "../gen/stepwise/v1/care_service_pb";
import { CheckInState } from "../gen/stepwise/v1/check_in_pb";
import { GoalStatus } from "../gen/stepwise/v1/goal_pb";
import type { LiveEvent } from "../live";

/** Where live events reach the open views. */
export type LiveListeners = Set<(event: LiveEvent) => void>;

/** A global failure handler: true when it dealt with the problem (signed out). */
export type OnProblem = (problem: Problem) => boolean;

/** A view of the dashboard; `dispose` runs when the user leaves it. */
export interface View {
  node: HTMLElement;
  dispose(): void;
}

/** A missing figure: a dash on screen, words for screen readers. */
export function missing(why: string): Child {
  return [decorative("\u2014"), srOnly(why)];
}

/** A figure or, when unset, a dash that says why. */
export function orMissing(value: string | undefined, why: string): Child {
  return value ?? missing(why);
}

const FLAGS: Record<Flag, { label: string; explain: string; tone: string } | undefined> = {
  [Flag.UNSPECIFIED]: undefined,
  [Flag.SELF_HARM_RISK]: {
    label: "Self-harm risk",
    explain:
      "a PHQ-9 answered item 9 (thoughts of self-harm) above 0 and no therapist has acknowledged it yet; follow up now, then acknowledge it",
    tone: "critical",
  },
  [Flag.NO_SAFETY_PLAN]: {
    label: "No safety plan",
    explain: "at risk of self-harm and without a safety plan; write one with the client",
    tone: "critical",
  },
  [Flag.RELIABLE_DETERIORATION]: {
    label: "Symptoms worse",
    explain: "the latest questionnaire score is reliably worse than the first",
    tone: "danger",
  },
  [Flag.EFFICACY_DROP]: {
    label: "Efficacy drop",
    explain: "self-efficacy fell 20 points or more in 28 days",
    tone: "danger",
  },
  [Flag.INACTIVE]: {
    label: "Inactive",
    explain: "no check-in for 3 days or more",
    tone: "warning",
  },
  [Flag.LOW_ADHERENCE]: {
    label: "Low adherence",
    explain: "under 50% over the last 7 days",
    tone: "caution",
  },
  [Flag.ASSESSMENT_OVERDUE]: {
    label: "Questionnaire overdue",
    explain: "a due questionnaire is more than two days late",
    tone: "caution",
  },
};

/** A flag as a badge with words (colour is never the only signal). */
export function flagBadge(flag: Flag): Child {
  const info = FLAGS[flag];
  if (!info) return null;
  return el(
    "li",
    { class: `badge badge-${info.tone}`, title: info.explain },
    info.label,
    srOnly(`: ${info.explain}`),
  );
}

/** How often a step is meant to be done, in words. */
export function scheduleText(schedule: Schedule | undefined): string {
  if (!schedule) return "no schedule";
  const { times, periodDays } = schedule;
  const count = times === 1 ? "once" : times === 2 ? "twice" : `${times} times`;
  if (periodDays === 1) return times === 1 ? "daily" : `${count} a day`;
  if (periodDays === 7) return `${count} a week`;
  return `${count} every ${periodDays} days`;
}

/** A goal's status in words. */
export function goalStatusText(status: GoalStatus): string {
  switch (status) {
    case GoalStatus.ACHIEVED:
      return "Achieved";
    case GoalStatus.ARCHIVED:
      return "Archived";
    default:
      return "Active";
  }
}

/** A step's status in words. */
export function stepStatusText(status: ActionStepStatus): string {
  switch (status) {
    case ActionStepStatus.PAUSED:
      return "Paused";
    case ActionStepStatus.ARCHIVED:
      return "Archived";
    default:
      return "Active";
  }
}

/** A check-in's state in words. */
export function checkInStateText(state: CheckInState): string {
  switch (state) {
    case CheckInState.DONE:
      return "Done";
    case CheckInState.PARTIAL:
      return "Partly done";
    case CheckInState.SKIPPED:
      return "Skipped";
    default:
      return "Unknown";
  }
}

/** A failure, shown where it happened. */
export function problemNotice(problem: Problem): HTMLElement {
  return el("p", { class: "notice notice-error", role: "alert" }, problem.message);
}

/** A figure with its label, for a `<dl class="figures">`. */
export function figure(label: string, value: Child, detail?: Child): Child {
  return el(
    "div",
    { class: "figure" },
    el("dt", null, label),
    el("dd", null, el("span", { class: "figure-value" }, value), detail ? el("span", { class: "figure-detail" }, detail) : null),
  );
}

/**
 * Runs what a button does: the button is disabled meanwhile, and `status`
 * then shows what `work` returns, or the failure in words (unless
 * `onProblem` dealt with it: signed out). Resolves to whether it worked.
 */
export async function act(
  button: HTMLButtonElement,
  status: HTMLElement,
  onProblem: OnProblem,
  work: () => Promise<Child>,
  about?: string,
): Promise<boolean> {
  button.disabled = true;
  replace(status);
  try {
    replace(status, await work());
    return true;
  } catch (error) {
    const problem = explain(error, about);
    if (!onProblem(problem)) replace(status, problemNotice(problem));
    return false;
  } finally {
    button.disabled = false;
  }
}

/** A short confirmation of what a form did. */
export function done(text: string): HTMLElement {
  return el("p", { class: "notice notice-ok" }, text);
}

/** "1 thing", "2 things". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A note as a therapist may see it: one the client kept private arrives
 * blank and shows as "Private"; an empty one as a dash.
 */
export function privateText(isPrivate: boolean, note: string): Child {
  if (isPrivate) return el("em", { class: "private" }, "Private");
  return note || missing("no note");
}

/** A column of a [`dataTable`]: its header, and whether it holds figures. */
export type Column = string | { label: Child; num?: boolean };

/**
 * A table of records in its scrolling box: a caption (for screen readers
 * only when `hiddenCaption`), a header row of `columns`, and `rows`.
 */
export function dataTable(options: {
  attrs: Attrs;
  caption: Child;
  hiddenCaption?: boolean;
  columns: readonly Column[];
  rows: Child;
}): HTMLElement {
  const header = (column: Column) =>
    typeof column === "string"
      ? el("th", { scope: "col" }, column)
      : el("th", { scope: "col", class: column.num ? "num" : null }, column.label);
  return el(
    "div",
    { class: "table-scroll" },
    el(
      "table",
      options.attrs,
      el("caption", options.hiddenCaption ? { class: "visually-hidden" } : null, options.caption),
      el("thead", null, el("tr", null, options.columns.map(header))),
      el("tbody", null, options.rows),
    ),
  );
}

/** The words that say a table holds more columns than its box shows. */
const SCROLL_HINT = "Scroll sideways to see every column \u2192";

/**
 * A table too wide for a tablet, in a card: `caption` (the table's name,
 * through its `aria-labelledby`) above the box the table scrolls sideways
 * in, so the caption is never cut off with the columns. While the table
 * does not fit, a hint says so and shadows show the sides with more
 * columns: `data-more` lists them ("left", "right") for the stylesheet.
 */
export function wideTable(caption: HTMLElement, table: HTMLTableElement): HTMLElement {
  const box = el("div", { class: "table-scroll" }, table);
  const node = el(
    "div",
    { class: "wide-table" },
    el(
      "div",
      { class: "wide-table-head" },
      caption,
      el("p", { class: "scroll-hint", "aria-hidden": "true" }, SCROLL_HINT),
    ),
    el("div", { class: "scroll-frame" }, box),
  );
  const mark = () => {
    const end = box.scrollWidth - box.clientWidth;
    const more = [box.scrollLeft > 1 ? "left" : "", box.scrollLeft < end - 1 ? "right" : ""].join(" ").trim();
    if ((node.dataset.more ?? "") === more) return;
    if (more) node.dataset.more = more;
    else delete node.dataset.more;
  };
  box.addEventListener("scroll", mark, { passive: true });
  // Also once the box is on the page (before it is first drawn, so a live
  // re-rendering never flickers) and whenever its width changes. The hint
  // this shows or hides changes the box's width only if it makes the page's
  // scroll bar come or go; the browser then reports that width a frame later.
  new ResizeObserver(mark).observe(box);
  return node;
}

/** A header of a column that holds buttons, named for screen readers only. */
export const ACTIONS: Column = { label: srOnly("Actions") };
