import { and, count, eq, gt, isNull, lt } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";

/**
 * A session silent this long no longer counts against the limit: its relay
 * died without ending it. Relays touch their sessions on every upload call.
 */
export const SESSION_STALE_MS = 15 * 60 * 1000;
const TOUCH_EVERY_MS = 30 * 1000;

export async function activeSessionCount(deps: Pick<Deps, "db" | "now">, deliveryId: string) {
  const [row] = await deps.db
    .select({ n: count() })
    .from(schema.relaySessions)
    .where(
      and(
        eq(schema.relaySessions.deliveryId, deliveryId),
        isNull(schema.relaySessions.endedAt),
        gt(schema.relaySessions.lastSeenAt, deps.now() - SESSION_STALE_MS),
      ),
    );
  return row?.n ?? 0;
}

export function openSessionStatement(
  deps: Pick<Deps, "db" | "now">,
  s: { accountId: string; deliveryId: string; relayId: string; sourceIp: string },
) {
  const id = newId("rs");
  const now = deps.now();
  return {
    id,
    statement: deps.db
      .insert(schema.relaySessions)
      .values({ id, ...s, startedAt: now, lastSeenAt: now, endedAt: null }),
  };
}

/** Marks the session alive; false when it has ended (the relay said so, or it went stale). */
export async function touchSession(deps: Pick<Deps, "db" | "now">, id: string): Promise<boolean> {
  const now = deps.now();
  const [row] = await deps.db
    .select({ endedAt: schema.relaySessions.endedAt, lastSeenAt: schema.relaySessions.lastSeenAt })
    .from(schema.relaySessions)
    .where(eq(schema.relaySessions.id, id))
    .limit(1);
  if (!row || row.endedAt !== null) return false;
  if (now - row.lastSeenAt > TOUCH_EVERY_MS) {
    await deps.db
      .update(schema.relaySessions)
      .set({ lastSeenAt: now })
      .where(and(eq(schema.relaySessions.id, id), lt(schema.relaySessions.lastSeenAt, now)));
  }
  return true;
}

export async function endSession(deps: Pick<Deps, "db" | "now">, id: string) {
  await deps.db
    .update(schema.relaySessions)
    .set({ endedAt: deps.now() })
    .where(and(eq(schema.relaySessions.id, id), isNull(schema.relaySessions.endedAt)));
}
