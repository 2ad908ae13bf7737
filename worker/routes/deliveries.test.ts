import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, newTenant, RELAY_TOKEN } from "../test/client.ts";

const relay = { authorization: `Bearer ${RELAY_TOKEN}` };

function relayLogin(username: string, password: string, sourceIp = "198.51.100.10") {
  return call("POST", "/relay/v1/logins", {
    headers: relay,
    json: { username, method: "password", password, sourceIp, relayId: "test-relay" },
  });
}

describe("inbound deliveries", () => {
  it("creates a User Sync delivery with generated SFTP credentials that can be revealed and regenerated", async () => {
    const t = await newTenant();
    const created = await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } });
    expect(created.status).toBe(201);
    const { delivery, credentials } = created.body;
    expect(delivery).toMatchObject({
      kind: "user_sync",
      name: "User Sync",
      status: "enabled",
      allowedIps: [],
      syncMode: "upsert",
    });
    expect(delivery.sftp).toEqual({
      host: "127.0.0.1",
      port: 2222,
      url: "sftp://127.0.0.1:2222",
      username: credentials.username,
    });
    expect(credentials.username).toMatch(/^sluice-[a-z2-9]{12}$/);
    // 28 characters of a 32-letter alphabet: 140 bits.
    expect(credentials.password).toMatch(/^[a-z2-9]{28}$/);

    const stored = await env.DB.prepare("select credential_hash, credential_cipher from deliveries where id = ?")
      .bind(delivery.id)
      .first<{ credential_hash: string; credential_cipher: string }>();
    expect(JSON.stringify(stored)).not.toContain(credentials.password);

    const revealed = await call("GET", `/api/v1/deliveries/${delivery.id}/credentials`, { headers: t.auth });
    expect(revealed.status).toBe(200);
    expect(revealed.headers.get("cache-control")).toBe("no-store");
    expect(revealed.body).toMatchObject({
      username: credentials.username,
      password: credentials.password,
      sftpUrl: "sftp://127.0.0.1:2222",
    });

    expect((await relayLogin(credentials.username, credentials.password)).status).toBe(200);

    const regenerated = await call("POST", `/api/v1/deliveries/${delivery.id}/credentials`, { headers: t.auth });
    expect(regenerated.status).toBe(201);
    expect(regenerated.body.username).toBe(credentials.username);
    expect(regenerated.body.password).not.toBe(credentials.password);

    const old = await relayLogin(credentials.username, credentials.password);
    expect(old.status).toBe(403);
    expect(old.body.code).toBe("login_refused");
    expect((await relayLogin(credentials.username, regenerated.body.password)).status).toBe(200);

    const audit = await env.DB.prepare("select action from audit_events where target_id = ? order by created_at")
      .bind(delivery.id)
      .all<{ action: string }>();
    expect(audit.results.map((a) => a.action)).toEqual([
      "delivery.created",
      "delivery.credentials_revealed",
      "delivery.credentials_regenerated",
    ]);
  });

  it("gives every delivery its own username", async () => {
    const t = await newTenant();
    const names = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await call("POST", "/api/v1/deliveries", {
        headers: t.auth,
        json: { kind: "project_sync", name: `P${i}` },
      });
      names.add(res.body.credentials.username);
    }
    expect(names.size).toBe(5);
    const list = await call("GET", "/api/v1/deliveries", { headers: t.auth });
    expect(list.body.deliveries.map((d: { name: string }) => d.name)).toEqual(["P4", "P3", "P2", "P1", "P0"]);
  });

  it("saves allowed IPs in canonical form and rejects bad entries naming each one", async () => {
    const t = await newTenant();
    const { delivery } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const ok = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: {
        allowedIps: ["203.0.113.7", "10.0.0.1 - 10.0.0.50", "2001:DB8::/32"],
        syncMode: "full_sync",
        fullSyncThresholdPercent: 25,
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      allowedIps: ["203.0.113.7", "10.0.0.1-10.0.0.50", "2001:db8::/32"],
      syncMode: "full_sync",
      fullSyncThresholdPercent: 25,
    });

    const bad = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: { allowedIps: ["10.0.0.1", "10.0.0.9-10.0.0.1", "nope"] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      { field: "allowedIps.1", message: expect.stringMatching(/reversed/) },
      { field: "allowedIps.2", message: expect.stringMatching(/"nope" is not an IP address/) },
    ]);
    // Nothing was half-applied.
    const after = await call("GET", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth });
    expect(after.body.allowedIps).toEqual(["203.0.113.7", "10.0.0.1-10.0.0.50", "2001:db8::/32"]);
  });

  it("refuses logins from outside the allowed IPs, to disabled and to deleted deliveries, recording the real reason", async () => {
    const t = await newTenant();
    const { delivery, credentials } = (
      await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } })
    ).body;
    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: { allowedIps: ["203.0.113.0/24"] },
    });

    expect((await relayLogin(credentials.username, credentials.password, "::ffff:203.0.113.9")).status).toBe(200);
    const outside = await relayLogin(credentials.username, credentials.password, "198.51.100.7");
    const wrong = await relayLogin(credentials.username, "wrong-password", "203.0.113.9");
    const unknown = await relayLogin("sluice-nobody", "x", "203.0.113.9");
    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth, json: { status: "disabled" } });
    const disabled = await relayLogin(credentials.username, credentials.password, "203.0.113.9");
    for (const r of [outside, wrong, unknown, disabled]) {
      expect(r.status).toBe(403);
      expect(r.body).toEqual(expect.objectContaining({ code: "login_refused", detail: "Authentication failed" }));
    }
    const reasons = await env.DB.prepare(
      "select outcome, reason from login_attempts where delivery_id = ? or username = 'sluice-nobody' order by created_at, rowid",
    )
      .bind(delivery.id)
      .all<{ outcome: string; reason: string | null }>();
    expect(reasons.results).toEqual([
      { outcome: "granted", reason: null },
      { outcome: "refused", reason: "198.51.100.7 not in allowed IPs" },
      { outcome: "refused", reason: "wrong password" },
      { outcome: "refused", reason: 'unknown username "sluice-nobody"' },
      { outcome: "refused", reason: "delivery is disabled" },
    ]);

    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth, json: { status: "enabled" } });
    expect((await call("DELETE", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth })).status).toBe(204);
    expect((await relayLogin(credentials.username, credentials.password, "203.0.113.9")).status).toBe(403);
    expect((await call("GET", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth })).status).toBe(404);
  });
});

