import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { schema } from "../../db/client.ts";
import { sha256Hex } from "../crypto/secrets.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";

/** The events an endpoint can subscribe to. `ping` (the test button) goes to one endpoint, subscribed or not. */
export const webhookEventTypes = [
  "file.received",
  "import.applied",
  "import.tested",
  "import.rejected",
  "import.held",
  "import.failed",
  "delivery.overdue",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];
export type AnyEventType = WebhookEventType | "ping";

/** The JSON body of every webhook: ids and counts, never secrets or row contents. */
export interface WebhookEvent {
  id: string;
  type: AnyEventType;
  /** ISO 8601. */
  createdAt: string;
  accountId: string;
  data: Record<string, unknown>;
}

/**
 * One event's delivery rows, ready to be batched atomically with whatever
 * caused it. The event id is derived from the cause (`key`), and each row is
 * unique per (endpoint, event), so writing the same cause twice adds nothing.
 */
export interface PreparedEvent {
  accountId: string;
  eventId: string;
  endpointIds: string[];
  inserts: DeliveryInsert[];
}

/** Same account and cause → same event id. */
export async function eventIdFor(accountId: string, key: string) {
  return `evt_${(await sha256Hex(`${accountId}:${key}`)).slice(0, 26)}`;
}

/**
 * The insert of one delivery row, as `INSERT … SELECT … FROM webhook_endpoints`:
 * it inserts only while the endpoint still exists and is enabled (and `guard`
 * holds), so a deleted endpoint can never make the cause's batch fail on the
 * foreign key; a row already there for (endpoint, event) is left alone.
 */
export function deliveryInsert(
  deps: Pick<Deps, "db" | "now">,
  row: { accountId: string; endpointId: string; eventId: string; type: AnyEventType; payload: string },
  guard?: SQL,
) {
  const ep = schema.webhookEndpoints;
  const none = (name: string) => sql<null>`NULL`.as(name);
  return deps.db
    .insert(schema.webhookDeliveries)
    .select((qb) =>
      qb
        .select({
          id: sql<string>`${newId("whd")}`.as("id"),
          accountId: ep.accountId,
          endpointId: ep.id,
          eventId: sql<string>`${row.eventId}`.as("event_id"),
          eventType: sql<string>`${row.type}`.as("event_type"),
          payload: sql<string>`${row.payload}`.as("payload"),
          status: sql<"pending">`'pending'`.as("status"),
          attempts: sql<number>`0`.as("attempts"),
          claimedAt: none("claimed_at"),
          lastStatusCode: none("last_status_code"),
          lastError: none("last_error"),
          createdAt: sql<number>`${deps.now()}`.as("created_at"),
          deliveredAt: none("delivered_at"),
        })
        .from(ep)
        .where(and(eq(ep.id, row.endpointId), eq(ep.accountId, row.accountId), eq(ep.status, "enabled"), guard)),
    )
    .onConflictDoNothing({ target: [schema.webhookDeliveries.endpointId, schema.webhookDeliveries.eventId] });
}

export type DeliveryInsert = ReturnType<typeof deliveryInsert>;

export function eventPayload(deps: Pick<Deps, "now">, e: Omit<WebhookEvent, "createdAt">) {
  const event: WebhookEvent = {
    id: e.id,
    type: e.type,
    createdAt: new Date(deps.now()).toISOString(),
    accountId: e.accountId,
    data: e.data,
  };
  return JSON.stringify(event);
}

/**
 * Builds the delivery rows of one event for every enabled endpoint of the
 * account subscribed to it. Never throws: a webhook must not stop the file,
 * import or alert that caused it, so on a database error it logs and returns
 * an event with no deliveries.
 */
