import { and, gt, inArray, type SQL, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import { refusalReasons } from "./refusals.ts";

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
  /**
   * How long an admitted attempt holds its place while its credentials are
   * checked (milliseconds, normally); after this a Worker that died mid-check
   * no longer holds it.
   */
  inFlightMs: 5_000,
  /** How long an attempt waits for a place held by attempts in flight before it is refused. */
  admissionWaitMs: 3_000,
};

/** What failures are counted against: the source address and the username. */
export type Subject = { kind: "ip" | "username"; value: string; accountId: string | null };

const banKey = (s: Pick<Subject, "kind" | "value">) => `${s.kind === "ip" ? "ip" : "user"}:${s.value}`;

const thresholdOf = (kind: Subject["kind"]) => (kind === "ip" ? banPolicy.ipThreshold : banPolicy.usernameThreshold);

/** The ban length for a subject already banned `level` times (SQL, for use inside statements). */
const durationSql = (level: ReturnType<typeof sql>) =>
  sql`(case min(${level}, ${banPolicy.durationsMs.length - 1}) ${sql.join(
    banPolicy.durationsMs.map((d, i) => sql`when ${i} then ${d}`),
    sql` `,
  )} end)`;

/** The subjects among these that are banned right now. */
export async function activeBans(deps: Pick<Deps, "db" | "now">, subjects: Pick<Subject, "kind" | "value">[]) {
  if (subjects.length === 0) return [];
  return deps.db
    .select({ subject: schema.loginBans.subject, bannedUntil: schema.loginBans.bannedUntil })
    .from(schema.loginBans)
    .where(and(inArray(schema.loginBans.subject, subjects.map(banKey)), gt(schema.loginBans.bannedUntil, deps.now())));
}

/**
 * The reason to record for an attempt by `ip` and `username`: the ban in force
 * on either at `now`, else `otherwise`. Evaluated inside the statement that
 * records the attempt, so the recorded reason is the ban that refused it.
 */
export function banReasonSql(now: number, ip: string, username: string, otherwise: string) {
  const banned = (s: Pick<Subject, "kind" | "value">) =>
    sql`exists (select 1 from login_bans where subject = ${banKey(s)} and banned_until > ${now})`;
  return sql`(case when ${banned({ kind: "ip", value: ip })} then ${refusalReasons.ipBanned(ip)}
    when ${banned({ kind: "username", value: username })} then ${refusalReasons.usernameBanned(username)}
    else ${otherwise} end)`;
}

/** The recorded attempt that holds an admission while its credentials are checked. */
export interface AttemptRecord {
  id: string;
  accountId: string | null;
  deliveryId: string | null;
  username: string;
  sourceIp: string;
  method: string;
  relayId: string | null;
}

const attemptRow = (a: AttemptRecord, reason: SQL | string, now: number) =>
  sql`select ${a.id}, ${a.accountId}, ${a.deliveryId}, ${a.username}, ${a.sourceIp}, ${a.method}, 'refused', ${reason}, ${a.relayId}, ${now}`;

const bannedSql = (now: number, subjects: Pick<Subject, "kind" | "value">[]) =>
  sql`exists (select 1 from login_bans where subject in (${sql.join(
    subjects.map((s) => sql`${banKey(s)}`),
    sql`, `,
  )}) and banned_until > ${now})`;

/** Failures counted in the subject's current window. */
const failuresSql = (now: number, s: Subject) =>
  sql`coalesce((select failures from login_bans where subject = ${banKey(s)} and window_started_at > ${now - banPolicy.windowMs}), 0)`;

/** Attempts of the subject admitted and not yet settled; a Worker that died mid-check stops holding after `inFlightMs`. */
const inFlightSql = (now: number, s: Subject) =>
  sql`(select count(*) from login_attempts where ${sql.raw(s.kind === "ip" ? "source_ip" : "username")} = ${s.value}
    and reason = ${refusalReasons.pending} and created_at > ${now - banPolicy.inFlightMs})`;

/**
 * Admits an attempt to have its credentials checked, or records it as refused
 * for a ban in force; two statements for one batch, each answering the
 * attempt's id when it applied. Neither applies while the subjects' failures
 * and attempts in flight together reach a threshold: the caller waits for
 * those to settle and asks again.
 *
 * Admission records the attempt as pending, and pending attempts are what is
 * in flight, so one INSERT decides and takes the place: parallel attempts queue
 * on it (one statement is one atomic step in D1) and at most `threshold` of
 * them per window get their credentials checked. Settling the attempt gives the
 * place back (`settleStatements`). The INSERT reads its own table, so SQLite
 * evaluates the condition before inserting.
 */
export function admitAttemptStatements(
  deps: Pick<Deps, "db">,
  now: number,
  attempt: AttemptRecord,
  subjects: Subject[],
) {
  const room = sql.join(
    subjects.map((s) => sql`(${failuresSql(now, s)} + ${inFlightSql(now, s)}) < ${thresholdOf(s.kind)}`),
    sql` and `,
  );
  const ip = subjects.find((s) => s.kind === "ip")?.value ?? attempt.sourceIp;
  const username = subjects.find((s) => s.kind === "username")?.value ?? attempt.username;
  const t = schema.loginAttempts;
  return [
    deps.db
      .insert(t)
      .select(
        sql`${attemptRow(attempt, refusalReasons.pending, now)} where not ${bannedSql(now, subjects)} and ${room}`,
      )
      .returning({ id: t.id }),
    deps.db
      .insert(t)
      .select(
        sql`${attemptRow(attempt, banReasonSql(now, ip, username, refusalReasons.pending), now)}
          where ${bannedSql(now, subjects)} and not exists (select 1 from login_attempts where id = ${attempt.id})`,
      )
      .returning({ id: t.id }),
  ] as const;
}

/**
 * Records a wrong attempt against every subject, one atomic upsert each: a new
 * window starts at one, and a counter reaching its threshold bans its subject
 * at once, for longer each time, and starts again from zero. A subject banned
 * meanwhile (by another subject's attempts, say) is left as it is.
 */
export function recordFailureStatements(deps: Pick<Deps, "db">, now: number, subjects: Subject[]) {
  const t = schema.loginBans;
  return subjects.map((s) => {
    const threshold = thresholdOf(s.kind);
    const banned = sql`(banned_until is not null and banned_until > ${now})`;
    const inWindow = sql`(window_started_at > ${now - banPolicy.windowMs})`;
    const counted = sql`(case when ${inWindow} then failures + 1 else 1 end)`;
    const trips = sql`(not ${banned} and ${counted} >= ${threshold})`;
    return deps.db
      .insert(t)
      .values({
        subject: banKey(s),
        kind: s.kind,
        value: s.value,
        accountId: s.accountId,
        failures: threshold <= 1 ? 0 : 1,
        windowStartedAt: now,
        level: threshold <= 1 ? 1 : 0,
        bannedUntil: threshold <= 1 ? now + (banPolicy.durationsMs[0] ?? 0) : null,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: t.subject,
        set: {
          failures: sql`case when ${banned} then failures when ${trips} then 0 else ${counted} end`,
          windowStartedAt: sql`case when ${banned} or ${inWindow} then window_started_at else ${now} end`,
          level: sql`case when ${trips} then level + 1 else level end`,
          bannedUntil: sql`case when ${trips} then ${now} + ${durationSql(sql`level`)} else banned_until end`,
          updatedAt: now,
        },
      });
  });
}
