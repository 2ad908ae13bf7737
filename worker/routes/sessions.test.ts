import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SESSION_IDLE_MS } from "../domain/auth/sessions.ts";
import { ADMIN_PASSWORD, call, newTenant } from "../test/client.ts";

describe("admin sessions", () => {
  it("signs in with an HttpOnly SameSite cookie and refuses a wrong password the same way as an unknown email", async () => {
    const t = await newTenant();
    const login = await call("POST", "/api/v1/sessions", {
      json: { email: t.email.toUpperCase(), password: ADMIN_PASSWORD },
    });
    expect(login.status).toBe(201);
    const cookie = login.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^sluice_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Secure/i);

    const wrong = await call("POST", "/api/v1/sessions", { json: { email: t.email, password: "not the password" } });
    const unknown = await call("POST", "/api/v1/sessions", {
      json: { email: "nobody@x.example", password: "whatever" },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it("refuses cookie-authenticated writes without the CSRF token, or from another origin", async () => {
    const t = await newTenant();
    const noToken = await call("POST", "/api/v1/deliveries", {
      headers: { cookie: t.cookie },
      json: { kind: "user_sync" },
    });
    expect(noToken.status).toBe(403);
    expect(noToken.body.code).toBe("csrf_failed");

    const wrongToken = await call("POST", "/api/v1/deliveries", {
      headers: { cookie: t.cookie, "x-csrf-token": "forged" },
      json: { kind: "user_sync" },
    });
    expect(wrongToken.body.code).toBe("csrf_failed");

    const crossOrigin = await call("POST", "/api/v1/deliveries", {
      headers: { ...t.session, origin: "https://evil.example" },
      json: { kind: "user_sync" },
    });
    expect(crossOrigin.status).toBe(403);

    const ok = await call("POST", "/api/v1/deliveries", { headers: t.session, json: { kind: "user_sync" } });
    expect(ok.status).toBe(201);
    // Reads need no CSRF token.
    expect((await call("GET", "/api/v1/deliveries", { headers: { cookie: t.cookie } })).status).toBe(200);
  });

  it("expires a session after its idle time and signs out for good", async () => {
    const t = await newTenant();
    expect((await call("GET", "/api/v1/sessions/current", { headers: { cookie: t.cookie } })).status).toBe(200);
    await env.DB.prepare("update sessions set last_seen_at = last_seen_at - ?")
      .bind(SESSION_IDLE_MS + 1000)
      .run();
    const expired = await call("GET", "/api/v1/sessions/current", { headers: { cookie: t.cookie } });
    expect(expired.status).toBe(401);

    const fresh = await call("POST", "/api/v1/sessions", { json: { email: t.email, password: ADMIN_PASSWORD } });
    const cookie = (fresh.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    await env.DB.prepare("update sessions set expires_at = ?")
      .bind(Date.now() - 1)
      .run();
    expect((await call("GET", "/api/v1/sessions/current", { headers: { cookie } })).status).toBe(401);

    const third = await call("POST", "/api/v1/sessions", { json: { email: t.email, password: ADMIN_PASSWORD } });
    const cookie3 = (third.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const out = await call("DELETE", "/api/v1/sessions/current", {
      headers: { cookie: cookie3, "x-csrf-token": third.body.csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await call("GET", "/api/v1/sessions/current", { headers: { cookie: cookie3 } })).status).toBe(401);
  });

  it("stores only a hash of the session token", async () => {
    const t = await newTenant();
    const token = t.cookie.split("=")[1] ?? "";
    const rows = await env.DB.prepare("select token_hash from sessions").all<{ token_hash: string }>();
    expect(rows.results.length).toBeGreaterThan(0);
    expect(rows.results.some((r) => r.token_hash === token)).toBe(false);
  });
});

describe("API keys", () => {
  it("shows the key once, lists it by prefix, and stops it working when revoked", async () => {
    const t = await newTenant();
    const list = await call("GET", "/api/v1/api-keys", { headers: t.auth });
    expect(list.status).toBe(200);
    expect(list.body.apiKeys[0].prefix).toBe(t.apiKey.slice(0, 10));
    expect(JSON.stringify(list.body)).not.toContain(t.apiKey);

    const id = list.body.apiKeys[0].id;
    expect((await call("DELETE", `/api/v1/api-keys/${id}`, { headers: t.session })).status).toBe(204);
    const after = await call("GET", "/api/v1/deliveries", { headers: t.auth });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toMatch(/Bearer/);
  });

  it("refuses a key without the needed scope", async () => {
    const t = await newTenant();
    const scim = await call("POST", "/api/v1/api-keys", {
      headers: t.session,
      json: { name: "okta", scopes: ["scim"] },
    });
    expect(scim.status).toBe(201);
    const res = await call("GET", "/api/v1/deliveries", { headers: { authorization: `Bearer ${scim.body.key}` } });
    expect(res.status).toBe(401);
  });
});
