// Numbers, dates and times as the dashboard shows them.

import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";

// Dates and times in the browser's own conventions; the words stay English.
const LOCALE = undefined;
const DAY_MS = 24 * 3600 * 1000;

/** A fraction 0..1 as a whole percentage, or undefined when unset. */
export function percent(fraction: number | undefined): string | undefined {
  return fraction === undefined ? undefined : `${Math.round(fraction * 100)}%`;
}

/** A signed whole number: "+5", "−20", "±0". */
export function signed(n: number): string {
  if (n > 0) return `+${n}`;
  if (n < 0) return `\u2212${-n}`;
  return "\u00b10";
}

/** Today as "YYYY-MM-DD" in the browser's time zone. */
export function today(): string {
  const now = new Date();
  return isoDate(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

/** The local date `days` after `date` ("YYYY-MM-DD"; days may be negative). */
export function addDays(date: string, days: number): string {
  return isoDate(utcMillis(date) + days * DAY_MS);
}

/** Days from `from` to `to` (both "YYYY-MM-DD"). */
export function daysBetween(from: string, to: string): number {
  return Math.round((utcMillis(to) - utcMillis(from)) / DAY_MS);
}

/** 0 for Monday ... 6 for Sunday. */
export function weekdayIndex(date: string): number {
  return (new Date(utcMillis(date)).getUTCDay() + 6) % 7;
}

/** A local date for people: "Mon, 3 Nov 2026". */
export function longDate(date: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(utcMillis(date));
}

/** A local date, short, with its year: "3 Nov 2026". */
export function shortDate(date: string): string {
  return new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(
    utcMillis(date),
  );
}

/** The month of a local date, short: "Nov". */
export function monthName(date: string): string {
  return new Intl.DateTimeFormat(LOCALE, { month: "short", timeZone: "UTC" }).format(utcMillis(date));
}

/** A moment for people, in the browser's time zone: "3 Nov 2026, 14:05". */
export function dateTime(ts: Timestamp): string {
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" }).format(
    timestampDate(ts),
  );
}

/** A timestamp as an ISO 8601 string, for `<time datetime>`. */
export function isoTime(ts: Timestamp): string {
  return timestampDate(ts).toISOString();
}

/** Seconds since the epoch, for charts. */
export function epochSeconds(ts: Timestamp): number {
  return timestampDate(ts).getTime() / 1000;
}

function utcMillis(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1);
}

function isoDate(millis: number): string {
  return new Date(millis).toISOString().slice(0, 10);
}
