import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { app } from "./app.ts";
import { loadConfig } from "./config.ts";

const strong = "0123456789abcdefghijklmnopqrstuvwxyz";

describe("Worker configuration", () => {
  it("refuses to serve with a missing or weak secret, naming it only in the log", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await app.request("/api/v1/setup", {}, { ...env, RELAY_TOKEN: "short" });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("config_error");
    expect(body.detail).not.toMatch(/RELAY_TOKEN/);
    expect(errors.mock.calls.flat().join(" ")).toMatch(/RELAY_TOKEN is too weak/);
    expect(errors.mock.calls.flat().join(" ")).not.toContain("short");
    errors.mockRestore();
  });

  it("requires SETUP_TOKEN in production", () => {
    const result = loadConfig({ ...env, SLUICE_ENV: "production", SETUP_TOKEN: undefined } as unknown as Env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join()).toMatch(/SETUP_TOKEN is not set/);
    const ok = loadConfig({ ...env, SLUICE_ENV: "production", SETUP_TOKEN: strong } as unknown as Env);
    expect(ok.ok).toBe(true);
  });

  it("replays the cron only in development, for the operator", async () => {
    const operator = { headers: { authorization: `Bearer ${env.OPERATOR_TOKEN}` } };
    const prod = { ...env, SLUICE_ENV: "production", SETUP_TOKEN: strong };
    expect((await app.request("/__scheduled?time=0", operator, prod)).status).toBe(404);
    const path = `/__scheduled?time=${Date.UTC(2030, 0, 1)}`;
    expect((await app.request(path, {}, env)).status).toBe(401);
    expect((await app.request(path, { headers: { authorization: "Bearer wrong" } }, env)).status).toBe(401);
    const res = await app.request(path, operator, env);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      "Ran scheduled event for 2030-01-01T00:00:00.000Z: checked 0 due deliveries, queued 0 more",
    );
  });

  it("lets first-run setup through only with the configured setup token", async () => {
    const withToken = { ...env, SETUP_TOKEN: strong };
    const body = {
      accountName: "Guarded",
      timeZone: "UTC",
      admin: { email: "a@guarded.example", firstName: "A", lastName: "B", password: "a long admin password" },
    };
    const post = (extra: object) =>
      app.request(
        "/api/v1/setup",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...body, ...extra }),
        },
        withToken,
      );
    expect(await (await app.request("/api/v1/setup", {}, withToken)).json()).toEqual({
      needed: true,
      tokenRequired: true,
    });
    expect((await post({})).status).toBe(403);
    expect((await post({ setupToken: "wrong-token-wrong-token" })).status).toBe(403);
    expect((await post({ setupToken: strong })).status).toBe(201);
  });
});
