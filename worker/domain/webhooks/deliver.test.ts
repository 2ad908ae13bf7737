import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeWebhook, deadLetterWebhook } from "../../jobs/webhook-consumer.ts";
import { call, newTenant } from "../../test/client.ts";
import {
  addEndpoint,
  deliveriesOf,
  fakeMessage,
  recordingDeps,
  scriptedReceiver,
  type Tenant,
  takeWebhookMessages,
  verifySluiceSignature,
} from "../../test/webhooks.ts";
import { deliverWebhook, MAX_WEBHOOK_ATTEMPTS, requeueStrandedWebhooks } from "./deliver.ts";
import { emitEvent, eventBatchItems, prepareEvent } from "./events.ts";

const HOUR = 3_600_000;

async function fileEvent(deps: ReturnType<typeof recordingDeps>, t: Tenant, fileId = `fil_${crypto.randomUUID()}`) {
  const event = await prepareEvent(deps, {
    accountId: t.accountId,
    type: "file.received",
    key: `file.received:${fileId}`,
    data: { fileId, deliveryId: "dlv_x" },
  });
  await emitEvent(deps, event);
  return event;
}

/** Consumes every queued webhook message (and the retries they enqueue) until the queue is empty. */
async function drain(deps: ReturnType<typeof recordingDeps>, receiver: ReturnType<typeof scriptedReceiver>) {
  const delays: (number | undefined)[] = [];
  for (let round = 0; round < 20; round++) {
    const batch = takeWebhookMessages(deps);
    if (batch.length === 0) break;
    for (const q of batch) {
      if (round > 0) delays.push(q.delaySeconds);
      const m = fakeMessage(q.body);
      await consumeWebhook(deps, m, receiver.fetcher);
      expect(m.acked).toBe(true);
    }
  }
  return delays;
}