describe("tenant isolation", () => {
  it("gives account B's key a 404 for every route on account A's delivery", async () => {
    const a = await newTenant("Alpha");
    const b = await newTenant("Beta");
    const { delivery } = (await call("POST", "/api/v1/deliveries", { headers: a.auth, json: { kind: "user_sync" } }))
      .body;
    const path = `/api/v1/deliveries/${delivery.id}`;
    const attempts = [
      await call("GET", path, { headers: b.auth }),
      await call("PATCH", path, { headers: b.auth, json: { name: "pwned" } }),
      await call("DELETE", path, { headers: b.auth }),
      await call("GET", `${path}/credentials`, { headers: b.auth }),
      await call("POST", `${path}/credentials`, { headers: b.auth }),
      await call("PATCH", path, { headers: b.session, json: { name: "pwned" } }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(404);
      expect(r.body.code).toBe("not_found");
    }
    expect((await call("GET", "/api/v1/deliveries", { headers: b.auth })).body.deliveries).toEqual([]);
    const keys = (await call("GET", "/api/v1/api-keys", { headers: a.auth })).body.apiKeys;
    expect((await call("DELETE", `/api/v1/api-keys/${keys[0].id}`, { headers: b.auth })).status).toBe(404);
    // A's delivery is untouched.
    const still = await call("GET", path, { headers: a.auth });
    expect(still.body.name).toBe("User Sync");
  });
});

describe("bad input gets a clear 4xx problem, never a 500", () => {
  it.each([
    ["malformed JSON", { body: "{not json", headers: { "content-type": "application/json" } }, 400, "malformed_json"],
    ["an unknown field", { json: { kind: "user_sync", colour: "red" } }, 422, "validation_failed"],
    ["a wrong kind", { json: { kind: "payroll_sync" } }, 422, "validation_failed"],
    ["a missing body", { headers: { "content-type": "application/json" } }, 400, "malformed_json"],
    ["an oversized body", { json: { kind: "user_sync", name: "x".repeat(70_000) } }, 413, "payload_too_large"],
  ])("%s", async (_label, opts, status, code) => {
    const t = await newTenant();
    const res = await call("POST", "/api/v1/deliveries", {
      ...opts,
      headers: { ...t.auth, ...(opts as { headers?: Record<string, string> }).headers },
    });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({
      status,
      code,
      title: expect.any(String),
      detail: expect.any(String),
      type: expect.stringContaining("problems/"),
    });
  });

  it("lists the unknown field by name", async () => {
    const t = await newTenant();
    const res = await call("POST", "/api/v1/deliveries", {
      headers: t.auth,
      json: { kind: "user_sync", colour: "red" },
    });
    expect(res.body.errors).toEqual([{ field: "body", message: "unknown field: colour" }]);
  });

  it("answers unknown routes and missing auth with problems", async () => {
    const missing = await call("GET", "/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
    const anon = await call("GET", "/api/v1/deliveries");
    expect(anon.status).toBe(401);
    expect(anon.body.code).toBe("unauthorized");
    const relayAnon = await call("POST", "/relay/v1/logins", { json: {} });
    expect(relayAnon.status).toBe(401);
  });

  it("serves an OpenAPI 3.1 document describing the routes", async () => {
    const res = await call("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        "/setup",
        "/accounts",
        "/sessions",
        "/sessions/current",
        "/api-keys",
        "/api-keys/{id}",
        "/deliveries",
        "/deliveries/{id}",
        "/deliveries/{id}/credentials",
      ]),
    );
  });

  it("answers health checks", async () => {
    const res = await call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
  });
});

describe("API docs", () => {
  it("serves an interactive docs page that loads Swagger UI from this origin only", async () => {
    const { SELF } = await import("cloudflare:test");
    const res = await SELF.fetch("https://sluice.test/api/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self'; style-src 'self' 'unsafe-inline'/);
  });
});
