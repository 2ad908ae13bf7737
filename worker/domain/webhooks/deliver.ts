import { and, eq, lt, or, sql } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { decryptSecret } from "../crypto/secrets.ts";
import type { Deps } from "../deps.ts";
import { enqueueDeliveries } from "./events.ts";
import { signatureHeader } from "./signing.ts";
import { webhookUrlProblem } from "./url-policy.ts";

/** Tries per delivery before it is marked failed: with the backoff below, the last is about an hour after the first. */
export const MAX_WEBHOOK_ATTEMPTS = 8;
/** A receiver gets this long to answer. */
export const SEND_TIMEOUT_MS = 10_000;
/** A claim older than this belongs to a consumer that died: the delivery may be claimed again. */
const CLAIM_TIMEOUT_MS = 5 * 60 * 1000;
/** Pending deliveries never attempted after this long were never handed to the queue (a crash): hand them again. */
const REQUEUE_AFTER_MS = 60 * 1000;

/** 30 s, 1 min, 2 min … capped at an hour, after the given attempt. */
export function webhookRetryDelaySeconds(attempts: number) {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 3600);
}

/** The HTTP seam: the global `fetch` in the Worker, a fake in tests. */
export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

export type WebhookOutcome = "delivered" | "already-done" | "retry" | "failed";

/**
 * Sends one delivery row. The consumer first claims the row with a
 * conditional update, so two deliveries of the same queue message never both
 * send, and a delivered row is never sent again. The body is the stored
 * payload, signed now (receivers reject old timestamps); redirects are not
 * followed; anything but a 2xx within 10 s is a failure, retried until
 * `MAX_WEBHOOK_ATTEMPTS`.
 */
export async function deliverWebhook(
  deps: Deps,
  accountId: string,
  deliveryId: string,
  send: Fetcher = (url, init) => fetch(url, init),
): Promise<{ outcome: WebhookOutcome; attempts: number }> {
  const now = deps.now();
  const table = schema.webhookDeliveries;
  const [claimed] = await deps.db
    .update(table)
    .set({ status: "sending", claimedAt: now, attempts: sql`${table.attempts} + 1` })
    .where(
      and(
        eq(table.id, deliveryId),
        eq(table.accountId, accountId),
        or(eq(table.status, "pending"), and(eq(table.status, "sending"), lt(table.claimedAt, now - CLAIM_TIMEOUT_MS))),
      ),
    )
    .returning();
  if (!claimed) return { outcome: "already-done", attempts: 0 };
  const finish = async (outcome: WebhookOutcome, statusCode: number | null, error: string | null) => {
    const status = outcome === "delivered" ? "delivered" : outcome === "failed" ? "failed" : "pending";
    await deps.db
      .update(table)
      .set({
        status,
        claimedAt: null,
        lastStatusCode: statusCode,
        lastError: error?.slice(0, 500) ?? null,
        ...(outcome === "delivered" ? { deliveredAt: deps.now() } : {}),
      })
      .where(and(eq(table.id, deliveryId), eq(table.accountId, accountId)));
    return { outcome, attempts: claimed.attempts };
  };

  const [endpoint] = await deps.db
    .select()
    .from(schema.webhookEndpoints)
    .where(and(eq(schema.webhookEndpoints.id, claimed.endpointId), eq(schema.webhookEndpoints.accountId, accountId)));
  if (!endpoint) return finish("failed", null, "the endpoint was deleted");
  if (endpoint.status !== "enabled") return finish("failed", null, "the endpoint is disabled");
  const refused = webhookUrlProblem(endpoint.url, deps.config.SLUICE_ENV);
  if (refused) return finish("failed", null, `not sent: the URL ${refused}`);

  const key = deps.config.CREDENTIALS_KEY;
  const secrets = [await decryptSecret(key, endpoint.secretCipher)];
  if (endpoint.previousSecretCipher && (endpoint.previousSecretUntil ?? 0) > now) {
    secrets.push(await decryptSecret(key, endpoint.previousSecretCipher));
  }
  const timestamp = Math.floor(now / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "Sluice-Webhooks/1",
    "sluice-event-id": claimed.eventId,
    "sluice-event-type": claimed.eventType,
    "sluice-delivery-id": claimed.id,
    "sluice-signature": await signatureHeader(secrets, timestamp, claimed.payload),
  };

  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const res = await send(endpoint.url, {
      method: "POST",
      headers,
      body: claimed.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    statusCode = res.status;
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return finish("delivered", statusCode, null);
    error =
      res.status >= 300 && res.status < 400
        ? `HTTP ${res.status}: redirects are not followed`
        : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  } catch (err) {
    const name = (err as Error)?.name;
    error =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${SEND_TIMEOUT_MS / 1000} s`
        : String((err as Error)?.message ?? err);
  }
  return finish(claimed.attempts >= MAX_WEBHOOK_ATTEMPTS ? "failed" : "retry", statusCode, error);
}

/** The queue gave up on a delivery (dead-letter queue): record it as failed so nothing re-sends it. */
export async function markWebhookFailed(deps: Pick<Deps, "db">, accountId: string, deliveryId: string, why: string) {
  const table = schema.webhookDeliveries;
  await deps.db
    .update(table)
    .set({ status: "failed", claimedAt: null, lastError: why })
    .where(
      and(
        eq(table.id, deliveryId),
        eq(table.accountId, accountId),
        or(eq(table.status, "pending"), eq(table.status, "sending")),
      ),
    );
}

/**
 * For the cron: deliveries whose queue message was never sent (written, then
 * a crash before the enqueue) or whose consumer died mid-send. Rows waiting
 * for a retry (attempted, pending) already have a delayed message and are left alone.
 */
export async function requeueStrandedWebhooks(deps: Pick<Deps, "db" | "now" | "queue">, limit = 200) {
  const table = schema.webhookDeliveries;
  const now = deps.now();
  const rows = await deps.db
    .select({ id: table.id, accountId: table.accountId })
    .from(table)
    .where(
      or(
        and(eq(table.status, "pending"), eq(table.attempts, 0), lt(table.createdAt, now - REQUEUE_AFTER_MS)),
        and(eq(table.status, "sending"), lt(table.claimedAt, now - CLAIM_TIMEOUT_MS)),
      ),
    )
    .orderBy(table.createdAt)
    .limit(limit);
  await enqueueDeliveries(deps, rows);
  return rows.length;
}