export async function prepareEvent(
  deps: Pick<Deps, "db" | "now">,
  input: { accountId: string; type: WebhookEventType; key: string; data: Record<string, unknown>; guard?: SQL },
): Promise<PreparedEvent> {
  const eventId = await eventIdFor(input.accountId, input.key);
  const empty: PreparedEvent = { accountId: input.accountId, eventId, endpointIds: [], inserts: [] };
  try {
    const endpoints = await deps.db
      .select({ id: schema.webhookEndpoints.id, events: schema.webhookEndpoints.events })
      .from(schema.webhookEndpoints)
      .where(
        and(eq(schema.webhookEndpoints.accountId, input.accountId), eq(schema.webhookEndpoints.status, "enabled")),
      );
    const subscribed = endpoints.filter((e) => e.events.includes(input.type));
    if (subscribed.length === 0) return empty;
    const payload = eventPayload(deps, { id: eventId, type: input.type, accountId: input.accountId, data: input.data });
    return {
      ...empty,
      endpointIds: subscribed.map((e) => e.id),
      inserts: subscribed.map((e) =>
        deliveryInsert(
          deps,
          { accountId: input.accountId, endpointId: e.id, eventId, type: input.type, payload },
          input.guard,
        ),
      ),
    };
  } catch (err) {
    console.error(`preparing webhook event ${input.type} for account ${input.accountId} failed`, err);
    return empty;
  }
}

/** The event's inserts as drizzle batch items. */
export function eventBatchItems(event: PreparedEvent): BatchItem<"sqlite">[] {
  return event.inserts;
}

/** Deletes the event's rows again, for a cause that is itself being undone. */
export function eventUndoItems(deps: Pick<Deps, "db">, event: PreparedEvent): BatchItem<"sqlite">[] {
  if (event.endpointIds.length === 0) return [];
  return [
    deps.db
      .delete(schema.webhookDeliveries)
      .where(
        and(
          inArray(schema.webhookDeliveries.endpointId, event.endpointIds),
          eq(schema.webhookDeliveries.eventId, event.eventId),
          eq(schema.webhookDeliveries.accountId, event.accountId),
        ),
      ),
  ];
}

/** The event's inserts as raw D1 statements, for code that batches with `db.$client`. */
export function eventStatements(deps: Pick<Deps, "db">, event: PreparedEvent): D1PreparedStatement[] {
  return event.inserts.map((q) => {
    const compiled = q.toSQL();
    return deps.db.$client.prepare(compiled.sql).bind(...compiled.params);
  });
}

/**
 * Hands the event's new delivery rows to the queue, after the batch that wrote
 * them committed. A failure only logs: the cron re-enqueues pending rows.
 */
export async function enqueueEvent(deps: Pick<Deps, "db" | "queue">, event: PreparedEvent) {
  if (event.endpointIds.length === 0) return;
  try {
    const rows = await deps.db
      .select({ id: schema.webhookDeliveries.id, accountId: schema.webhookDeliveries.accountId })
      .from(schema.webhookDeliveries)
      .where(
        and(
          inArray(schema.webhookDeliveries.endpointId, event.endpointIds),
          eq(schema.webhookDeliveries.eventId, event.eventId),
          eq(schema.webhookDeliveries.accountId, event.accountId),
          eq(schema.webhookDeliveries.status, "pending"),
          eq(schema.webhookDeliveries.attempts, 0),
        ),
      );
    await enqueueDeliveries(deps, rows);
  } catch (err) {
    console.error(`enqueueing webhook event ${event.eventId} failed; the cron will retry`, err);
  }
}

export async function enqueueDeliveries(deps: Pick<Deps, "queue">, rows: { id: string; accountId: string }[]) {
  for (let i = 0; i < rows.length; i += 100) {
    await deps.queue.sendBatch(
      rows
        .slice(i, i + 100)
        .map((r) => ({ body: { type: "webhook" as const, accountId: r.accountId, deliveryId: r.id } })),
    );
  }
}

/** Writes and enqueues one event on its own, for causes that are already committed. */
export async function emitEvent(deps: Pick<Deps, "db" | "now" | "queue">, event: PreparedEvent) {
  const [first, ...rest] = eventBatchItems(event);
  if (!first) return;
  try {
    await deps.db.batch([first, ...rest]);
  } catch (err) {
    console.error(`writing webhook event ${event.eventId} failed`, err);
    return;
  }
  await enqueueEvent(deps, event);
}
