import { and, eq, gt, inArray, isNotNull, or, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";

/**
 * Brute-force policy. Failures are counted per source IP and per username in a
 * sliding-ish window; crossing the threshold bans the subject, and each repeat
 * ban lasts longer. Kept in D1 so every relay and restart sees the same state.
 */
export const banPolicy = {
  windowMs: 15 * 60 * 1000,
  ipThreshold: 10,
  /** Higher than per IP: a username ban also locks out the rightful IT team. */
  usernameThreshold: 30,
  durationsMs: [15 * 60 * 1000, 60 * 60 * 1000, 6 * 60 * 60 * 1000, 24 * 60 * 60 * 1000],
};

type Subject = { kind: "ip" | "username"; value: string; accountId: string | null };

const key = (s: Pick<Subject, "kind" | "value">) => `${s.kind === "ip" ? "ip" : "user"}:${s.value}`;

/** The subjects among these that are banned right now. */
export async function activeBans(deps: Pick<Deps, "db" | "now">, subjects: Pick<Subject, "kind" | "value">[]) {
  if (subjects.length === 0) return [];
  return deps.db
    .select({ subject: schema.loginBans.subject, bannedUntil: schema.loginBans.bannedUntil })
    .from(schema.loginBans)
    .where(and(inArray(schema.loginBans.subject, subjects.map(key)), gt(schema.loginBans.bannedUntil, deps.now())));
}

/**
 * Counts one failure for each subject in a single atomic statement per subject:
 * a new window resets the count, reaching the threshold sets `banned_until` and
 * raises the level. Concurrent relays cannot lose counts (the upsert is atomic).
 */
export function recordFailureStatements(deps: Pick<Deps, "db" | "now">, subjects: Subject[]) {
  const now = deps.now();
  const durations = banPolicy.durationsMs;
  const durationSql = (level: ReturnType<typeof sql>) =>
    sql`(case min(${level}, ${durations.length - 1}) ${sql.join(
      durations.map((d, i) => sql`when ${i} then ${d}`),
      sql` `,
    )} end)`;
  return subjects.map((s) => {
    const threshold = s.kind === "ip" ? banPolicy.ipThreshold : banPolicy.usernameThreshold;
    const inWindow = sql`${schema.loginBans.windowStartedAt} > ${now - banPolicy.windowMs}`;
    const failures = sql`(case when ${inWindow} then ${schema.loginBans.failures} + 1 else 1 end)`;
    return deps.db
      .insert(schema.loginBans)
      .values({
        subject: key(s),
        kind: s.kind,
        value: s.value,
        accountId: s.accountId,
        failures: 1,
        windowStartedAt: now,
        level: 0,
        bannedUntil: threshold <= 1 ? now + (durations[0] ?? 0) : null,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: schema.loginBans.subject,
        set: {
          failures: sql`case when ${failures} >= ${threshold} then 0 else ${failures} end`,
          windowStartedAt: sql`case when ${inWindow} then ${schema.loginBans.windowStartedAt} else ${now} end`,
          bannedUntil: sql`case when ${failures} >= ${threshold} then ${now} + ${durationSql(sql`${schema.loginBans.level}`)} else ${schema.loginBans.bannedUntil} end`,
          level: sql`case when ${failures} >= ${threshold} then ${schema.loginBans.level} + 1 else ${schema.loginBans.level} end`,
          updatedAt: now,
        },
      });
  });
}

/** Bans that concern an account: its usernames, and IPs that tried its deliveries. */
export async function listBans(deps: Pick<Deps, "db" | "now">, accountId: string) {
  const now = deps.now();
  const ipsTried = deps.db
    .selectDistinct({ ip: schema.loginAttempts.sourceIp })
    .from(schema.loginAttempts)
    .where(eq(schema.loginAttempts.accountId, accountId));
  return deps.db
    .select()
    .from(schema.loginBans)
    .where(
      and(
        isNotNull(schema.loginBans.bannedUntil),
        gt(schema.loginBans.bannedUntil, now),
        or(
          eq(schema.loginBans.accountId, accountId),
          and(eq(schema.loginBans.kind, "ip"), inArray(schema.loginBans.value, ipsTried)),
        ),
      ),
    );
}

/** Lifts a ban the account can see; resets its level so the next ban starts short again. */
export async function liftBan(deps: Pick<Deps, "db" | "now">, accountId: string, subject: string) {
  const visible = (await listBans(deps, accountId)).some((b) => b.subject === subject);
  if (!visible) return false;
  await deps.db
    .update(schema.loginBans)
    .set({ bannedUntil: null, failures: 0, level: 0, updatedAt: deps.now() })
    .where(eq(schema.loginBans.subject, subject));
  return true;
}
