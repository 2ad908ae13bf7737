import { createScheduledController, env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../index.ts";
import { call, newTenant } from "../../test/client.ts";
import { receive, runToEnd, setup } from "../../test/imports.ts";
import { addEndpoint, deliveriesOf, type Tenant } from "../../test/webhooks.ts";
import { failImport } from "../imports/run-import.ts";

const importEvents = ["import.applied", "import.tested", "import.rejected", "import.held", "import.failed"];
/**
 * The routes and the cron here use the real queue, whose consumer would send
 * these events: the endpoints are pointed at an address the URL policy
 * refuses, so it marks them failed without touching the network. What is
 * checked is the rows (and their payloads) the causes wrote.
 */
async function quietEndpoint(t: Tenant, events: string[]) {
  const endpoint = await addEndpoint(t, { events });
  await env.DB.prepare("UPDATE webhook_endpoints SET url = 'https://10.255.255.1/never' WHERE id = ?")
    .bind(endpoint.id)
    .run();
  return endpoint;
}

function payloads(rows: { payload: string }[]) {
  return rows.map((r) => JSON.parse(r.payload));
}

describe("events Sluice emits", () => {
  it("announces a received file to subscribed endpoints of its own account only", async () => {
    const t = await newTenant();
    const subscribed = await quietEndpoint(t, ["file.received"]);
    const other = await quietEndpoint(t, ["import.applied"]);
    const otherTenant = await newTenant("Other");
    const foreign = await quietEndpoint(otherTenant, ["file.received"]);
    const { delivery } = (
      await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync", name: "HR" } })
    ).body;
    const res = await SELF.fetch(`https://sluice.test/api/v1/deliveries/${delivery.id}/files?name=users.csv`, {
      method: "POST",
      headers: { "content-type": "text/csv", ...t.auth },
      body: "Email\nsecret.person@example.com\n",
    });
    expect(res.status).toBe(202);
    const { file } = (await res.json()) as { file: { id: string; sha256: string } };

    const rows = await deliveriesOf(subscribed.id);
    expect(rows.map((r) => r.event_type)).toEqual(["file.received"]);
    const [event] = payloads(rows);
    expect(event).toMatchObject({
      type: "file.received",
      accountId: t.accountId,
      data: {
        fileId: file.id,
        deliveryId: delivery.id,
        name: "users.csv",
        size: "Email\nsecret.person@example.com\n".length,
        sha256: file.sha256,
        via: "http",
        test: false,
      },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(rows[0]?.payload).not.toContain("secret.person");
    expect(await deliveriesOf(other.id)).toEqual([]);
    expect(await deliveriesOf(foreign.id)).toEqual([]);
  });

  it("announces applied, tested and rejected imports with their counts, once each", async () => {
    const s = await setup();
    const { id } = await quietEndpoint(s.t, importEvents);
    const applied = await receive(s, "users.csv", "Email,First Name,Last Name\nzoe@example.com,Zoë,Müller\nbad,X,Y\n");
    await runToEnd(s, applied);
    await runToEnd(s, applied); // a redelivered message after the end adds nothing
    const tested = await receive(s, "users test.csv", "Email,First Name,Last Name\nann@example.com,Ann,Lee\n");
    await runToEnd(s, tested);
    const rejected = await receive(s, "users.csv", "Nonsense\nx\n");
    await runToEnd(s, rejected);

    const events = payloads(await deliveriesOf(id));
    expect(events.map((e) => [e.type, e.data.fileId])).toEqual([
      ["import.applied", applied],
      ["import.tested", tested],
      ["import.rejected", rejected],
    ]);
    expect(events[0].data).toMatchObject({
      deliveryId: s.deliveryId,
      status: "applied",
      test: false,
      counts: { rows: 2, created: 1, skipped: 1, errors: 1 },
    });
    expect(events[0].data.runId).toMatch(/^run_/);
    expect(JSON.stringify(events)).not.toContain("bad");
    expect(events[1].data).toMatchObject({ status: "tested", test: true, counts: { rows: 1, created: 1 } });
    const queued = s.sent.filter((m) => m.type === "webhook");
    expect(queued).toHaveLength(3);
  });

  it("announces a held full sync, then the admin's rejection of it", async () => {
    const s = await setup("user_sync", { syncMode: "full_sync" });
    const { id } = await quietEndpoint(s.t, importEvents);
    const all = Array.from({ length: 10 }, (_, i) => `u${i}@example.com,U,${i}`);
    await runToEnd(s, await receive(s, "all.csv", `Email,First Name,Last Name\n${all.join("\n")}\n`));
    const fileId = await receive(s, "few.csv", "Email\nu0@example.com\nu1@example.com\n");
    await runToEnd(s, fileId);
    expect((await call("POST", `/api/v1/files/${fileId}/reject`, { headers: s.t.auth })).status).toBe(200);

    const events = payloads(await deliveriesOf(id)).filter((e) => e.data.fileId === fileId);
    expect(events.map((e) => e.type)).toEqual(["import.held", "import.rejected"]);
    expect(events[0].data.counts).toMatchObject({ deactivated: 8 });
  });

  it("announces a failed import, but not a failure arriving after the run finished", async () => {
    const s = await setup();
    const { id } = await quietEndpoint(s.t, importEvents);
    const failing = await receive(s, "users.csv", "Email\nzoe@example.com\n");
    await failImport(s.deps, { accountId: s.t.accountId, fileId: failing }, "kept crashing");
    await failImport(s.deps, { accountId: s.t.accountId, fileId: failing }, "kept crashing");
    const done = await receive(s, "users2.csv", "Email\nann@example.com\n");
    await runToEnd(s, done);
    await failImport(s.deps, { accountId: s.t.accountId, fileId: done }, "a late dead letter");

    const events = payloads(await deliveriesOf(id));
    expect(events.map((e) => [e.type, e.data.fileId])).toEqual([
      ["import.failed", failing],
      ["import.applied", done],
    ]);
  });

  it("announces a delivery that missed its expected file, once per window", async () => {
    const t = await newTenant();
    const { id } = await quietEndpoint(t, ["delivery.overdue"]);
    const { delivery } = (
      await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync", name: "HR feed" } })
    ).body;
    const patched = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: { schedule: { frequency: "daily", expectedBy: "09:00", graceMinutes: 30 } },
    });
    const deadline = patched.body.nextExpectedBy as number;
    const cronAt = (time: number) =>
      worker.scheduled(createScheduledController({ scheduledTime: time, cron: "*/5 * * * *" }), env);
    await cronAt(deadline - 60_000);
    expect(await deliveriesOf(id)).toEqual([]);
    await Promise.all([cronAt(deadline + 60_000), cronAt(deadline + 60_000)]);
    await cronAt(deadline + 5 * 60_000);

    const events = payloads(await deliveriesOf(id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "delivery.overdue",
      data: {
        deliveryId: delivery.id,
        name: "HR feed",
        deadline: new Date(deadline).toISOString(),
        lastReceivedAt: null,
      },
    });
  });
});
