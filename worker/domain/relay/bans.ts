import { and, eq, gt, inArray, sql } from "drizzle-orm";
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
};

type Subject = { kind: "ip" | "username"; value: string; accountId: string | null };

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
 * on either at `now`, else `otherwise`. Evaluated inside the batch that takes the
 * reservation, so the recorded reason and the reservation see the same bans.
 */
export function banReasonSql(now: number, ip: string, username: string, otherwise: string) {
  const banned = (s: Pick<Subject, "kind" | "value">) =>
    sql`exists (select 1 from login_bans where subject = ${banKey(s)} and banned_until > ${now})`;
  return sql`(case when ${banned({ kind: "ip", value: ip })} then ${refusalReasons.ipBanned(ip)}
    when ${banned({ kind: "username", value: username })} then ${refusalReasons.usernameBanned(username)}
    else ${otherwise} end)`;
}

/** A subject's counter as the reservation left it. */
export interface Reservation {
  subject: string;
  kind: Subject["kind"];
  failures: number;
  windowStartedAt: number;
  level: number;
  bannedUntil: number | null;
}

/**
 * Reserves one attempt against every subject, in one statement, before any
 * credential is checked: unless one of them is banned at `now`, each counter
 * goes up by one (a new window starts at one), and a counter reaching its
 * threshold bans its subject at once, for longer each time. Answers the
 * counters it changed: none means a ban is in force and nothing was counted.
 *
 * One statement is one atomic step in D1, so parallel attempts queue here and
 * at most `threshold` of them per window get a reservation: the rest are
 * refused without their credentials being looked at. The ban check reads the
 * table as it was before the statement (SQLite materialises an INSERT's SELECT
 * that reads its own table), so all subjects are counted or none.
 */
export function reserveAttemptStatement(deps: Pick<Deps, "db">, now: number, subjects: Subject[]) {
  const rows = sql.join(
    subjects.map(
      (s) => sql`select ${banKey(s)} as subject, ${s.kind} as kind, ${s.value} as value, ${s.accountId} as account_id`,
    ),
    sql` union all `,
  );
  const keys = sql.join(
    subjects.map((s) => sql`${banKey(s)}`),
    sql`, `,
  );
  const thresholdFor = (kind: ReturnType<typeof sql>) =>
    sql`(case ${kind} when 'ip' then ${banPolicy.ipThreshold} else ${banPolicy.usernameThreshold} end)`;
  const firstTrips = sql`(1 >= ${thresholdFor(sql`s.kind`)})`;
  const inWindow = sql`(window_started_at > ${now - banPolicy.windowMs})`;
  const counted = sql`(case when ${inWindow} then failures + 1 else 1 end)`;
  const trips = sql`(${counted} >= ${thresholdFor(sql`kind`)})`;
  const t = schema.loginBans;
  return deps.db
    .insert(t)
    .select(sql`
      select s.subject, s.kind, s.value, s.account_id,
        case when ${firstTrips} then 0 else 1 end,
        ${now},
        case when ${firstTrips} then 1 else 0 end,
        case when ${firstTrips} then ${now} + ${durationSql(sql`0`)} else null end,
        ${now}
      from (${rows}) as s
      where not exists (select 1 from login_bans where subject in (${keys}) and banned_until > ${now})`)
    .onConflictDoUpdate({
      target: t.subject,
      set: {
        failures: sql`case when ${trips} then 0 else ${counted} end`,
        windowStartedAt: sql`case when ${inWindow} then window_started_at else ${now} end`,
        level: sql`case when ${trips} then level + 1 else level end`,
        bannedUntil: sql`case when ${trips} then ${now} + ${durationSql(sql`level`)} else banned_until end`,
        updatedAt: now,
      },
    })
    .returning({
      subject: t.subject,
      kind: t.kind,
      failures: t.failures,
      windowStartedAt: t.windowStartedAt,
      level: t.level,
      bannedUntil: t.bannedUntil,
    });
}

/**
 * Gives back the reservations of an attempt that turned out not to be a
 * failure (right credentials). A reservation that banned its subject lifts that
 * ban again, one short of the threshold; a ban another attempt has set since
 * stands (refusing too much is the safe side). Guarded so a counter that moved
 * on (new window, lifted ban) is left alone.
 */
export function releaseReservationStatements(deps: Pick<Deps, "db">, now: number, reserved: Reservation[]) {
  const t = schema.loginBans;
  return reserved.map((r) =>
    r.bannedUntil !== null && r.bannedUntil > now
      ? deps.db
          .update(t)
          .set({ bannedUntil: null, level: sql`${t.level} - 1`, failures: thresholdOf(r.kind) - 1, updatedAt: now })
          .where(and(eq(t.subject, r.subject), eq(t.bannedUntil, r.bannedUntil), eq(t.level, r.level)))
      : deps.db
          .update(t)
          .set({ failures: sql`${t.failures} - 1`, updatedAt: now })
          .where(and(eq(t.subject, r.subject), eq(t.windowStartedAt, r.windowStartedAt), gt(t.failures, 0))),
  );
}
