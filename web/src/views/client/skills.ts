// Coping skills (SkillService): how often the client practised, how much a
// practice lowers their distress (SUDS, 0 to 100) and which way that goes,
// per skill and overall, and the practices of the last weeks. A practice
// note the client kept private shows as "Private".

import { el } from "../../dom";
import { longDate, percent } from "../../format";
import { SkillCategory, SkillTrend } from "../../gen/stepwise/v1/skill_pb";
import { count, dataTable, figure, missing, orMissing, privateText } from "../common";
import { PRACTICE_DAYS } from "../../data/client";
import type { Section } from "./section";

const CATEGORY: Record<SkillCategory, string> = {
  [SkillCategory.UNSPECIFIED]: "Other",
  [SkillCategory.BREATHING]: "Breathing",
  [SkillCategory.MINDFULNESS]: "Mindfulness",
  [SkillCategory.GROUNDING]: "Grounding",
  [SkillCategory.RELAXATION]: "Relaxation",
  [SkillCategory.COMMUNICATION]: "Communication",
  [SkillCategory.PROBLEM_SOLVING]: "Problem solving",
  [SkillCategory.OTHER]: "Other",
};

/** Which way the relief goes: a short word, and what it means. */
const TREND: Record<SkillTrend, [string, string]> = {
  [SkillTrend.UNSPECIFIED]: ["Not known", ""],
  [SkillTrend.INSUFFICIENT_DATA]: ["Too early", "fewer than 3 practices in one of the last two fortnights"],
  [SkillTrend.IMPROVING]: ["Improving", "5 points or more relief than the 2 weeks before"],
  [SkillTrend.STEADY]: ["Steady", "within 5 points of the 2 weeks before"],
  [SkillTrend.WORSENING]: ["Worsening", "5 points or less relief than the 2 weeks before"],
};

/** A mean drop in SUDS points: "12.5 points". */
function drop(points: number | undefined): string | undefined {
  return points === undefined ? undefined : `${points.toFixed(1)} points`;
}

export const skillsSection: Section = {
  id: "skills",
  title: "Coping skills",
  render({ records }) {
    if (records.skills.length === 0) {
      return el("p", { class: "empty" }, "No coping skills yet.");
    }
    const all = records.skillStats.all;
    const titles = new Map(records.skills.map((s) => [s.id, s.title]));
    const practices = [...records.practices.values()]
      .flat()
      .sort((a, b) => b.localDate.localeCompare(a.localDate) || a.id.localeCompare(b.id));
    return [
      el(
        "p",
        { class: "help" },
        "Distress on the Subjective Units of Distress Scale, from 0 (none) to 100 (the worst imaginable); a practice's drop is distress before minus after.",
      ),
      el(
        "dl",
        { class: "figures" },
        figure("Practices, 7 days", String(all?.practices7d ?? 0)),
        figure("Practices, 28 days", String(all?.practices28d ?? 0)),
        figure("Mean distress drop, 28 days", orMissing(drop(all?.meanDistressDrop28d), "no practices")),
        figure("Practices that lowered distress", orMissing(percent(all?.loweredShare28d), "no practices")),
        figure("Relief trend", ...TREND[all?.trend ?? SkillTrend.UNSPECIFIED]),
      ),
      dataTable({
        attrs: { class: "skills" },
        caption: "Each skill over the last 28 days",
        columns: [
          "Skill",
          "Kind",
          { label: "Practices, 7 days", num: true },
          { label: "Practices, 28 days", num: true },
          { label: "Mean drop", num: true },
          "Relief trend",
        ],
        rows: records.skills.map((skill) => {
          const stats = records.skillStats.bySkill.get(skill.id);
          return el(
            "tr",
            null,
            el("th", { scope: "row" }, skill.title),
            el("td", null, CATEGORY[skill.category]),
            el("td", { class: "num" }, String(stats?.practices7d ?? 0)),
            el("td", { class: "num" }, String(stats?.practices28d ?? 0)),
            el("td", { class: "num" }, orMissing(drop(stats?.meanDistressDrop28d), "no practices")),
            el("td", null, TREND[stats?.trend ?? SkillTrend.UNSPECIFIED].filter(Boolean).join(": ")),
          );
        }),
      }),
      practices.length === 0
        ? el("p", { class: "empty" }, `No practices in the last ${PRACTICE_DAYS} days.`)
        : el(
            "details",
            null,
            el("summary", null, `Practices of the last ${PRACTICE_DAYS} days (${count(practices.length, "practice")})`),
            dataTable({
              attrs: { class: "practices" },
              caption: "Practices, newest first",
              columns: [
                "Day",
                "Skill",
                { label: "Distress before", num: true },
                { label: "After", num: true },
                { label: "Minutes", num: true },
                "Note",
              ],
              rows: practices.map((p) =>
                el(
                  "tr",
                  null,
                  el("td", null, el("time", { datetime: p.localDate }, longDate(p.localDate))),
                  el("td", null, titles.get(p.skillId) ?? "(a deleted skill)"),
                  el("td", { class: "num" }, String(p.distressBefore)),
                  el("td", { class: "num" }, String(p.distressAfter)),
                  el("td", { class: "num" }, p.durationMinutes ? String(p.durationMinutes) : missing("not given")),
                  el("td", { class: "note" }, privateText(p.privateNote, p.note)),
                ),
              ),
            }),
          ),
    ];
  },
};
