import { eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import { hashPassword } from "../crypto/passwords.ts";
import { safeEqual } from "../crypto/secrets.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";

export interface NewAccountInput {
  accountName: string;
  timeZone: string;
  admin: { email: string; firstName: string; lastName: string; password: string };
}

export interface CreatedAccount {
  account: { id: string; name: string; timeZone: string };
  admin: { id: string; email: string };
}

/** True when `tz` is an IANA zone this runtime knows (`Europe/London`, `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}

async function accountStatements(deps: Deps, input: NewAccountInput, via: "operator" | "setup") {
  const now = deps.now();
  const accountId = newId("acc");
  const personId = newId("per");
  const email = input.admin.email.trim().toLowerCase();
  const passwordHash = await hashPassword(input.admin.password);
  const { db } = deps;
  const statements = [
    db.insert(schema.accounts).values({
      id: accountId,
      name: input.accountName.trim(),
      timeZone: input.timeZone,
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(schema.people).values({
      id: personId,
      accountId,
      email,
      firstName: input.admin.firstName.trim(),
      lastName: input.admin.lastName.trim(),
      role: "admin",
      active: true,
      source: "setup",
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(schema.adminLogins).values({ personId, accountId, passwordHash, createdAt: now, updatedAt: now }),
    auditInsert(
      deps,
      { accountId, actorType: via === "operator" ? "operator" : "system", actorId: null },
      "account.created",
      {
        type: "account",
        id: accountId,
      },
      { via, adminEmail: email },
    ),
  ] as const;
  const created: CreatedAccount = {
    account: { id: accountId, name: input.accountName.trim(), timeZone: input.timeZone },
    admin: { id: personId, email },
  };
  return { statements, created };
}

export async function isSetupDone(deps: Pick<Deps, "db">): Promise<boolean> {
  const row = await deps.db.select({ id: schema.installation.id }).from(schema.installation).limit(1);
  return row.length > 0;
}

/**
 * First-run setup: creates the first account and its admin, once. The
 * `installation` row is inserted in the same atomic batch, so of two racing
 * setups exactly one succeeds.
 */
export async function runSetup(
  deps: Deps,
  input: NewAccountInput & { setupToken?: string | undefined },
): Promise<CreatedAccount> {
  const required = deps.config.SETUP_TOKEN;
  if (required !== undefined && !safeEqual(input.setupToken ?? "", required)) {
    throw new AppError("forbidden", "A valid setup token is required (the SETUP_TOKEN secret)");
  }
  if (await isSetupDone(deps)) throw new AppError("setup_closed", "Setup has already been completed: sign in instead");
  const { statements, created } = await accountStatements(deps, input, "setup");
  try {
    await deps.db.batch([
      deps.db.insert(schema.installation).values({ id: "installation", createdAt: deps.now() }),
      ...statements,
    ]);
  } catch (err) {
    if (String(err).includes("UNIQUE")) {
      throw new AppError("setup_closed", "Setup has already been completed: sign in instead");
    }
    throw err;
  }
  return created;
}

/** Operator-only: another company (tenant) on the same deployment. */
export async function createAccount(deps: Deps, input: NewAccountInput): Promise<CreatedAccount> {
  const { statements, created } = await accountStatements(deps, input, "operator");
  await deps.db.batch([
    // Creating an account also closes first-run setup.
    deps.db.insert(schema.installation).values({ id: "installation", createdAt: deps.now() }).onConflictDoNothing(),
    ...statements,
  ]);
  return created;
}

export async function getAccount(deps: Pick<Deps, "db">, accountId: string) {
  const [row] = await deps.db.select().from(schema.accounts).where(eq(schema.accounts.id, accountId)).limit(1);
  if (!row) throw new AppError("not_found", "Account not found");
  return { id: row.id, name: row.name, timeZone: row.timeZone };
}
