import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../scripts/lib/stack.ts";
import { http, type Stack, startStack } from "./stack.ts";

/** A stand-in for a Resend-style email provider: records every request it gets. */
let provider: Server;
const received: { path: string; auth: string | undefined; body: any }[] = [];
let stack: Stack;

beforeAll(async () => {
  const port = await freePort();
  provider = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { "content-type": "application/json" }).end('{"id":"msg_1"}');
    });
  });
  await new Promise<void>((r) => provider.listen(port, "127.0.0.1", () => r()));
  stack = await startStack({
    vars: { EMAIL_SENDER: "http", EMAIL_HTTP_URL: `http://127.0.0.1:${port}/v1`, EMAIL_HTTP_KEY: "provider-key-123" },
  });
});
afterAll(async () => {
  await stack?.stop();
  provider?.close();
});

describe("missed-file alerts on the real stack (wrangler dev, cron replayed for a chosen instant)", () => {
  it("emails each Admin once through the HTTP provider when an hourly file is missed, and not again", async () => {
    const base = stack.url;
    const password = "alerts e2e admin password";
    await http(base, "POST", "/api/v1/setup", {
      json: {
        accountName: "Alerts Co",
        timeZone: "America/New_York",
        admin: { email: "admin@alerts.example", firstName: "A", lastName: "B", password },
      },
    });
    const login = await http(base, "POST", "/api/v1/sessions", { json: { email: "admin@alerts.example", password } });
    const session = {
      cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
      "x-csrf-token": login.body.csrfToken,
    };
    const { delivery } = (
      await http(base, "POST", "/api/v1/deliveries", {
        headers: session,
        json: { kind: "project_sync", name: "Projects" },
      })
    ).body;
    const patched = await http(base, "PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: session,
      json: { schedule: { frequency: "hourly", expectedBy: "00:15", graceMinutes: 5 } },
    });
    const deadline = patched.body.nextExpectedBy as number;

    const cron = (time: number) =>
      fetch(`${base}/__scheduled?time=${time}`, {
        headers: { authorization: `Bearer ${stack.secrets.OPERATOR_TOKEN}` },
      });
    expect((await cron(deadline + 60_000)).ok).toBe(true);
    let emails: { to: string; subject: string; status: string }[] = [];
    for (let i = 0; i < 100 && !emails.some((e) => e.status === "sent"); i++) {
      await new Promise((r) => setTimeout(r, 200));
      emails = (await http(base, "GET", "/api/v1/outbox", { headers: session })).body.emails;
    }
    // A second trigger for the same window sends nothing more.
    expect((await cron(deadline + 120_000)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    emails = (await http(base, "GET", "/api/v1/outbox", { headers: session })).body.emails;
    expect(emails).toEqual([
      expect.objectContaining({
        to: "admin@alerts.example",
        subject: "Sluice: no file received for Projects",
        status: "sent",
      }),
    ]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      path: "/v1/emails",
      auth: "Bearer provider-key-123",
      body: { to: ["admin@alerts.example"], subject: "Sluice: no file received for Projects" },
    });
    expect(received[0]?.body.text).toContain(`${base}/admin/integration/file-delivery/${delivery.id}/files`);
    const after = (await http(base, "GET", `/api/v1/deliveries/${delivery.id}`, { headers: session })).body;
    expect(after.overdue).toBe(true);
  });
});
