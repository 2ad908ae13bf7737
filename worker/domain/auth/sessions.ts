import { and, eq, lt } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import { randomBytes, toBase64Url } from "../crypto/encoding.ts";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "../crypto/passwords.ts";
import { sha256Hex } from "../crypto/secrets.ts";
import type { Deps, Principal } from "../deps.ts";

/** A session ends 12 hours after sign-in, or after 2 hours without a request. */
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionInfo {
  principal: Principal;
  personId: string;
  csrfToken: string;
}

export interface LoginInput {
  email: string;
  password: string;
  accountId?: string | undefined;
}

const refused = () => new AppError("unauthorized", "Email or password is incorrect");

/**
 * Checks an admin's email and password and opens a session. The same admin
 * email may exist in several accounts: the password picks the account, or
 * `accountId` does when given.
 */
export async function signIn(deps: Deps, input: LoginInput) {
  const email = input.email.trim().toLowerCase();
  const candidates = await deps.db
    .select({
      personId: schema.people.id,
      accountId: schema.people.accountId,
      active: schema.people.active,
      role: schema.people.role,
      firstName: schema.people.firstName,
      lastName: schema.people.lastName,
      passwordHash: schema.adminLogins.passwordHash,
    })
    .from(schema.people)
    .innerJoin(schema.adminLogins, eq(schema.adminLogins.personId, schema.people.id))
    .where(eq(schema.people.email, email))
    .limit(10);
  const eligible = candidates.filter(
    (c) => c.active && c.role === "admin" && (!input.accountId || c.accountId === input.accountId),
  );
  if (eligible.length === 0) {
    // Spend the same PBKDF2 time as a real check so response time does not reveal unknown emails.
    await verifyPassword(input.password, DUMMY_PASSWORD_HASH);
    throw refused();
  }
  let match: (typeof eligible)[number] | undefined;
  for (const c of eligible) {
    if (await verifyPassword(input.password, c.passwordHash)) {
      match = c;
      break;
    }
  }
  if (!match) throw refused();

  const token = toBase64Url(randomBytes(32));
  const csrfToken = toBase64Url(randomBytes(24));
  const now = deps.now();
  const expiresAt = now + SESSION_ABSOLUTE_MS;
  const principal: Principal = { accountId: match.accountId, actorType: "admin", actorId: match.personId };
  await deps.db.batch([
    deps.db.insert(schema.sessions).values({
      tokenHash: await sha256Hex(token),
      accountId: match.accountId,
      personId: match.personId,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    }),
    // Housekeeping: sessions of this admin that have expired are dropped here.
    deps.db
      .delete(schema.sessions)
      .where(and(eq(schema.sessions.personId, match.personId), lt(schema.sessions.expiresAt, now))),
    auditInsert(deps, principal, "session.created", { type: "person", id: match.personId }),
  ]);
  return {
    token,
    csrfToken,
    expiresAt,
    accountId: match.accountId,
    person: { id: match.personId, email, firstName: match.firstName, lastName: match.lastName },
  };
}

/** The session behind a cookie value, or null when unknown, expired or idle too long. */
export async function resolveSession(deps: Pick<Deps, "db" | "now">, token: string): Promise<SessionInfo | null> {
  if (!token || token.length > 200) return null;
  const tokenHash = await sha256Hex(token);
  const [row] = await deps.db
    .select({
      accountId: schema.sessions.accountId,
      personId: schema.sessions.personId,
      csrfToken: schema.sessions.csrfToken,
      lastSeenAt: schema.sessions.lastSeenAt,
      expiresAt: schema.sessions.expiresAt,
      active: schema.people.active,
      role: schema.people.role,
    })
    .from(schema.sessions)
    .innerJoin(schema.people, eq(schema.people.id, schema.sessions.personId))
    .where(eq(schema.sessions.tokenHash, tokenHash))
    .limit(1);
  if (!row) return null;
  const now = deps.now();
  if (now >= row.expiresAt || now - row.lastSeenAt >= SESSION_IDLE_MS || !row.active || row.role !== "admin") {
    await deps.db.delete(schema.sessions).where(eq(schema.sessions.tokenHash, tokenHash));
    return null;
  }
  if (now - row.lastSeenAt >= TOUCH_EVERY_MS) {
    await deps.db.update(schema.sessions).set({ lastSeenAt: now }).where(eq(schema.sessions.tokenHash, tokenHash));
  }
  return {
    principal: { accountId: row.accountId, actorType: "admin", actorId: row.personId },
    personId: row.personId,
    csrfToken: row.csrfToken,
  };
}

export async function signOut(deps: Pick<Deps, "db">, token: string) {
  await deps.db.delete(schema.sessions).where(eq(schema.sessions.tokenHash, await sha256Hex(token)));
}
