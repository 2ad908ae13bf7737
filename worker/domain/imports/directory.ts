import { type AnyColumn, and, asc, eq, gt, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { schema } from "../../db/client.ts";
import type { Deps, Principal } from "../deps.ts";

interface ListOptions {
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Case-insensitive "contains", with LIKE's own wildcards in `q` taken literally. */
const like = (column: AnyColumn, q: string) =>
  sql`${column} LIKE ${`%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`;

/** What the syncs produced: the account's people, searchable by email, name or employee number, by email order. */
export async function listPeople(deps: Deps, actor: Principal, opts: ListOptions) {
  const p = schema.people;
  const approver = alias(schema.people, "approver");
  const q = opts.q?.trim();
  const rows = await deps.db
    .select({
      id: p.id,
      email: p.email,
      firstName: p.firstName,
      lastName: p.lastName,
      employeeNumber: p.employeeNumber,
      department: p.department,
      costCentre: p.costCentre,
      approverEmail: approver.email,
      role: p.role,
      active: p.active,
      leaveDate: p.leaveDate,
      source: p.source,
      updatedAt: p.updatedAt,
    })
    .from(p)
    .leftJoin(approver, and(eq(approver.id, p.approverId), eq(approver.accountId, p.accountId)))
    .where(
      and(
        eq(p.accountId, actor.accountId),
        q
          ? or(like(p.email, q.toLowerCase()), like(p.firstName, q), like(p.lastName, q), like(p.employeeNumber, q))
          : undefined,
        opts.cursor ? gt(p.email, opts.cursor) : undefined,
      ),
    )
    .orderBy(asc(p.email))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  return { people: page, nextCursor: rows.length > opts.limit ? (page.at(-1)?.email ?? null) : null };
}

/** The account's projects, searchable by code, name or client, by code order. */
export async function listProjects(deps: Deps, actor: Principal, opts: ListOptions) {
  const p = schema.projects;
  const approver = alias(schema.people, "approver");
  const q = opts.q?.trim();
  const rows = await deps.db
    .select({
      id: p.id,
      code: p.code,
      name: p.name,
      client: p.client,
      active: p.active,
      startDate: p.startDate,
      endDate: p.endDate,
      billable: p.billable,
      approverEmail: approver.email,
      updatedAt: p.updatedAt,
    })
    .from(p)
    .leftJoin(approver, and(eq(approver.id, p.approverId), eq(approver.accountId, p.accountId)))
    .where(
      and(
        eq(p.accountId, actor.accountId),
        q ? or(like(p.code, q), like(p.name, q), like(p.client, q)) : undefined,
        opts.cursor ? gt(p.code, opts.cursor) : undefined,
      ),
    )
    .orderBy(asc(p.code))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  return { projects: page, nextCursor: rows.length > opts.limit ? (page.at(-1)?.code ?? null) : null };
}
