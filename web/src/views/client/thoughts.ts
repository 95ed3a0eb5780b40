// Thought records (InsightService) of the last weeks: the situation, the
// automatic thought, the emotions before and after, the thinking traps the
// client named, and the balanced thought, with their statistics. Records
// the client keeps private never reach the dashboard: the server leaves
// them out of lists and counts alike.

import { el } from "../../dom";
import { longDate, signed } from "../../format";
import { CognitiveDistortion, type Emotion, type ThoughtRecord } from "../../gen/stepwise/v1/thought_record_pb";
import { PRACTICE_DAYS } from "../../data/client";
import { figure, missing, orMissing } from "../common";
import type { Section } from "./section";

/** COGNITIVE_DISTORTION_ALL_OR_NOTHING_THINKING as "all or nothing thinking". */
export function distortionName(distortion: CognitiveDistortion): string {
  return (CognitiveDistortion[distortion] ?? "other").toLowerCase().replaceAll("_", " ");
}

/** A mean change on a 0–100 scale: "−22.5". */
function change(points: number | undefined): string | undefined {
  if (points === undefined) return undefined;
  const rounded = Math.round(points * 10) / 10;
  return rounded === 0 ? "\u00b10" : `${rounded > 0 ? "+" : "\u2212"}${Math.abs(rounded).toFixed(1)}`;
}

function emotion(e: Emotion): string {
  return e.intensityAfter === undefined
    ? `${e.name} ${e.intensityBefore}`
    : `${e.name} ${e.intensityBefore} \u2192 ${e.intensityAfter} (${signed(e.intensityAfter - e.intensityBefore)})`;
}

export const thoughtsSection: Section = {
  id: "thoughts",
  title: "Thought records",
  render({ records }) {
    const stats = records.insights;
    if (records.thoughts.length === 0) {
      return el("p", { class: "empty" }, `No thought records shared in the last ${PRACTICE_DAYS} days.`);
    }
    return [
      el(
        "dl",
        { class: "figures" },
        figure(`Records, ${PRACTICE_DAYS} days`, String(stats.records)),
        figure("Mean emotion change", orMissing(change(stats.meanEmotionChange), "not rated again"), "0 to 100, after minus before"),
        figure("Mean belief change", orMissing(change(stats.meanBeliefChange), "not rated again"), "in the automatic thought"),
        figure(
          "Most frequent thinking traps",
          stats.distortions.length
            ? el("span", { class: "figure-text" }, stats.distortions.slice(0, 3).map((d) => `${distortionName(d.distortion)} (${d.count})`).join(", "))
            : missing("none named"),
        ),
      ),
      el(
        "ol",
        { class: "thoughts" },
        [...records.thoughts].reverse().map((record) => item(record)),
      ),
    ];
  },
};

function item(record: ThoughtRecord): HTMLElement {
  const field = (label: string, value: string) =>
    value ? el("div", null, el("dt", null, label), el("dd", null, value)) : null;
  return el(
    "li",
    { class: "thought" },
    el("p", { class: "meta" }, el("time", { datetime: record.localDate }, longDate(record.localDate))),
    el(
      "dl",
      null,
      field("Situation", record.situation),
      field("Automatic thought", record.automaticThought),
      field("Emotions", record.emotions.map(emotion).join("; ")),
      field("Thinking traps", record.distortions.map(distortionName).join(", ")),
      field("Balanced thought", record.balancedThought),
      field(
        "Belief in the thought",
        record.beliefBefore === undefined
          ? ""
          : record.beliefAfter === undefined
            ? `${record.beliefBefore}`
            : `${record.beliefBefore} \u2192 ${record.beliefAfter}`,
      ),
    ),
  );
}
