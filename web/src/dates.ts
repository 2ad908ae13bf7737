import { useEffect, useState } from "react";

const formats = new Map<string, Intl.DateTimeFormat>();

function cached(key: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let format = formats.get(`${key} ${timeZone}`);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(undefined, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(undefined, options);
    }
    formats.set(`${key} ${timeZone}`, format);
  }
  return format;
}

/** `23 Nov 2025, 14:05` in the account's time zone. */
export function formatDateTime(ms: number, timeZone: string): string {
  return cached("medium", timeZone, { dateStyle: "medium", timeStyle: "short" }).format(ms);
}

/** `Mon 24 Nov, 06:15` in the account's time zone: a deadline, compact enough for a table cell. */
export function formatDeadline(ms: number, timeZone: string): string {
  return cached("deadline", timeZone, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(ms);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ["minute", 60_000],
  ["hour", 3_600_000],
  ["day", 86_400_000],
  ["week", 7 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["year", 365 * 86_400_000],
];

/** `3 hours ago`, `in 20 minutes`, `yesterday`; under a minute is `just now` (or `in under a minute`). */
export function formatRelative(ms: number, now: number): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 60_000) return diff <= 0 ? "just now" : "in under a minute";
  let unit: Intl.RelativeTimeFormatUnit = "minute";
  let size = 60_000;
  for (const [u, s] of steps) {
    if (abs < s) break;
    unit = u;
    size = s;
  }
  return relative.format(Math.trunc(diff / size), unit);
}

/** The current time, updated every `intervalMs` so relative times stay true while a page is open. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}
