// The check-in calendar: a heat map of the last weeks, one cell per day,
// by what the client logged that day over all their action steps.

import { CALENDAR_WEEKS } from "../../data/client";
import { decorative, el, srOnly } from "../../dom";
import { addDays, longDate, monthName } from "../../format";
import { CheckInState } from "../../gen/stepwise/v1/check_in_pb";
import type { Section } from "./section";

const WEEKDAYS = [
  ["Mon", "Monday"],
  ["Tue", "Tuesday"],
  ["Wed", "Wednesday"],
  ["Thu", "Thursday"],
  ["Fri", "Friday"],
  ["Sat", "Saturday"],
  ["Sun", "Sunday"],
] as const;

/** How a day went; the cell's class, its mark and its words. */
type Day = "done" | "partial" | "skipped" | "none" | "future";

const MARK: Record<Day, string> = { done: "\u2713", partial: "\u00bd", skipped: "\u2013", none: "", future: "" };

interface Counts {
  done: number;
  partial: number;
  skipped: number;
}

function dayOfMonth(date: string): number {
  return Number(date.slice(8, 10));
}

/** Any partly done step makes the day partial; only skips make it skipped. */
function classify(counts: Counts | undefined): Day {
  if (!counts) return "none";
  if (counts.partial > 0) return "partial";
  if (counts.done > 0) return "done";
  return counts.skipped > 0 ? "skipped" : "none";
}

function describe(counts: Counts | undefined): string {
  if (!counts) return "no check-in";
  return (
    [
      counts.done ? `${counts.done} done` : "",
      counts.partial ? `${counts.partial} partly done` : "",
      counts.skipped ? `${counts.skipped} skipped` : "",
    ]
      .filter(Boolean)
      .join(", ") || "no check-in"
  );
}

export const calendarSection: Section = {
  id: "calendar",
  title: `Check-ins, last ${CALENDAR_WEEKS} weeks`,
  render({ records }) {
    const days = new Map<string, Counts>();
    for (const checkIn of records.checkIns) {
      const counts = days.get(checkIn.localDate) ?? { done: 0, partial: 0, skipped: 0 };
      if (checkIn.state === CheckInState.DONE) counts.done++;
      else if (checkIn.state === CheckInState.PARTIAL) counts.partial++;
      else if (checkIn.state === CheckInState.SKIPPED) counts.skipped++;
      days.set(checkIn.localDate, counts);
    }
    const weeks = Array.from({ length: CALENDAR_WEEKS }, (_, w) => addDays(records.from, 7 * w));
    const cell = (date: string) => {
      if (date > records.asOf) {
        return el("td", { class: "day day-future" }, srOnly("not yet"));
      }
      const counts = days.get(date);
      const kind = classify(counts);
      const words = `${longDate(date)}: ${describe(counts)}`;
      return el("td", { class: `day day-${kind}`, title: words }, decorative(MARK[kind]), srOnly(words));
    };
    // Weeks run left to right, weekdays top to bottom, as in a wall
    // calendar turned on its side: twelve weeks fit in a short block.
    return [
      el(
        "div",
        { class: "table-scroll" },
        el(
          "table",
          { class: "calendar" },
          el("caption", { class: "visually-hidden" }, `Check-ins per day, in weeks from ${longDate(records.from)}`),
          el(
            "thead",
            null,
            el(
              "tr",
              null,
              el("td", null),
              weeks.map((monday, w) =>
                el(
                  "th",
                  { scope: "col", abbr: `Week of ${longDate(monday)}` },
                  // The month above the week it begins in (and the first).
                  el(
                    "span",
                    { class: "month", "aria-hidden": "true" },
                    w === 0 || dayOfMonth(monday) <= 7 ? monthName(monday) : "",
                  ),
                  decorative(String(dayOfMonth(monday))),
                  srOnly(`Week of ${longDate(monday)}`),
                ),
              ),
            ),
          ),
          el(
            "tbody",
            null,
            WEEKDAYS.map(([short, long], d) =>
              el(
                "tr",
                null,
                el("th", { scope: "row", abbr: long }, short),
                weeks.map((monday) => cell(addDays(monday, d))),
              ),
            ),
          ),
        ),
      ),
      el(
        "ul",
        { class: "legend", "aria-label": "Legend" },
        (
          [
            ["done", "Done"],
            ["partial", "Partly done"],
            ["skipped", "Skipped"],
            ["none", "No check-in"],
          ] as const
        ).map(([kind, label]) =>
          el("li", null, el("span", { class: `day day-${kind} swatch` }, decorative(MARK[kind])), label),
        ),
      ),
    ];
  },
};
