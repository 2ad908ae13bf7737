/** Test support for webhooks: a recording queue, a scripted receiver and an independent signature check. */

import { env } from "cloudflare:test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { depsFromEnv } from "../deps-from-env.ts";
import type { Deps } from "../domain/deps.ts";
import type { Fetcher } from "../domain/webhooks/deliver.ts";
import type { QueueMessage } from "../jobs/messages.ts";
import type { WebhookMessage } from "../jobs/webhook-consumer.ts";
import { call, type newTenant } from "./client.ts";

export type Tenant = Awaited<ReturnType<typeof newTenant>>;

export interface Queued {
  body: QueueMessage;
  delaySeconds: number | undefined;
}

/** Deps whose queue records what was sent (with delays) instead of delivering it. */
export function recordingDeps(now?: () => number): Deps & { sent: Queued[] } {
  const sent: Queued[] = [];
  const queue = {
    send: async (body: QueueMessage, opts?: QueueSendOptions) =>
      void sent.push({ body, delaySeconds: opts?.delaySeconds }),
    sendBatch: async (ms: Iterable<MessageSendRequest<QueueMessage>>) => {
      for (const m of ms) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue<QueueMessage>;
  return { ...depsFromEnv(env, now), queue, sent };
}

/** Takes the recorded webhook messages out of the queue. */
export function takeWebhookMessages(deps: { sent: Queued[] }) {
  const taken = deps.sent.filter((q) => q.body.type === "webhook");
  deps.sent.splice(0, deps.sent.length, ...deps.sent.filter((q) => q.body.type !== "webhook"));
  return taken;
}

export interface FakeMessage extends Message<WebhookMessage> {
  acked: boolean;
  retried: QueueRetryOptions | undefined;
}

export function fakeMessage(body: QueueMessage, attempts = 1): FakeMessage {
  if (body.type !== "webhook") throw new Error(`not a webhook message: ${body.type}`);
  const m = {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts,
    acked: false,
    retried: undefined as QueueRetryOptions | undefined,
    ack() {
      m.acked = true;
    },
    retry(opts?: QueueRetryOptions) {
      m.retried = opts ?? {};
    },
  };
  return m as unknown as FakeMessage;
}

export interface Received {
  url: string;
  init: RequestInit;
  headers: Headers;
  body: string;
}

/** A receiver that answers each request with the next scripted status (the last one repeats). */
export function scriptedReceiver(statuses: (number | Error)[], delayMs = 0) {
  const requests: Received[] = [];
  const fetcher: Fetcher = async (url, init) => {
    requests.push({ url, init, headers: new Headers(init.headers), body: String(init.body) });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const next = statuses[Math.min(requests.length - 1, statuses.length - 1)] ?? 200;
    if (next instanceof Error) throw next;
    return new Response(next === 204 ? null : "ok", { status: next });
  };
  return { fetcher, requests };
}

/**
 * The receiver's side, written independently of the Worker's signing code with
 * node:crypto: the same function the README shows, with `now` injectable.
 */
export function verifySluiceSignature(
  rawBody: string,
  header: string,
  secret: string,
  nowMs = Date.now(),
  toleranceSeconds = 300,
) {
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return parts.some(([k, v]) => {
    if (k !== "v1" || !v) return false;
    const given = Buffer.from(v, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function addEndpoint(
  t: Tenant,
  json: { url?: string; events?: string[]; description?: string } = {},
): Promise<{ id: string; secret: string }> {
  const res = await call("POST", "/api/v1/webhooks", {
    headers: t.auth,
    json: { url: "https://hooks.acme.example/sluice", events: ["file.received"], ...json },
  });
  if (res.status !== 201) throw new Error(`webhook: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, secret: res.body.secret };
}

export async function deliveriesOf(endpointId: string) {
  const { results } = await env.DB.prepare(
    `SELECT id, event_id, event_type, payload, status, attempts, last_status_code, last_error, delivered_at
     FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at, event_type`,
  )
    .bind(endpointId)
    .all<{
      id: string;
      event_id: string;
      event_type: string;
      payload: string;
      status: string;
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
      delivered_at: number | null;
    }>();
  return results;
}
