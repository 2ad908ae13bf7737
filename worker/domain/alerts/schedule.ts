/**
 * Expected File Frequency: when a delivery's files are due, as a pure function
 * of the settings and an instant.
 *
 * Each occurrence of the "expected by" time, plus the grace period, is a
 * deadline. A window runs from the previous deadline (exclusive) to its own
 * (inclusive), so every file belongs to exactly one window: a file that
 * arrives after a deadline is late for that window and counts for the next.
 */
import { addDays, daysInMonth, instantOf, wallTimeAt } from "./zoned-time.ts";

export const frequencies = ["none", "hourly", "daily", "weekdays", "weekly", "monthly"] as const;
export type Frequency = (typeof frequencies)[number];

export interface Schedule {
  frequency: Frequency;
  /** Weekly: 0 = Sunday … 6 = Saturday. Monthly: 1–31 (29–31 fall back to the month's last day). */
  day: number | null;
  /** `HH:MM` in the account's time zone; for hourly only the minutes count. */
  expectedBy: string;
  graceMinutes: number;
  timeZone: string;
}

export interface Window {
  /** Exclusive: the previous window's deadline. */
  start: number;
  /** Inclusive: expected-by plus grace. */
  deadline: number;
  /** The wall-clock expected-by instant of this window (before grace). */
  expectedAt: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function parseTime(expectedBy: string) {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(expectedBy);
  if (!m) throw new Error(`expectedBy must be HH:MM, got ${expectedBy}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** Is this calendar date one on which the schedule expects a file? */
function isDueDate(s: Schedule, date: { year: number; month: number; day: number; weekday: number }) {
  switch (s.frequency) {
    case "daily":
      return true;
    case "weekdays":
      return date.weekday >= 1 && date.weekday <= 5;
    case "weekly":
      return date.weekday === s.day;
    case "monthly":
      return date.day === Math.min(s.day ?? 1, daysInMonth(date.year, date.month));
    default:
      return false;
  }
}

/** Expected-by instants (before grace) around `instant`, ascending: a few before and after. */
function occurrencesAround(s: Schedule, instant: number): number[] {
  const time = parseTime(s.expectedBy);
  const out: number[] = [];
  if (s.frequency === "hourly") {
    // Every hour at :MM local. Stepping in UTC hours keeps DST's repeated and skipped hours honest.
    const base = Math.floor(instant / HOUR) * HOUR;
    for (let h = -3; h <= 3; h++) {
      const hourStart = base + h * HOUR;
      const w = wallTimeAt(hourStart, s.timeZone);
      const t = hourStart + (time.minute - w.minute) * MINUTE;
      out.push(t);
    }
  } else {
    // Dates are scanned in the zone's calendar; weekly/monthly need up to a month either side.
    const today = wallTimeAt(instant, s.timeZone);
    const span = s.frequency === "monthly" ? 64 : s.frequency === "daily" ? 3 : 16;
    for (let d = -span; d <= span; d++) {
      const date = addDays(today, d);
      if (isDueDate(s, date)) out.push(instantOf({ ...date, ...time }, s.timeZone));
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** The window whose deadline is the first at or after `instant` (the one `instant` falls in). */
export function windowAt(s: Schedule, instant: number): Window | null {
  if (s.frequency === "none") return null;
  const grace = s.graceMinutes * MINUTE;
  const deadlines = occurrencesAround(s, instant - grace).map((t) => ({ expectedAt: t, deadline: t + grace }));
  const i = deadlines.findIndex((d) => d.deadline >= instant);
  const current = deadlines[i];
  const previous = deadlines[i - 1];
  // The scan spans are wide enough that both always exist; anything else is a bug.
  if (!current || !previous)
    throw new Error(`no ${s.frequency} window found around ${new Date(instant).toISOString()}`);
  return { start: previous.deadline, deadline: current.deadline, expectedAt: current.expectedAt };
}

/** The first window whose deadline is strictly after `instant`. */
export function nextWindowAfter(s: Schedule, instant: number): Window | null {
  return windowAt(s, instant + 1);
}
