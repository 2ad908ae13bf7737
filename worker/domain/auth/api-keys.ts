import { and, desc, eq, isNull } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import { randomBase32 } from "../crypto/encoding.ts";
import { sha256Hex } from "../crypto/secrets.ts";
import type { Deps, Principal } from "../deps.ts";
import { newId } from "../ids.ts";

export const apiKeyScopes = ["api", "scim"] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** Keys look like `slk_` + 40 base32 characters (200 bits): recognisable by secret scanners. */
const KEY_PREFIX = "slk_";
const LAST_USED_EVERY_MS = 60 * 1000;

function view(row: typeof schema.apiKeys.$inferSelect) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

export type ApiKeyView = ReturnType<typeof view>;

export async function createApiKey(deps: Deps, actor: Principal, input: { name: string; scopes: ApiKeyScope[] }) {
  const key = `${KEY_PREFIX}${randomBase32(40)}`;
  const row = {
    id: newId("key"),
    accountId: actor.accountId,
    name: input.name.trim(),
    prefix: key.slice(0, 10),
    keyHash: await sha256Hex(key),
    scopes: [...new Set(input.scopes)],
    createdBy: actor.actorId,
    createdAt: deps.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.db.batch([
    deps.db.insert(schema.apiKeys).values(row),
    auditInsert(
      deps,
      actor,
      "api_key.created",
      { type: "api_key", id: row.id },
      { name: row.name, scopes: row.scopes },
    ),
  ]);
  return { ...view(row), key };
}

export async function listApiKeys(deps: Pick<Deps, "db">, actor: Principal) {
  const rows = await deps.db
    .select()
    .from(schema.apiKeys)
    .where(eq(schema.apiKeys.accountId, actor.accountId))
    .orderBy(desc(schema.apiKeys.createdAt));
  return rows.map(view);
}

export async function revokeApiKey(deps: Deps, actor: Principal, id: string) {
  const rows = await deps.db
    .update(schema.apiKeys)
    .set({ revokedAt: deps.now() })
    .where(
      and(eq(schema.apiKeys.id, id), eq(schema.apiKeys.accountId, actor.accountId), isNull(schema.apiKeys.revokedAt)),
    )
    .returning({ id: schema.apiKeys.id });
  if (rows.length === 0) throw new AppError("not_found", "API key not found");
  await auditInsert(deps, actor, "api_key.revoked", { type: "api_key", id });
}

/** The principal behind a bearer key with the needed scope, or null. Lookup is by hash of a 200-bit secret. */
export async function resolveApiKey(
  deps: Pick<Deps, "db" | "now">,
  key: string,
  scope: ApiKeyScope,
): Promise<Principal | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 100) return null;
  const [row] = await deps.db
    .select()
    .from(schema.apiKeys)
    .where(eq(schema.apiKeys.keyHash, await sha256Hex(key)))
    .limit(1);
  if (!row || row.revokedAt !== null || !row.scopes.includes(scope)) return null;
  const now = deps.now();
  if (row.lastUsedAt === null || now - row.lastUsedAt > LAST_USED_EVERY_MS) {
    await deps.db.update(schema.apiKeys).set({ lastUsedAt: now }).where(eq(schema.apiKeys.id, row.id));
  }
  return { accountId: row.accountId, actorType: "api_key", actorId: row.id };
}