describe("sending webhooks", () => {
  it("POSTs the stored payload, signed, with the event headers and no redirects followed", async () => {
    const t = await newTenant();
    const { id, secret } = await addEndpoint(t);
    const deps = recordingDeps();
    const event = await fileEvent(deps, t);
    const receiver = scriptedReceiver([204]);
    await drain(deps, receiver);

    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req?.url).toBe("https://hooks.acme.example/sluice");
    expect(req?.init).toMatchObject({ method: "POST", redirect: "manual" });
    expect(req?.init.signal).toBeInstanceOf(AbortSignal);
    expect(req?.headers.get("content-type")).toBe("application/json");
    expect(req?.headers.get("sluice-event-id")).toBe(event.eventId);
    expect(req?.headers.get("sluice-event-type")).toBe("file.received");
    expect(verifySluiceSignature(req?.body ?? "", req?.headers.get("sluice-signature") ?? "", secret)).toBe(true);
    const payload = JSON.parse(req?.body ?? "{}");
    expect(payload).toMatchObject({ id: event.eventId, type: "file.received", accountId: t.accountId });
    expect(new Date(payload.createdAt).toISOString()).toBe(payload.createdAt);

    const [row] = await deliveriesOf(id);
    expect(row).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 204, last_error: null });
    expect(row?.delivered_at).toBeGreaterThan(0);
  });

  it("retries a receiver that fails twice with backoff, then records the delivery", async () => {
    const t = await newTenant();
    const { id, secret } = await addEndpoint(t);
    const deps = recordingDeps();
    await fileEvent(deps, t);
    const receiver = scriptedReceiver([500, new TypeError("connection reset"), 200]);
    const delays = await drain(deps, receiver);

    expect(receiver.requests).toHaveLength(3);
    expect(delays).toEqual([30, 60]);
    const bodies = new Set(receiver.requests.map((r) => r.body));
    expect(bodies.size).toBe(1);
    for (const r of receiver.requests) {
      expect(verifySluiceSignature(r.body, r.headers.get("sluice-signature") ?? "", secret)).toBe(true);
    }
    const [row] = await deliveriesOf(id);
    expect(row).toMatchObject({ status: "delivered", attempts: 3, last_status_code: 200, last_error: null });
  });

  it("marks a delivery failed after the last attempt, with the last status and error", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const deps = recordingDeps();
    await fileEvent(deps, t);
    const receiver = scriptedReceiver([302]);
    const delays = await drain(deps, receiver);

    expect(receiver.requests).toHaveLength(MAX_WEBHOOK_ATTEMPTS);
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920]);
    const [row] = await deliveriesOf(id);
    expect(row).toMatchObject({
      status: "failed",
      attempts: MAX_WEBHOOK_ATTEMPTS,
      last_status_code: 302,
      last_error: "HTTP 302: redirects are not followed",
    });
  });

  it("sends once when the queue delivers the same message twice, even at the same moment", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const deps = recordingDeps();
    await fileEvent(deps, t);
    const [queued] = takeWebhookMessages(deps);
    const receiver = scriptedReceiver([200], 50);
    const first = fakeMessage(queued!.body);
    const second = fakeMessage(queued!.body, 2);
    await Promise.all([consumeWebhook(deps, first, receiver.fetcher), consumeWebhook(deps, second, receiver.fetcher)]);
    const late = fakeMessage(queued!.body, 3);
    await consumeWebhook(deps, late, receiver.fetcher);

    expect(receiver.requests).toHaveLength(1);
    expect([first.acked, second.acked, late.acked]).toEqual([true, true, true]);
    expect(deps.sent).toEqual([]);
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("records a receiver that does not answer in time", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const deps = recordingDeps();
    await fileEvent(deps, t);
    const [queued] = takeWebhookMessages(deps);
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const m = fakeMessage(queued!.body);
    await consumeWebhook(deps, m, scriptedReceiver([timeout]).fetcher);
    expect((await deliveriesOf(id))[0]).toMatchObject({
      status: "pending",
      attempts: 1,
      last_error: "no answer within 10 s",
    });
    expect(takeWebhookMessages(deps).map((q) => q.delaySeconds)).toEqual([30]);
  });

  it("signs with both secrets for 24 hours after a rotation, then with the new one only", async () => {
    const t = await newTenant();
    const { id, secret: oldSecret } = await addEndpoint(t);
    const rotated = await call("POST", `/api/v1/webhooks/${id}/rotate-secret`, { headers: t.auth });
    expect(rotated.status).toBe(201);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(oldSecret);

    const deps = recordingDeps();
    await fileEvent(deps, t);
    const receiver = scriptedReceiver([200]);
    await drain(deps, receiver);
    const during = receiver.requests[0]!;
    const header = during.headers.get("sluice-signature") ?? "";
    expect(header.split(",").filter((p) => p.startsWith("v1="))).toHaveLength(2);
    expect(verifySluiceSignature(during.body, header, newSecret)).toBe(true);
    expect(verifySluiceSignature(during.body, header, oldSecret)).toBe(true);

    const later = Date.now() + 24 * HOUR + 60_000;
    const afterwards = recordingDeps(() => later);
    await fileEvent(afterwards, t);
    await drain(afterwards, receiver);
    const after = receiver.requests[1]!;
    const laterHeader = after.headers.get("sluice-signature") ?? "";
    expect(laterHeader.split(",").filter((p) => p.startsWith("v1="))).toHaveLength(1);
    expect(verifySluiceSignature(after.body, laterHeader, newSecret, later)).toBe(true);
    expect(verifySluiceSignature(after.body, laterHeader, oldSecret, later)).toBe(false);
  });

  it("refuses to send to a loopback or private address in production", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t, { url: "http://127.0.0.1:8080/hook" });
    const dev = recordingDeps();
    await fileEvent(dev, t);
    const production = { ...dev, config: { ...dev.config, SLUICE_ENV: "production" as const } };
    const receiver = scriptedReceiver([200]);
    await drain(production, receiver);
    expect(receiver.requests).toEqual([]);
    expect((await deliveriesOf(id))[0]).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "not sent: the URL must not point at a loopback address",
    });
  });

  it("sends nothing for a disabled endpoint", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const deps = recordingDeps();
    await fileEvent(deps, t);
    await call("PATCH", `/api/v1/webhooks/${id}`, { headers: t.auth, json: { status: "disabled" } });
    await fileEvent(deps, t);
    const receiver = scriptedReceiver([200]);
    await drain(deps, receiver);
    expect(receiver.requests).toEqual([]);
    const rows = await deliveriesOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "failed", last_error: "the endpoint is disabled" });
  });

  it("marks a dead-lettered delivery failed, but never one already delivered", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const deps = recordingDeps();
    await fileEvent(deps, t);
    await fileEvent(deps, t);
    const [a, b] = takeWebhookMessages(deps);
    await deliverWebhook(
      deps,
      t.accountId,
      (a!.body as { deliveryId: string }).deliveryId,
      scriptedReceiver([200]).fetcher,
    );
    for (const q of [a!, b!]) {
      const m = fakeMessage(q.body);
      await deadLetterWebhook(deps, m);
      expect(m.acked).toBe(true);
    }
    const rows = await deliveriesOf(id);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect(byId[(a!.body as { deliveryId: string }).deliveryId]).toBe("delivered");
    expect(byId[(b!.body as { deliveryId: string }).deliveryId]).toBe("failed");
  });

  it("lets the cron re-enqueue deliveries whose message was lost or whose consumer died", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const deps = recordingDeps();
    // Written with its cause, then a crash before the enqueue.
    const lost = await prepareEvent(deps, {
      accountId: t.accountId,
      type: "file.received",
      key: "file.received:lost",
      data: {},
    });
    const [first, ...rest] = eventBatchItems(lost);
    await deps.db.batch([first!, ...rest]);
    // Claimed by a consumer that then died.
    await fileEvent(deps, t);
    const [claimedMessage] = takeWebhookMessages(deps);
    const claimedId = (claimedMessage!.body as { deliveryId: string }).deliveryId;
    await env.DB.prepare("UPDATE webhook_deliveries SET status = 'sending', claimed_at = ?, attempts = 1 WHERE id = ?")
      .bind(Date.now(), claimedId)
      .run();
    // Waiting for its retry: its delayed message is in the queue already.
    await fileEvent(deps, t);
    takeWebhookMessages(deps);
    await env.DB.prepare(
      "UPDATE webhook_deliveries SET attempts = 2 WHERE endpoint_id = ? AND status = 'pending' AND event_id != ?",
    )
      .bind(id, lost.eventId)
      .run();

    const soon = recordingDeps(() => Date.now() + 30_000);
    expect(await requeueStrandedWebhooks(soon)).toBe(0);
    const later = recordingDeps(() => Date.now() + 10 * 60_000);
    await requeueStrandedWebhooks(later);
    const requeued = takeWebhookMessages(later).map((q) => (q.body as { deliveryId: string }).deliveryId);
    const rows = await deliveriesOf(id);
    const lostRow = rows.find((r) => r.event_id === lost.eventId);
    expect(requeued.sort()).toEqual([lostRow!.id, claimedId].sort());
  });
});
