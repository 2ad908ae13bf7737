import { and, count, desc, eq, lt } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError, notFound, validationFailed } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import { encryptSecret } from "../crypto/secrets.ts";
import type { Deps, Principal } from "../deps.ts";
import { newId } from "../ids.ts";
import { deliveryInsert, enqueueEvent, eventPayload, type WebhookEventType } from "./events.ts";
import { newWebhookSecret } from "./signing.ts";
import { webhookUrlProblem } from "./url-policy.ts";

/** After a rotation the previous secret keeps signing this long, so receivers can switch without downtime. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_ENDPOINTS_PER_ACCOUNT = 20;

type EndpointRow = typeof schema.webhookEndpoints.$inferSelect;
type DeliveryRow = typeof schema.webhookDeliveries.$inferSelect;

function view(row: EndpointRow, now: number) {
  const graceOpen = row.previousSecretCipher !== null && (row.previousSecretUntil ?? 0) > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEventType[],
    status: row.status,
    /** While set, deliveries carry a second signature made with the previous secret. */
    previousSecretExpiresAt: graceOpen ? row.previousSecretUntil : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export type WebhookEndpointView = ReturnType<typeof view>;

function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
  };
}

function checkUrl(deps: Pick<Deps, "config">, url: string) {
  const problem = webhookUrlProblem(url, deps.config.SLUICE_ENV);
  if (problem) throw validationFailed([{ field: "url", message: problem }]);
}

const uniqueEvents = (events: WebhookEventType[]) => [...new Set(events)];

async function findEndpoint(deps: Pick<Deps, "db">, actor: Principal, id: string) {
  const [row] = await deps.db
    .select()
    .from(schema.webhookEndpoints)
    .where(and(eq(schema.webhookEndpoints.id, id), eq(schema.webhookEndpoints.accountId, actor.accountId)));
  if (!row) throw notFound("Webhook endpoint");
  return row;
}

export async function createEndpoint(
  deps: Deps,
  actor: Principal,
  input: { url: string; events: WebhookEventType[]; description?: string | null | undefined },
) {
  checkUrl(deps, input.url);
  const [existing] = await deps.db
    .select({ n: count() })
    .from(schema.webhookEndpoints)
    .where(eq(schema.webhookEndpoints.accountId, actor.accountId));
  if ((existing?.n ?? 0) >= MAX_ENDPOINTS_PER_ACCOUNT) {
    throw new AppError("conflict", `An account can have at most ${MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints`);
  }
  const secret = newWebhookSecret();
  const now = deps.now();
  const row: EndpointRow = {
    id: newId("whk"),
    accountId: actor.accountId,
    url: input.url,
    description: input.description?.trim() || null,
    events: uniqueEvents(input.events),
    secretCipher: await encryptSecret(deps.config.CREDENTIALS_KEY, secret),
    previousSecretCipher: null,
    previousSecretUntil: null,
    status: "enabled",
    createdAt: now,
    updatedAt: now,
  };
  await deps.db.batch([
    deps.db.insert(schema.webhookEndpoints).values(row),
    auditInsert(deps, actor, "webhook.created", { type: "webhook", id: row.id }, { url: row.url, events: row.events }),
  ]);
  return { ...view(row, now), secret };
}

export async function listEndpoints(deps: Pick<Deps, "db" | "now">, actor: Principal) {
  const rows = await deps.db
    .select()
    .from(schema.webhookEndpoints)
    .where(eq(schema.webhookEndpoints.accountId, actor.accountId))
    .orderBy(desc(schema.webhookEndpoints.createdAt));
  return rows.map((r) => view(r, deps.now()));
}

export async function getEndpoint(deps: Pick<Deps, "db" | "now">, actor: Principal, id: string) {
  return view(await findEndpoint(deps, actor, id), deps.now());
}

export async function updateEndpoint(
  deps: Deps,
  actor: Principal,
  id: string,
  patch: {
    url?: string | undefined;
    events?: WebhookEventType[] | undefined;
    description?: string | null | undefined;
    status?: "enabled" | "disabled" | undefined;
  },
) {
  await findEndpoint(deps, actor, id);
  if (patch.url !== undefined) checkUrl(deps, patch.url);
  const now = deps.now();
  const set = {
    ...(patch.url !== undefined ? { url: patch.url } : {}),
    ...(patch.events !== undefined ? { events: uniqueEvents(patch.events) } : {}),
    ...(patch.description !== undefined ? { description: patch.description?.trim() || null } : {}),
    ...(patch.status !== undefined ? { status: patch.status } : {}),
    updatedAt: now,
  };
  const where = and(eq(schema.webhookEndpoints.id, id), eq(schema.webhookEndpoints.accountId, actor.accountId));
  const changed = Object.keys(set).filter((k) => k !== "updatedAt");
  const [updated] = await deps.db.batch([
    deps.db.update(schema.webhookEndpoints).set(set).where(where).returning(),
    auditInsert(deps, actor, "webhook.updated", { type: "webhook", id }, { fields: changed }),
  ]);
  const row = updated[0];
  if (!row) throw notFound("Webhook endpoint");
  return view(row, now);
}

