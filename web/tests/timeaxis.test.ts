// The trend chart's time axis: a few ratings close together span the days
// around them, not years, and the labels say which year they show.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MIN_SPAN_DAYS, TICK_INCREMENTS, tickLabels, timeSpan } from "../src/timeaxis";

const DAY_S = 24 * 3600;
/** Seconds since the epoch of midnight of a date, in this process's time zone. */
function at(year: number, month: number, day: number): number {
  return new Date(year, month - 1, day).getTime() / 1000;
}

test("a single rating, or ratings a minute apart, sit mid-axis among the days around them", () => {
  const rated = at(2026, 12, 7) + 14 * 3600;
  assert.deepEqual(timeSpan(rated, rated), [rated - 7 * DAY_S, rated + 7 * DAY_S]);
  const [from, to] = timeSpan(rated, rated + 60);
  assert.equal(to - from, MIN_SPAN_DAYS * DAY_S);
  assert.ok(from < rated && rated + 60 < to);
  const months = [at(2026, 1, 1), at(2026, 6, 1)] as const;
  assert.deepEqual(timeSpan(...months), months, "a longer history keeps its own span");
});

test("ticks are whole days or longer", () => {
  assert.equal(Math.min(...TICK_INCREMENTS), DAY_S);
});

test("day, month and year labels carry the year first and wherever it changes", () => {
  const days = [at(2026, 12, 28), at(2026, 12, 30), at(2027, 1, 1), at(2027, 1, 3)];
  assert.deepEqual(tickLabels(days, 2 * DAY_S, "en-GB"), ["28 Dec 2026", "30 Dec", "1 Jan 2027", "3 Jan"]);
  const months = [at(2026, 11, 1), at(2026, 12, 1), at(2027, 1, 1)];
  assert.deepEqual(tickLabels(months, 30 * DAY_S, "en-GB"), ["Nov 2026", "Dec", "Jan 2027"]);
  const years = [at(2025, 1, 1), at(2026, 1, 1)];
  assert.deepEqual(tickLabels(years, 365 * DAY_S, "en-GB"), ["2025", "2026"]);
});
