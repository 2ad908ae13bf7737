import { and, asc, count, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import type { Deps, Principal } from "../deps.ts";
import { newId } from "../ids.ts";
import { MAX_RESULTS, URN } from "./discovery.ts";
import { ScimError } from "./errors.ts";
import { parseFilter } from "./filter.ts";
import { applyPatch } from "./patch.ts";
import { applyPersonRules, type PersonValues } from "./person-rules.ts";
import { userFilterSql } from "./user-filter.ts";
import { docFromResource, docOf, type PersonRow, toScimUser, type UserDoc } from "./user-resource.ts";

/**
 * SCIM Users over the account's people. Every query is scoped to the calling
 * key's account; a person of another account is simply not found. Writes are
 * audited as actor `scim` (the API key's id) with `{via: "scim"}`.
 */

export type ScimUser = ReturnType<typeof toScimUser>;

/** Where the User resources live, for `meta.location` and `Location`: `https://host/scim/v2`. */
export type ScimBase = string;

const p = schema.people;
const userNotFound = () => new AppError("not_found", "User not found");

function scimActor(principal: Principal) {
  return { accountId: principal.accountId, actorType: "scim" as const, actorId: principal.actorId };
}

export async function listUsers(
  deps: Pick<Deps, "db">,
  principal: Principal,
  base: ScimBase,
  q: { filter?: string | undefined; startIndex: number; count: number },
) {
  const where = and(eq(p.accountId, principal.accountId), q.filter ? userFilterSql(parseFilter(q.filter)) : undefined);
  const [total] = await deps.db.select({ n: count() }).from(p).where(where);
  const take = Math.min(Math.max(q.count, 0), MAX_RESULTS);
  const rows =
    take === 0
      ? []
      : await deps.db
          .select()
          .from(p)
          .where(where)
          .orderBy(asc(p.createdAt), asc(p.id))
          .limit(take)
          .offset(q.startIndex - 1);
  return {
    schemas: [URN.listResponse],
    totalResults: total?.n ?? 0,
    itemsPerPage: rows.length,
    startIndex: q.startIndex,
    Resources: rows.map((r) => toScimUser(r, base)),
  };
}

async function load(deps: Pick<Deps, "db">, principal: Principal, id: string): Promise<PersonRow> {
  const [row] = await deps.db
    .select()
    .from(p)
    .where(and(eq(p.accountId, principal.accountId), eq(p.id, id)))
    .limit(1);
  if (!row) throw userNotFound();
  return row;
}

export async function getUser(deps: Pick<Deps, "db">, principal: Principal, base: ScimBase, id: string) {
  return toScimUser(await load(deps, principal, id), base);
}

/** A unique index caught what the checks did not see (two requests racing for one userName). */
function asUniqueness(err: unknown): never {
  const text = `${String((err as Error)?.message ?? err)} ${String((err as { cause?: unknown })?.cause ?? "")}`;
  if (/UNIQUE constraint failed: people\./i.test(text)) {
    const what = /external_id/.test(text) ? "externalId" : /employee_number/.test(text) ? "employeeNumber" : "userName";
    throw new ScimError("uniqueness", `Another user already has this ${what}`);
  }
  throw err;
}

export async function createUser(deps: Deps, principal: Principal, base: ScimBase, body: unknown) {
  const next = await applyPersonRules(deps, principal.accountId, docFromResource(body, "create"), null);
  const now = deps.now();
  const row: PersonRow = {
    id: newId("per"),
    accountId: principal.accountId,
    ...next,
    leaveDate: null,
    source: "scim",
    createdAt: now,
    updatedAt: now,
  };
  await deps.db
    .batch([
      deps.db.insert(p).values(row),
      auditInsert(
        deps,
        scimActor(principal),
        "person.created",
        { type: "person", id: row.id },
        {
          via: "scim",
          email: row.email,
          ...(row.externalId !== null ? { externalId: row.externalId } : {}),
        },
      ),
    ])
    .catch(asUniqueness);
  return toScimUser(row, base);
}

/** Writes what changed (nothing, when an identity provider re-sends what Sluice has) and audits it. */
async function update(deps: Deps, principal: Principal, base: ScimBase, existing: PersonRow, doc: UserDoc) {
  const next = await applyPersonRules(deps, principal.accountId, doc, existing);
  const changes: Partial<PersonValues> = {};
  for (const key of Object.keys(next) as (keyof PersonValues)[]) {
    if (next[key] !== existing[key]) (changes as Record<string, unknown>)[key] = next[key];
  }
  const changed = Object.keys(changes);
  if (changed.length === 0) return toScimUser(existing, base);
  const updatedAt = Math.max(deps.now(), existing.updatedAt + 1);
  const action = changes.active === false ? "person.deactivated" : "person.updated";
  await deps.db
    .batch([
      deps.db
        .update(p)
        .set({ ...changes, updatedAt })
        .where(and(eq(p.accountId, principal.accountId), eq(p.id, existing.id))),
      auditInsert(deps, scimActor(principal), action, { type: "person", id: existing.id }, { via: "scim", changed }),
    ])
    .catch(asUniqueness);
  return toScimUser({ ...existing, ...changes, updatedAt }, base);
}

/** PUT: the body is the whole user (see `docFromResource` for what omitting an attribute means). */
export async function replaceUser(deps: Deps, principal: Principal, base: ScimBase, id: string, body: unknown) {
  const existing = await load(deps, principal, id);
  return update(deps, principal, base, existing, docFromResource(body, "replace"));
}

export async function patchUser(deps: Deps, principal: Principal, base: ScimBase, id: string, body: unknown) {
  const existing = await load(deps, principal, id);
  return update(deps, principal, base, existing, applyPatch(docOf(existing), body));
}

/** DELETE deactivates: the person, their history and who approves for whom stay; a later GET shows active false. */
export async function deactivateUser(deps: Deps, principal: Principal, base: ScimBase, id: string) {
  const existing = await load(deps, principal, id);
  await update(deps, principal, base, existing, { active: false });
}
