// The self-efficacy trend: each goal's ratings over time as a line, with
// the same data as a table.

import { el } from "../../dom";
import { dateTime, epochSeconds, isoTime } from "../../format";
import type { EfficacyRating } from "../../gen/stepwise/v1/efficacy_rating_pb";
import type { Goal } from "../../gen/stepwise/v1/goal_pb";
import { missing } from "../common";
import type { Section } from "./section";

export const efficacySection: Section = {
  id: "efficacy",
  title: "Self-efficacy",
  render({ records, charts, chartWidth }) {
    const rated = records.goals
      .map((goal) => ({ goal, ratings: (records.ratings.get(goal.id) ?? []).filter((r) => r.rateTime) }))
      .filter((g) => g.ratings.length > 0);
    if (rated.length === 0) {
      return el("p", { class: "empty" }, "No self-efficacy ratings yet.");
    }
    const series = rated.map(({ goal, ratings }) => ({
      label: goal.title,
      points: ratings.map((r) => [epochSeconds(r.rateTime!), r.score] as [number, number]),
    }));
    return [
      el(
        "p",
        { class: "help" },
        "How confident the client is that they can reach each goal, from 0 (not at all) to 100 (certain).",
      ),
      el(
        "figure",
        { class: "chart" },
        charts.trend(series, chartWidth, "Self-efficacy per goal over time; the table below lists every rating."),
        el(
          "figcaption",
          null,
          el(
            "ul",
            { class: "legend", "aria-label": "Goals in the chart" },
            rated.map(({ goal }, i) =>
              el("li", null, el("span", { class: `swatch line swatch-${i % 8}` }), goal.title),
            ),
          ),
        ),
      ),
      el("details", null, el("summary", null, "All ratings as a table"), table(rated)),
    ];
  },
};

function table(rated: { goal: Goal; ratings: EfficacyRating[] }[]): HTMLElement {
  const rows = rated
    .flatMap(({ goal, ratings }) => ratings.map((rating) => ({ goal, rating })))
    .sort((a, b) => epochSeconds(b.rating.rateTime!) - epochSeconds(a.rating.rateTime!));
  return el(
    "table",
    { class: "ratings" },
    el("caption", null, "Self-efficacy ratings, newest first"),
    el(
      "thead",
      null,
      el(
        "tr",
        null,
        el("th", { scope: "col" }, "When"),
        el("th", { scope: "col" }, "Goal"),
        el("th", { scope: "col", class: "num" }, "Score"),
        el("th", { scope: "col" }, "Note"),
      ),
    ),
    el(
      "tbody",
      null,
      rows.map(({ goal, rating }) =>
        el(
          "tr",
          null,
          el("td", null, el("time", { datetime: isoTime(rating.rateTime!) }, dateTime(rating.rateTime!))),
          el("td", null, goal.title),
          el("td", { class: "num" }, String(rating.score)),
          el("td", { class: "note" }, rating.note || missing("no note")),
        ),
      ),
    ),
  );
}