/** Deletes an endpoint and its delivery log; messages still queued for it find nothing and send nothing. */
export async function deleteEndpoint(deps: Deps, actor: Principal, id: string) {
  const row = await findEndpoint(deps, actor, id);
  await deps.db.batch([
    deps.db
      .delete(schema.webhookDeliveries)
      .where(and(eq(schema.webhookDeliveries.endpointId, id), eq(schema.webhookDeliveries.accountId, actor.accountId))),
    deps.db
      .delete(schema.webhookEndpoints)
      .where(and(eq(schema.webhookEndpoints.id, id), eq(schema.webhookEndpoints.accountId, actor.accountId))),
    auditInsert(deps, actor, "webhook.deleted", { type: "webhook", id }, { url: row.url }),
  ]);
}

/**
 * A new signing secret, shown once. The current one becomes the previous one
 * and keeps signing (a second `v1`) for 24 hours; a secret older than that is
 * dropped. Conditional on the secret read, so two rotations at once cannot
 * both report a secret as current.
 */
export async function rotateSecret(deps: Deps, actor: Principal, id: string) {
  const row = await findEndpoint(deps, actor, id);
  const secret = newWebhookSecret();
  const now = deps.now();
  const [updated] = await deps.db.batch([
    deps.db
      .update(schema.webhookEndpoints)
      .set({
        secretCipher: await encryptSecret(deps.config.CREDENTIALS_KEY, secret),
        previousSecretCipher: row.secretCipher,
        previousSecretUntil: now + PREVIOUS_SECRET_TTL_MS,
        updatedAt: now,
      })
      .where(
        and(
          eq(schema.webhookEndpoints.id, id),
          eq(schema.webhookEndpoints.accountId, actor.accountId),
          eq(schema.webhookEndpoints.secretCipher, row.secretCipher),
        ),
      )
      .returning(),
    auditInsert(deps, actor, "webhook.secret_rotated", { type: "webhook", id }),
  ]);
  const rotated = updated[0];
  if (!rotated) throw new AppError("conflict", "The secret was rotated at the same moment; try again");
  return { ...view(rotated, now), secret };
}

/** The endpoint's delivery log, newest first. */
export async function listDeliveries(
  deps: Pick<Deps, "db">,
  actor: Principal,
  id: string,
  opts: { limit: number; before?: number | undefined },
) {
  await findEndpoint(deps, actor, id);
  const table = schema.webhookDeliveries;
  const rows = await deps.db
    .select()
    .from(table)
    .where(
      and(
        eq(table.accountId, actor.accountId),
        eq(table.endpointId, id),
        opts.before !== undefined ? lt(table.createdAt, opts.before) : undefined,
      ),
    )
    .orderBy(desc(table.createdAt))
    .limit(opts.limit);
  return rows.map(deliveryView);
}

/** Queues a `ping` event for this endpoint alone (whatever it subscribes to), through the normal delivery path. */
export async function sendTestEvent(deps: Deps, actor: Principal, id: string) {
  const endpoint = await findEndpoint(deps, actor, id);
  if (endpoint.status !== "enabled") throw new AppError("conflict", "The endpoint is disabled: enable it first");
  const eventId = newId("evt");
  const payload = eventPayload(deps, {
    id: eventId,
    type: "ping",
    accountId: actor.accountId,
    data: { endpointId: id, message: "A test event from Sluice" },
  });
  await deliveryInsert(deps, { accountId: actor.accountId, endpointId: id, eventId, type: "ping", payload });
  const [row] = await deps.db
    .select()
    .from(schema.webhookDeliveries)
    .where(and(eq(schema.webhookDeliveries.endpointId, id), eq(schema.webhookDeliveries.eventId, eventId)));
  if (!row) throw notFound("Webhook endpoint");
  await enqueueEvent(deps, { accountId: actor.accountId, eventId, endpointIds: [id], inserts: [] });
  return deliveryView(row);
}
