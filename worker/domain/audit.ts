import { schema } from "../db/client.ts";
import type { Deps, Principal } from "./deps.ts";
import { newId } from "./ids.ts";

export type AuditAction =
  | "account.created"
  | "session.created"
  | "api_key.created"
  | "api_key.revoked"
  | "delivery.created"
  | "delivery.updated"
  | "delivery.deleted"
  | "delivery.credentials_revealed"
  | "delivery.credentials_regenerated"
  | "login_ban.lifted"
  | "import.approved"
  | "import.rejected"
  | "import.reprocessed"
  | "webhook.created"
  | "webhook.updated"
  | "webhook.deleted"
  | "webhook.secret_rotated"
  | "person.created"
  | "person.updated"
  | "person.deactivated";

/** The insert for one audit event, to be batched with the change it records. */
export function auditInsert(
  deps: Pick<Deps, "db" | "now">,
  actor: Principal | { accountId: string; actorType: "operator" | "system" | "relay" | "scim"; actorId: string | null },
  action: AuditAction,
  target: { type: string; id: string } | null,
  detail?: Record<string, unknown>,
) {
  return deps.db.insert(schema.auditEvents).values({
    id: newId("aud"),
    accountId: actor.accountId,
    actorType: actor.actorType,
    actorId: actor.actorId,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    detail: detail ?? null,
    createdAt: deps.now(),
  });
}
