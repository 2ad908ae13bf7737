import { and, eq, exists, gt, gte, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError, notFound } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import type { Deps } from "../deps.ts";
import { countedRefusal } from "./refusals.ts";

/**
 * Attempts recorded by another Worker may carry a clock slightly behind the one
 * that opened the window: look a little further back (counting more only makes
 * a lift harder).
 */
const CLOCK_SKEW_MS = 5_000;

const bans = schema.loginBans;
const attempts = schema.loginAttempts;

/**
 * Whether counted failures from a banned address, since its scoring window
 * opened, include one that `which` selects. An IP ban's row stays frozen while
 * the ban is in force (nothing is counted), so its window is the one that led to it;
 * attempts still being checked are recorded already (see `decideLogin`).
 */
const failuresFrom = (which: SQL | undefined) =>
  exists(
    sql`(select 1 from ${attempts} where ${and(
      eq(attempts.sourceIp, bans.value),
      gte(attempts.createdAt, sql`${bans.windowStartedAt} - ${CLOCK_SKEW_MS}`),
      countedRefusal(),
      which,
    )})`,
  );
const againstAccount = (accountId: string) => eq(attempts.accountId, accountId);
/** Unknown usernames belong to no account: they count as someone else's. */
const againstOthers = (accountId: string) => or(isNull(attempts.accountId), ne(attempts.accountId, accountId));

/** A ban this account can see: its usernames, and addresses whose failures that led to the ban include its deliveries. */
const visibleTo = (accountId: string) =>
  or(
    and(eq(bans.kind, "username"), eq(bans.accountId, accountId)),
    and(eq(bans.kind, "ip"), failuresFrom(againstAccount(accountId))),
  );
/**
 * IP bans are global: the relay refuses the address before it knows the account. An
 * account may lift one only when every failure that led to it was on its own
 * deliveries, or lifting it would reopen the address to guesses at other accounts.
 */
const liftableBy = (accountId: string) =>
  or(eq(bans.kind, "username"), sql`not ${failuresFrom(againstOthers(accountId))}`);

/** Active bans that concern an account, each saying whether the account may lift it. */
export async function listBans(deps: Pick<Deps, "db" | "now">, accountId: string) {
  const now = deps.now();
  return deps.db
    .select({
      subject: bans.subject,
      kind: bans.kind,
      value: bans.value,
      level: bans.level,
      bannedUntil: bans.bannedUntil,
      liftable: sql<number>`${liftableBy(accountId)}`.mapWith((v) => v === 1),
    })
    .from(bans)
    .where(and(gt(bans.bannedUntil, now), visibleTo(accountId)))
    .orderBy(bans.subject);
}

/**
 * An account lifts a ban (see `liftableBy`). The check and the change are one
 * statement. Only this ban's step up is taken back: earlier bans, perhaps earned
 * on other accounts, still lengthen the next one.
 */
export async function liftBan(deps: Pick<Deps, "db" | "now">, accountId: string, subject: string) {
  const now = deps.now();
  const lifted = await deps.db
    .update(bans)
    .set({
      bannedUntil: null,
      failures: 0,
      windowStartedAt: now,
      level: sql`max(${bans.level} - 1, 0)`,
      updatedAt: now,
    })
    .where(and(eq(bans.subject, subject), gt(bans.bannedUntil, now), visibleTo(accountId), liftableBy(accountId)))
    .returning({ subject: bans.subject });
  if (lifted.length > 0) return;
  const ban = (await listBans(deps, accountId)).find((b) => b.subject === subject);
  if (!ban) throw notFound("Ban");
  throw new AppError(
    "forbidden",
    `This address was also refused for other accounts, so only the operator can lift the ban; ` +
      `it is lifted automatically at ${new Date(ban.bannedUntil ?? now).toISOString()}`,
  );
}

/**
 * The operator lifts any ban and resets its escalation. Recorded in the audit of
 * every account the ban concerns.
 */
export async function liftAnyBan(deps: Pick<Deps, "db" | "now">, subject: string) {
  const now = deps.now();
  const [ban] = await deps.db
    .select()
    .from(bans)
    .where(and(eq(bans.subject, subject), gt(bans.bannedUntil, now)))
    .limit(1);
  if (!ban) throw notFound("Ban");
  const accounts =
    ban.kind === "username"
      ? ban.accountId
        ? [ban.accountId]
        : []
      : (
          await deps.db
            .selectDistinct({ accountId: attempts.accountId })
            .from(attempts)
            .where(
              and(
                eq(attempts.sourceIp, ban.value),
                gte(attempts.createdAt, ban.windowStartedAt - CLOCK_SKEW_MS),
                countedRefusal(),
              ),
            )
        ).flatMap((a) => (a.accountId ? [a.accountId] : []));
  await deps.db.batch([
    deps.db
      .update(bans)
      .set({ bannedUntil: null, failures: 0, windowStartedAt: now, level: 0, updatedAt: now })
      .where(eq(bans.subject, subject)),
    ...accounts.map((accountId) =>
      auditInsert(deps, { accountId, actorType: "operator", actorId: null }, "login_ban.lifted", {
        type: "login_ban",
        id: subject,
      }),
    ),
  ]);
}
