import { and, asc, eq, gt, lte } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { accountTimeZone, findDelivery } from "../deliveries/deliveries.ts";
import type { Deps, Principal } from "../deps.ts";
import { scheduleOf } from "./monitor.ts";
import { nextWindowAfter, windowAt } from "./schedule.ts";

const DAY = 86_400_000;
const MAX_WINDOWS = 500;
const REJECTED = new Set(["rejected", "failed"]);

/**
 * A delivery's recent history for the timeline picture: its expected windows
 * (received, missed, rejected, or still open) and every file that arrived, over
 * the last `days` days, in the account's time zone.
 */
export async function deliveryTimeline(deps: Deps, actor: Principal, deliveryId: string, days: number) {
  const delivery = await findDelivery(deps, actor, deliveryId);
  const timeZone = await accountTimeZone(deps, actor.accountId);
  const now = deps.now();
  const from = now - days * DAY;
  const files = await deps.db
    .select({
      id: schema.receivedFiles.id,
      name: schema.receivedFiles.name,
      size: schema.receivedFiles.size,
      status: schema.receivedFiles.status,
      isTest: schema.receivedFiles.isTest,
      receivedAt: schema.receivedFiles.receivedAt,
    })
    .from(schema.receivedFiles)
    .where(
      and(
        eq(schema.receivedFiles.accountId, actor.accountId),
        eq(schema.receivedFiles.deliveryId, deliveryId),
        gt(schema.receivedFiles.receivedAt, from),
        lte(schema.receivedFiles.receivedAt, now),
      ),
    )
    .orderBy(asc(schema.receivedFiles.receivedAt))
    .limit(5000);

  const schedule = scheduleOf(delivery, timeZone);
  const windows: {
    start: number;
    deadline: number;
    files: number;
    state: "received" | "rejected" | "missed" | "open";
  }[] = [];
  // Only windows since monitoring began can be missed; earlier ones are not judged.
  const since = Math.max(from, delivery.monitoringSince ?? now);
  let w = schedule ? windowAt(schedule, since) : null;
  while (schedule && w && w.start < now && windows.length < MAX_WINDOWS) {
    const current = w;
    const inside = files.filter((f) => f.receivedAt > current.start && f.receivedAt <= current.deadline);
    const state =
      current.deadline > now
        ? "open"
        : inside.length === 0
          ? "missed"
          : inside.every((f) => REJECTED.has(f.status))
            ? "rejected"
            : "received";
    windows.push({ start: current.start, deadline: current.deadline, files: inside.length, state });
    w = nextWindowAfter(schedule, current.deadline);
  }
  return { timeZone, from, to: now, frequency: delivery.frequency, windows, files };
}
