import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, type Stack, startStack } from "./stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe("the local stack from a clean state (wrangler dev, D1 on disk)", () => {
  it("answers health checks and serves the admin UI", async () => {
    const health = await http(stack.url, "GET", "/healthz");
    expect(health.status).toBe(200);
    const page = await fetch(`${stack.url}/deliveries`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
  });

  it("goes from setup to sign-in to a delivery whose credentials can be read and rotated", async () => {
    const base = stack.url;
    expect((await http(base, "GET", "/api/v1/setup")).body.needed).toBe(true);
    const password = "e2e admin password";
    const setup = await http(base, "POST", "/api/v1/setup", {
      json: {
        accountName: "E2E Co",
        timeZone: "Europe/Berlin",
        admin: { email: "admin@e2e.example", firstName: "E", lastName: "Two", password },
      },
    });
    expect(setup.status).toBe(201);

    const login = await http(base, "POST", "/api/v1/sessions", { json: { email: "admin@e2e.example", password } });
    expect(login.status).toBe(201);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const session = { cookie, "x-csrf-token": login.body.csrfToken as string };

    const created = await http(base, "POST", "/api/v1/deliveries", {
      headers: session,
      json: { kind: "user_sync", name: "HR nightly" },
    });
    expect(created.status).toBe(201);
    const id = created.body.delivery.id as string;
    const first = created.body.credentials;
    expect(first.sftpUrl).toBe("sftp://127.0.0.1:2222");

    const revealed = await http(base, "GET", `/api/v1/deliveries/${id}/credentials`, { headers: session });
    expect(revealed.body.password).toBe(first.password);

    const relay = { authorization: `Bearer ${stack.secrets.RELAY_TOKEN}` };
    const attempt = (pw: string) =>
      http(base, "POST", "/relay/v1/logins", {
        headers: relay,
        json: { username: first.username, method: "password", password: pw, sourceIp: "127.0.0.1", relayId: "e2e" },
      });
    expect((await attempt(first.password)).status).toBe(200);

    const rotated = await http(base, "POST", `/api/v1/deliveries/${id}/credentials`, { headers: session });
    expect(rotated.status).toBe(201);
    expect((await attempt(first.password)).status).toBe(403);
    expect((await attempt(rotated.body.password)).status).toBe(200);

    const out = await http(base, "DELETE", "/api/v1/sessions/current", { headers: session });
    expect(out.status).toBe(204);
    expect((await http(base, "GET", "/api/v1/deliveries", { headers: { cookie } })).status).toBe(401);
  });
});
