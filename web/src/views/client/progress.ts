// Progress at a glance: ProgressService.GetProgress for the whole client,
// goal attainment's T-score among it.

import { el } from "../../dom";
import { percent, signed } from "../../format";
import { count, figure, missing, orMissing } from "../common";
import type { Section } from "./section";

export const progressSection: Section = {
  id: "progress",
  title: "Progress",
  render({ records }) {
    const stats = records.progress.stats;
    const efficacy = records.progress.efficacy;
    const attainment = records.progress.attainment;
    const streak = (n: number) => `${n} ${n === 1 ? "period" : "periods"}`;
    return el(
      "dl",
      { class: "figures" },
      figure("Adherence, 7 days", orMissing(percent(stats?.adherence7d), "nothing scheduled")),
      figure("Adherence, 28 days", orMissing(percent(stats?.adherence28d), "nothing scheduled")),
      figure("Habit strength", percent(stats?.habitStrength ?? 0) ?? missing("no steps")),
      figure(
        "Current streak",
        streak(stats?.currentStreak ?? 0),
        `best ${streak(stats?.bestStreak ?? 0)}`,
      ),
      figure(
        "Self-efficacy",
        efficacy?.latest === undefined ? missing("no ratings yet") : String(efficacy.latest),
        efficacy?.change28d === undefined ? undefined : `${signed(efficacy.change28d)} in 28 days`,
      ),
      figure("Ratings", String(efficacy?.count ?? 0), efficacy?.first === undefined ? undefined : `first ${efficacy.first}`),
      figure(
        "Goal attainment (T-score)",
        attainment?.tScore === undefined ? missing("no goal rated yet") : attainment.tScore.toFixed(1),
        attainment?.tScore === undefined
          ? "no scaled goal rated yet"
          : `over ${count(attainment.goalsRated, "goal")}; 50 is as expected`,
      ),
    );
  },
};
