import { and, desc, eq, lt } from "drizzle-orm";
import { schema } from "../db/client.ts";
import type { Deps } from "./deps.ts";

export interface AuditEntry {
  id: string;
  at: number;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  detail: Record<string, unknown> | null;
}

/**
 * Who did what, newest first: configuration changes, credential reveals and
 * regenerations, approvals (audit_events), merged with refused SFTP logins
 * (login_attempts) so one feed answers "what happened to this account".
 */
export async function listAudit(
  deps: Pick<Deps, "db">,
  accountId: string,
  opts: { limit: number; before?: number | undefined },
): Promise<AuditEntry[]> {
  const before = opts.before;
  const events = await deps.db
    .select()
    .from(schema.auditEvents)
    .where(
      and(
        eq(schema.auditEvents.accountId, accountId),
        before !== undefined ? lt(schema.auditEvents.createdAt, before) : undefined,
      ),
    )
    .orderBy(desc(schema.auditEvents.createdAt))
    .limit(opts.limit);
  const refusals = await deps.db
    .select()
    .from(schema.loginAttempts)
    .where(
      and(
        eq(schema.loginAttempts.accountId, accountId),
        eq(schema.loginAttempts.outcome, "refused"),
        before !== undefined ? lt(schema.loginAttempts.createdAt, before) : undefined,
      ),
    )
    .orderBy(desc(schema.loginAttempts.createdAt))
    .limit(opts.limit);
  const merged: AuditEntry[] = [
    ...events.map((e) => ({
      id: e.id,
      at: e.createdAt,
      actorType: e.actorType,
      actorId: e.actorId,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      detail: e.detail,
    })),
    ...refusals.map((r) => ({
      id: r.id,
      at: r.createdAt,
      actorType: "relay",
      actorId: r.relayId,
      action: "sftp.login_refused",
      targetType: "delivery",
      targetId: r.deliveryId,
      detail: { username: r.username, sourceIp: r.sourceIp, method: r.method, reason: r.reason },
    })),
  ];
  return merged.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).slice(0, opts.limit);
}
