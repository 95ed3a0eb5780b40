// Goal attainment scaling: for each goal with a scale, its five levels in
// the client's words with the baseline and the current level marked, and
// the ratings over time. The T-score over all goals is in the progress
// figures.

import { el } from "../../dom";
import { longDate } from "../../format";
import { type AttainmentRating, AttainmentLevel, type AttainmentScale } from "../../gen/stepwise/v1/attainment_pb";
import type { Goal } from "../../gen/stepwise/v1/goal_pb";
import type { Section } from "./section";

/** The levels from best to worst, as a scale is read: value, sign, and the scale's words. */
const LEVELS: readonly { level: AttainmentLevel; value: string; words: (s: AttainmentScale) => string }[] = [
  { level: AttainmentLevel.MUCH_MORE_THAN_EXPECTED, value: "+2", words: (s) => s.muchMoreThanExpected },
  { level: AttainmentLevel.MORE_THAN_EXPECTED, value: "+1", words: (s) => s.moreThanExpected },
  { level: AttainmentLevel.EXPECTED, value: "0", words: (s) => s.expected },
  { level: AttainmentLevel.LESS_THAN_EXPECTED, value: "\u22121", words: (s) => s.lessThanExpected },
  { level: AttainmentLevel.MUCH_LESS_THAN_EXPECTED, value: "\u22122", words: (s) => s.muchLessThanExpected },
];

/** A level as "+1" (its place on the scale). */
export function levelValue(level: AttainmentLevel): string {
  return LEVELS.find((l) => l.level === level)?.value ?? "?";
}

export const attainmentSection: Section = {
  id: "attainment",
  title: "Goal attainment",
  render({ records, name }) {
    const scaled = records.goals.filter((goal) => goal.attainmentScale);
    if (scaled.length === 0) {
      return el("p", { class: "empty" }, "No goal has an attainment scale yet.");
    }
    return [
      el(
        "p",
        { class: "help" },
        "Each scaled goal has five outcomes written when it was set, from \u22122 (much less than expected) to +2 (much more); 0 is the expected outcome.",
      ),
      scaled.map((goal) => scale(goal, records.attainments.get(goal.id) ?? [], records.clientId, name)),
    ];
  },
};

function scale(goal: Goal, ratings: AttainmentRating[], clientId: string, name: string): HTMLElement {
  const s = goal.attainmentScale as AttainmentScale;
  const current = ratings.at(-1);
  const by = (r: AttainmentRating) => (r.createdBy === clientId ? name : "a therapist");
  return el(
    "div",
    { class: "attainment", "data-goal": goal.id },
    el("h3", null, goal.title),
    el(
      "p",
      { class: "meta" },
      current
        ? `Now at ${levelValue(current.level)}, rated ${longDate(current.localDate)} by ${by(current)}`
        : "Not rated yet",
      ` · started at ${levelValue(s.baselineLevel)} · weight ${s.weight || 1}`,
    ),
    el(
      "ol",
      { class: "levels", "aria-label": `Attainment scale of ${goal.title}` },
      LEVELS.map(({ level, value, words }) =>
        el(
          "li",
          { class: level === current?.level ? "level level-current" : "level" },
          el("span", { class: "level-value" }, value),
          el("span", { class: "level-words" }, words(s)),
          level === current?.level ? el("strong", { class: "level-mark" }, "now") : null,
          level === s.baselineLevel ? el("span", { class: "level-mark" }, "at the start") : null,
        ),
      ),
    ),
    ratings.length > 1
      ? el(
          "p",
          { class: "meta" },
          "Ratings: ",
          ratings.map((r) => `${levelValue(r.level)} on ${longDate(r.localDate)}`).join(", "),
        )
      : null,
  );
}
