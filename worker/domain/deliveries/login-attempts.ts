import { and, desc, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps, Principal } from "../deps.ts";
import { findDelivery } from "./deliveries.ts";

/** Recent SFTP logins to one delivery with their real outcome and reason (admins only). */
export async function listLoginAttempts(
  deps: Deps,
  actor: Principal,
  deliveryId: string,
  opts: { outcome?: "granted" | "refused" | undefined; limit: number },
) {
  await findDelivery(deps, actor, deliveryId);
  return deps.db
    .select({
      id: schema.loginAttempts.id,
      sourceIp: schema.loginAttempts.sourceIp,
      method: schema.loginAttempts.method,
      outcome: schema.loginAttempts.outcome,
      reason: schema.loginAttempts.reason,
      createdAt: schema.loginAttempts.createdAt,
    })
    .from(schema.loginAttempts)
    .where(
      and(
        eq(schema.loginAttempts.accountId, actor.accountId),
        eq(schema.loginAttempts.deliveryId, deliveryId),
        opts.outcome ? eq(schema.loginAttempts.outcome, opts.outcome) : undefined,
      ),
    )
    .orderBy(desc(schema.loginAttempts.createdAt))
    .limit(opts.limit);
}
