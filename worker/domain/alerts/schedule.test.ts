import { describe, expect, it } from "vitest";
import { nextWindowAfter, type Schedule, windowAt } from "./schedule.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString().replace(".000", "");
const base: Omit<Schedule, "frequency"> = {
  day: null,
  expectedBy: "09:00",
  graceMinutes: 0,
  timeZone: "Europe/London",
};

function win(s: Schedule, instant: string) {
  const w = windowAt(s, at(instant));
  return w && { start: iso(w.start), deadline: iso(w.deadline) };
}

describe("expected file windows", () => {
  it("is empty when not monitored", () => {
    expect(windowAt({ ...base, frequency: "none" }, Date.now())).toBeNull();
  });

  it("runs a daily window from yesterday's deadline to today's, in the account's zone", () => {
    const s: Schedule = { ...base, frequency: "daily" };
    expect(win(s, "2026-01-15T08:00:00Z")).toEqual({ start: "2026-01-14T09:00:00Z", deadline: "2026-01-15T09:00:00Z" });
    // Summer: 09:00 London is 08:00 UTC.
    expect(win(s, "2026-07-15T07:59:00Z")).toEqual({ start: "2026-07-14T08:00:00Z", deadline: "2026-07-15T08:00:00Z" });
    // The deadline itself is inside the window; a moment later is the next one.
    expect(win(s, "2026-01-15T09:00:00Z")?.deadline).toBe("2026-01-15T09:00:00Z");
    expect(win(s, "2026-01-15T09:00:01Z")?.deadline).toBe("2026-01-16T09:00:00Z");
  });

  it("adds the grace period to the deadline", () => {
    const s: Schedule = { ...base, frequency: "daily", graceMinutes: 90 };
    expect(win(s, "2026-01-15T10:00:00Z")).toEqual({ start: "2026-01-14T10:30:00Z", deadline: "2026-01-15T10:30:00Z" });
  });

  it("moves a deadline that does not exist on a spring-forward day forward by the gap", () => {
    const ny: Schedule = { ...base, frequency: "daily", expectedBy: "02:30", timeZone: "America/New_York" };
    // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT; 02:30 becomes 03:30 EDT = 07:30 UTC.
    expect(win(ny, "2026-03-08T05:00:00Z")).toEqual({
      start: "2026-03-07T07:30:00Z",
      deadline: "2026-03-08T07:30:00Z",
    });
    // The next day is back to 02:30 EDT = 06:30 UTC.
    expect(win(ny, "2026-03-08T08:00:00Z")?.deadline).toBe("2026-03-09T06:30:00Z");
  });

  it("takes the first of a repeated autumn hour", () => {
    const ny: Schedule = { ...base, frequency: "daily", expectedBy: "01:30", timeZone: "America/New_York" };
    // 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
    expect(win(ny, "2026-11-01T04:00:00Z")?.deadline).toBe("2026-11-01T05:30:00Z");
    expect(win(ny, "2026-11-01T05:31:00Z")?.deadline).toBe("2026-11-02T06:30:00Z");
  });

  it("runs hourly windows one real hour apart through daylight-saving changes", () => {
    const s: Schedule = { ...base, frequency: "hourly", expectedBy: "00:15" };
    let t = at("2026-10-24T23:00:00Z");
    const deadlines: string[] = [];
    for (let i = 0; i < 5; i++) {
      const w = nextWindowAfter(s, t)!;
      deadlines.push(iso(w.deadline));
      t = w.deadline;
    }
    // London falls back at 01:00 UTC on 2026-10-25: wall-clock 01:15 happens twice, each is a deadline.
    expect(deadlines).toEqual([
      "2026-10-24T23:15:00Z",
      "2026-10-25T00:15:00Z",
      "2026-10-25T01:15:00Z",
      "2026-10-25T02:15:00Z",
      "2026-10-25T03:15:00Z",
    ]);
  });

  it("skips weekends for weekday schedules", () => {
    const s: Schedule = { ...base, frequency: "weekdays" };
    // Friday 2026-01-16 after its deadline: the next window ends Monday 2026-01-19.
    expect(win(s, "2026-01-16T12:00:00Z")).toEqual({ start: "2026-01-16T09:00:00Z", deadline: "2026-01-19T09:00:00Z" });
  });

  it("expects weekly files on the chosen day", () => {
    const s: Schedule = { ...base, frequency: "weekly", day: 3 };
    expect(win(s, "2026-01-15T12:00:00Z")).toEqual({ start: "2026-01-14T09:00:00Z", deadline: "2026-01-21T09:00:00Z" });
  });

  it("falls back to the month's last day for days 29–31, leap years included", () => {
    const s: Schedule = { ...base, frequency: "monthly", day: 31, timeZone: "UTC" };
    expect(win(s, "2026-02-10T00:00:00Z")).toEqual({ start: "2026-01-31T09:00:00Z", deadline: "2026-02-28T09:00:00Z" });
    expect(win(s, "2028-02-10T00:00:00Z")?.deadline).toBe("2028-02-29T09:00:00Z");
    expect(win(s, "2026-04-01T00:00:00Z")).toEqual({ start: "2026-03-31T09:00:00Z", deadline: "2026-04-30T09:00:00Z" });
  });

  it("puts every instant in exactly one window, each starting where the last ended", () => {
    const schedules: Schedule[] = [
      { ...base, frequency: "daily", expectedBy: "02:30", timeZone: "Europe/Berlin", graceMinutes: 15 },
      { ...base, frequency: "weekdays", timeZone: "Australia/Sydney" },
      { ...base, frequency: "monthly", day: 30, timeZone: "America/Los_Angeles", graceMinutes: 600 },
      { ...base, frequency: "hourly", expectedBy: "00:45", timeZone: "Australia/Lord_Howe" },
    ];
    for (const s of schedules) {
      let w = windowAt(s, at("2026-01-01T00:00:00Z"))!;
      for (let i = 0; i < 60; i++) {
        const next = nextWindowAfter(s, w.deadline)!;
        expect(next.start).toBe(w.deadline);
        expect(next.deadline).toBeGreaterThan(next.start);
        const mid = next.start + Math.floor((next.deadline - next.start) / 2);
        expect(windowAt(s, mid)).toEqual(next);
        w = next;
      }
    }
  });
});
