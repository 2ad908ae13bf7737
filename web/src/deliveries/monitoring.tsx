/** Expected File Frequency at a glance: when the last file came, the deadline being watched, and Overdue. */
import type { Delivery } from "../api-types.ts";
import { formatDateTime, formatDeadline, formatRelative } from "../dates.ts";
import { formatGrace } from "./schedule.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** `3 hours ago`, the exact time (account time zone) on hover. */
export function LastFile({ at, timeZone, now }: { at: number | null; timeZone: string; now: number }) {
  if (at === null) return <span className="muted">No files yet</span>;
  return (
    <time dateTime={iso(at)} title={`${formatDateTime(at, timeZone)} (${timeZone})`}>
      {/* The server's clock may run a little ahead of this one: a received file is never "in" the future. */}
      {formatRelative(Math.min(at, now), now)}
    </time>
  );
}

export function OverdueBadge({ since, timeZone }: { since: number | null; timeZone: string }) {
  const when = since === null ? "" : `${formatDateTime(since, timeZone)} (${timeZone})`;
  return (
    <span
      className="badge badge-negative"
      title={when ? `Overdue since ${when}: no file arrived by that deadline` : "No file arrived by the deadline"}
    >
      <span className="badge-dot" aria-hidden="true" />
      Overdue
      {when ? <span className="visually-hidden"> since {when}</span> : null}
    </span>
  );
}

/** The watched deadline (expected-by plus grace), or why there is none. */
export function NextExpected({ delivery, now }: { delivery: Delivery; now: number }) {
  const { schedule } = delivery;
  if (schedule.frequency === "none") return <span className="muted">Not monitored</span>;
  if (delivery.status !== "enabled") return <span className="muted">Paused while disabled</span>;
  if (delivery.nextExpectedBy === null) return <span className="muted">—</span>;
  const deadline = delivery.nextExpectedBy;
  const grace = schedule.graceMinutes > 0 ? `, including ${formatGrace(schedule.graceMinutes)} of grace` : "";
  return (
    <time
      dateTime={iso(deadline)}
      title={`Deadline ${formatDateTime(deadline, schedule.timeZone)} (${schedule.timeZone})${grace}`}
    >
      {formatDeadline(deadline, schedule.timeZone)} <span className="cell-note">{formatRelative(deadline, now)}</span>
    </time>
  );
}
