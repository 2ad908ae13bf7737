import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, newTenant } from "../test/client.ts";
import { addEndpoint } from "../test/webhooks.ts";

const URL_OK = "https://hooks.acme.example/sluice";

describe("webhook endpoints API", () => {
  it("creates an endpoint and shows its whsec_ secret once, stored only encrypted", async () => {
    const t = await newTenant();
    const created = await call("POST", "/api/v1/webhooks", {
      headers: t.auth,
      json: { url: URL_OK, events: ["file.received", "import.applied", "file.received"], description: " HR bus " },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(created.body).toMatchObject({
      url: URL_OK,
      events: ["file.received", "import.applied"],
      description: "HR bus",
      status: "enabled",
      previousSecretExpiresAt: null,
    });
    expect(created.body.id).toMatch(/^whk_/);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const got = await call("GET", `/api/v1/webhooks/${created.body.id}`, { headers: t.auth });
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty("secret");
    const list = await call("GET", "/api/v1/webhooks", { headers: t.auth });
    expect(list.body.webhooks.map((w: { id: string }) => w.id)).toEqual([created.body.id]);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    const stored = await env.DB.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(created.body.id).first();
    expect(JSON.stringify(stored)).not.toContain(created.body.secret.slice(6));

    const audit = await call("GET", "/api/v1/audit", { headers: t.auth });
    expect(JSON.stringify(audit.body)).toContain("webhook.created");
    expect(JSON.stringify(audit.body)).not.toContain(created.body.secret);
  });

  it.each([
    [{ url: "http://hooks.acme.example/x", events: ["file.received"] }, "url", /https/],
    [{ url: "https://10.0.0.8/x", events: ["file.received"] }, "url", /private or reserved/],
    [{ url: URL_OK, events: [] }, "events", /at least one/],
    [{ url: URL_OK, events: ["file.deleted"] }, "events.0", /./],
    [{ url: URL_OK, events: ["ping"] }, "events.0", /./],
    [{ url: URL_OK, events: ["file.received"], secret: "mine" }, "body", /unknown field: secret/],
  ])("rejects %j naming the field", async (json, field, message) => {
    const t = await newTenant();
    const res = await call("POST", "/api/v1/webhooks", { headers: t.auth, json });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
  });

  it("allows a local http receiver in development", async () => {
    const t = await newTenant();
    const res = await call("POST", "/api/v1/webhooks", {
      headers: t.auth,
      json: { url: "http://127.0.0.1:4000/hook", events: ["import.failed"] },
    });
    expect(res.status).toBe(201);
  });

  it("updates, disables and deletes an endpoint, with its delivery log", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t);
    const patched = await call("PATCH", `/api/v1/webhooks/${id}`, {
      headers: t.auth,
      json: { events: ["delivery.overdue"], description: null, status: "disabled" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ["delivery.overdue"], description: null, status: "disabled" });
    const bad = await call("PATCH", `/api/v1/webhooks/${id}`, { headers: t.auth, json: { url: "https://localhost/" } });
    expect(bad.status).toBe(200); // loopback: allowed in development
    const refused = await call("PATCH", `/api/v1/webhooks/${id}`, {
      headers: t.auth,
      json: { url: "https://192.168.0.2/" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: "url", message: expect.stringMatching(/private/) }]);

    expect((await call("POST", `/api/v1/webhooks/${id}/test`, { headers: t.auth })).status).toBe(409);
    await env.DB.prepare("UPDATE webhook_endpoints SET url = 'https://10.255.255.1/never' WHERE id = ?").bind(id).run();
    await call("PATCH", `/api/v1/webhooks/${id}`, { headers: t.auth, json: { status: "enabled" } });
    expect((await call("POST", `/api/v1/webhooks/${id}/test`, { headers: t.auth })).status).toBe(202);

    expect((await call("DELETE", `/api/v1/webhooks/${id}`, { headers: t.auth })).status).toBe(204);
    expect((await call("GET", `/api/v1/webhooks/${id}`, { headers: t.auth })).status).toBe(404);
    expect((await call("DELETE", `/api/v1/webhooks/${id}`, { headers: t.auth })).status).toBe(404);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("rotates the secret: a new one shown once, the previous one valid for 24 hours", async () => {
    const t = await newTenant();
    const { id, secret } = await addEndpoint(t);
    const before = Date.now();
    const rotated = await call("POST", `/api/v1/webhooks/${id}/rotate-secret`, { headers: t.auth });
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get("cache-control")).toBe("no-store");
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(secret);
    expect(rotated.body.previousSecretExpiresAt).toBeGreaterThanOrEqual(before + 24 * 3_600_000);
    expect(rotated.body.previousSecretExpiresAt).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);
    const audit = await env.DB.prepare("SELECT action FROM audit_events WHERE target_id = ? ORDER BY created_at")
      .bind(id)
      .all<{ action: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["webhook.created", "webhook.secret_rotated"]);
  });

  it("queues a ping and lists it in the delivery log", async () => {
    const t = await newTenant();
    const { id } = await addEndpoint(t, { events: ["import.applied"] });
    // An address the policy refuses at send time: the real consumer fails it without touching the network.
    await env.DB.prepare("UPDATE webhook_endpoints SET url = 'https://10.255.255.1/never' WHERE id = ?").bind(id).run();
    const ping = await call("POST", `/api/v1/webhooks/${id}/test`, { headers: t.auth });
    expect(ping.status).toBe(202);
    expect(ping.body).toMatchObject({ eventType: "ping", status: "pending", attempts: 0 });
    expect(ping.body.eventId).toMatch(/^evt_/);
    const log = await call("GET", `/api/v1/webhooks/${id}/deliveries?limit=10`, { headers: t.auth });
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toHaveLength(1);
    expect(log.body.deliveries[0]).toMatchObject({ id: ping.body.id, eventType: "ping" });
    expect(Object.keys(log.body.deliveries[0]).sort()).toEqual(
      [
        "attempts",
        "createdAt",
        "deliveredAt",
        "eventId",
        "eventType",
        "id",
        "lastError",
        "lastStatusCode",
        "status",
      ].sort(),
    );
    const next = await call("GET", `/api/v1/webhooks/${id}/deliveries?before=${ping.body.createdAt}`, {
      headers: t.auth,
    });
    expect(next.body.deliveries).toEqual([]);
  });

  it("keeps endpoints to their account", async () => {
    const a = await newTenant();
    const b = await newTenant("Other");
    const { id } = await addEndpoint(a);
    expect((await call("GET", "/api/v1/webhooks", { headers: b.auth })).body.webhooks).toEqual([]);
    for (const [method, path] of [
      ["GET", `/api/v1/webhooks/${id}`],
      ["PATCH", `/api/v1/webhooks/${id}`],
      ["DELETE", `/api/v1/webhooks/${id}`],
      ["POST", `/api/v1/webhooks/${id}/rotate-secret`],
      ["POST", `/api/v1/webhooks/${id}/test`],
      ["GET", `/api/v1/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await call(method, path, {
        headers: b.auth,
        ...(method === "PATCH" ? { json: { status: "disabled" } } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await call("GET", `/api/v1/webhooks/${id}`, { headers: a.auth })).body.status).toBe("enabled");
    expect((await call("GET", "/api/v1/webhooks")).status).toBe(401);
    const csrf = await call("POST", "/api/v1/webhooks", {
      headers: { cookie: a.cookie },
      json: { url: URL_OK, events: ["file.received"] },
    });
    expect(csrf.status).toBe(403);
    const session = await call("POST", "/api/v1/webhooks", {
      headers: a.session,
      json: { url: URL_OK, events: ["file.received"] },
    });
    expect(session.status).toBe(201);
  });

  it("documents every webhook route and the verification snippet in the OpenAPI document", async () => {
    const doc = (await call("GET", "/api/v1/openapi.json")).body;
    for (const path of [
      "/webhooks",
      "/webhooks/{id}",
      "/webhooks/{id}/rotate-secret",
      "/webhooks/{id}/deliveries",
      "/webhooks/{id}/test",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const description = doc.paths["/webhooks"].post.description as string;
    expect(description).toContain("Sluice-Signature");
    expect(description).toContain('createHmac("sha256", secret)');
  });
});
