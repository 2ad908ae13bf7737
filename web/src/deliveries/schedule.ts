/** Expected File Frequency as the Notifications tab edits it: form state, checks and the PATCH body. */
import type { Delivery } from "../api-types.ts";
import { formatDeadline } from "../dates.ts";

export type Frequency = Delivery["schedule"]["frequency"];
export type GraceUnit = "minutes" | "hours";

export interface ScheduleForm {
  frequency: Frequency;
  /** Weekly: "0" (Sunday) … "6"; monthly: "1" … "31". Kept per kind so switching back and forth keeps a choice. */
  weekday: string;
  monthDay: string;
  /** `HH:MM` for daily, weekdays, weekly and monthly. */
  expectedBy: string;
  /** Hourly: the minute past each hour, "0" … "59". */
  minute: string;
  grace: string;
  graceUnit: GraceUnit;
}

export interface ScheduleInput {
  frequency: Frequency;
  day?: number | null;
  expectedBy?: string;
  graceMinutes?: number;
}

export const frequencyLabels: Record<Frequency, string> = {
  none: "Not monitored",
  hourly: "Hourly",
  daily: "Daily",
  weekdays: "Weekdays (Mon–Fri)",
  weekly: "Weekly",
  monthly: "Monthly",
};

/** Monday first, as the week is read in most of Europe; values are the API's 0 = Sunday … 6 = Saturday. */
export const weekdays = [
  { value: "1", label: "Monday" },
  { value: "2", label: "Tuesday" },
  { value: "3", label: "Wednesday" },
  { value: "4", label: "Thursday" },
  { value: "5", label: "Friday" },
  { value: "6", label: "Saturday" },
  { value: "0", label: "Sunday" },
];

export const MAX_GRACE_MINUTES = 10_080;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function scheduleForm(s: Delivery["schedule"]): ScheduleForm {
  const time = s.expectedBy && TIME.test(s.expectedBy) ? s.expectedBy : "09:00";
  const grace = s.frequency === "none" && s.graceMinutes === 0 ? 30 : s.graceMinutes;
  const hours = grace > 0 && grace % 60 === 0;
  return {
    frequency: s.frequency,
    weekday: s.frequency === "weekly" && s.day !== null ? String(s.day) : "1",
    monthDay: s.frequency === "monthly" && s.day !== null ? String(s.day) : "1",
    expectedBy: time,
    minute: String(Number(time.slice(3))),
    grace: String(hours ? grace / 60 : grace),
    graceUnit: hours ? "hours" : "minutes",
  };
}

/** The PATCH's `schedule`, or the errors to show beside each field (keyed like the Worker's, `schedule.day`). */
export function scheduleInput(f: ScheduleForm): { input: ScheduleInput } | { errors: Record<string, string> } {
  if (f.frequency === "none") return { input: { frequency: "none" } };
  const errors: Record<string, string> = {};
  let expectedBy = f.expectedBy.trim();
  if (f.frequency === "hourly") {
    const minute = Number(f.minute);
    if (f.minute.trim() === "" || !Number.isInteger(minute) || minute < 0 || minute > 59) {
      errors["schedule.expectedBy"] = "Enter a minute from 0 to 59";
    } else expectedBy = `00:${String(minute).padStart(2, "0")}`;
  } else if (expectedBy === "") errors["schedule.expectedBy"] = "Enter the time files are expected by";
  else if (!TIME.test(expectedBy)) errors["schedule.expectedBy"] = "Enter a time of day as HH:MM (24-hour)";
  const grace = Number(f.grace);
  const graceMinutes = f.graceUnit === "hours" ? grace * 60 : grace;
  if (f.grace.trim() === "" || !Number.isInteger(grace) || grace < 0) {
    errors["schedule.graceMinutes"] = `Enter a whole number of ${f.graceUnit}, 0 or more`;
  } else if (graceMinutes > MAX_GRACE_MINUTES)
    errors["schedule.graceMinutes"] = "The grace period can be at most 7 days";
  if (Object.keys(errors).length > 0) return { errors };
  const day = f.frequency === "weekly" ? Number(f.weekday) : f.frequency === "monthly" ? Number(f.monthDay) : null;
  return { input: { frequency: f.frequency, day, expectedBy, graceMinutes } };
}

/** Saving a schedule restarts monitoring (and clears an overdue state): only send one that changed. */
export function scheduleChanged(input: ScheduleInput, current: Delivery["schedule"]): boolean {
  if (input.frequency !== current.frequency) return true;
  if (input.frequency === "none") return false;
  const sameTime =
    input.frequency === "hourly"
      ? input.expectedBy?.slice(3) === current.expectedBy?.slice(3)
      : input.expectedBy === current.expectedBy;
  return !sameTime || (input.day ?? null) !== current.day || input.graceMinutes !== current.graceMinutes;
}

const fieldNames: Record<string, string> = {
  "schedule.frequency": "Expected File Frequency",
  "schedule.day": "Day",
  "schedule.expectedBy": "Expected by",
  "schedule.graceMinutes": "Grace period",
};

/** The Worker's messages are fragments (`is required for daily files`): name the field they are about. */
export function scheduleMessage(field: string, message: string): string {
  if (/^(is|must|cannot|can)\b/.test(message)) return `${fieldNames[field] ?? "This"} ${message}`;
  return message.charAt(0).toUpperCase() + message.slice(1);
}

export function formatGrace(minutes: number): string {
  if (minutes === 0) return "no grace period";
  if (minutes % 1440 === 0) return minutes === 1440 ? "1 day" : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? "1 hour" : `${minutes / 60} hours`;
  if (minutes > 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

const ordinal = new Intl.PluralRules("en", { type: "ordinal" });
const suffixes: Record<string, string> = { one: "st", two: "nd", few: "rd", other: "th" };
const nth = (n: number) => `${n}${suffixes[ordinal.select(n)] ?? "th"}`;

/** `Expected every Monday by 06:00, alert after 30 minutes' grace`: what the chosen settings mean, in words. */
export function describeSchedule(input: ScheduleInput): string {
  const time = input.expectedBy ?? "";
  const when = (() => {
    switch (input.frequency) {
      case "hourly":
        return `every hour, by minute :${time.slice(3)}`;
      case "daily":
        return `every day by ${time}`;
      case "weekdays":
        return `Monday to Friday by ${time}`;
      case "weekly":
        return `every ${weekdays.find((d) => d.value === String(input.day))?.label ?? "week"} by ${time}`;
      case "monthly": {
        const day = input.day ?? 1;
        return `on the ${nth(day)} of each month by ${time}${day >= 29 ? " (the last day in shorter months)" : ""}`;
      }
      default:
        return "";
    }
  })();
  const grace = input.graceMinutes ?? 0;
  return grace === 0
    ? `A file is expected ${when}; an alert goes out as soon as that time passes without one.`
    : `A file is expected ${when}; an alert goes out if none has arrived ${formatGrace(grace)} later.`;
}

/** The flash after Update: with a new schedule, the deadline the Worker computed for it. */
export function savedMessage(d: Delivery, scheduleChanged: boolean): string {
  if (!scheduleChanged) return `${d.name} updated.`;
  if (d.schedule.frequency === "none") return `${d.name} updated: its files are no longer monitored.`;
  if (d.nextExpectedBy === null) return `${d.name} updated. Monitoring starts when it is enabled.`;
  return `${d.name} updated. Next file expected by ${formatDeadline(d.nextExpectedBy, d.schedule.timeZone)} (with grace).`;
}
