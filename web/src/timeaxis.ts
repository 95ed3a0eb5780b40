// The time axis of the trend chart: which days it spans and how its ticks
// read. Apart from charts.ts, which needs a browser (uPlot), so that the
// unit tests run it in Node.

const DAY_S = 24 * 3600;
/** uPlot's month and year, for its tick increments. */
const MONTH_S = 30 * DAY_S;
const YEAR_S = 365 * DAY_S;

/** The fewest days a time axis spans. */
export const MIN_SPAN_DAYS = 14;

/**
 * Tick increments, in seconds: whole days and longer (when in the day a
 * rating was given is in the table), in uPlot's months and years.
 */
export const TICK_INCREMENTS: readonly number[] = [
  ...[1, 2, 3, 7, 14].map((n) => n * DAY_S),
  ...[1, 2, 3, 6].map((n) => n * MONTH_S),
  ...[1, 2, 5, 10, 25].map((n) => n * YEAR_S),
];

/**
 * The span of a time axis over data from `min` to `max` (seconds since the
 * epoch): the data's own, or MIN_SPAN_DAYS centred on it if it is shorter,
 * so that a single rating sits among the days around it instead of alone
 * on an axis of years.
 */
export function timeSpan(min: number, max: number): [number, number] {
  const missing = MIN_SPAN_DAYS * DAY_S - (max - min);
  return missing > 0 ? [min - missing / 2, max + missing / 2] : [min, max];
}

/**
 * The labels of ticks at `ticks` (seconds since the epoch), `increment`
 * apart, in the browser's time zone: days ("3 Nov"), months ("Nov") or
 * years. The first label has the year, and so does every label whose year
 * differs from the one before, so the axis always says which year it shows.
 */
export function tickLabels(ticks: readonly number[], increment: number, locale?: string): string[] {
  const unit: Intl.DateTimeFormatOptions =
    increment >= YEAR_S ? {} : increment >= MONTH_S ? { month: "short" } : { day: "numeric", month: "short" };
  const withoutYear = new Intl.DateTimeFormat(locale, unit);
  const withYear = new Intl.DateTimeFormat(locale, { ...unit, year: "numeric" });
  let previousYear: number | undefined;
  return ticks.map((tick) => {
    const date = new Date(tick * 1000);
    const year = date.getFullYear();
    const format = year === previousYear && increment < YEAR_S ? withoutYear : withYear;
    previousYear = year;
    return format.format(date);
  });
}

/** A day on the axis for people, with its year: "3 Nov 2026". */
export function axisDay(seconds: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric" }).format(seconds * 1000);
}
