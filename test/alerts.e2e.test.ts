import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http, type Stack, startStack } from "./stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe("missed-file alerts on the real stack (wrangler dev, cron replayed for a chosen instant)", () => {
  it("emails the admin into the local outbox once when the cron runs after a missed deadline", async () => {
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
      json: { schedule: { frequency: "daily", expectedBy: "06:00", graceMinutes: 15 } },
    });
    const deadline = patched.body.nextExpectedBy as number;

    const cron = (time: number) => fetch(`${base}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}&time=${time}`);
    const first = await cron(deadline + 60_000);
    expect(first.ok).toBe(true);
    expect((await cron(deadline + 120_000)).ok).toBe(true);

    let emails: { to: string; subject: string; status: string }[] = [];
    for (let i = 0; i < 50 && !emails.some((e) => e.status === "sent"); i++) {
      await new Promise((r) => setTimeout(r, 200));
      emails = (await http(base, "GET", "/api/v1/outbox", { headers: session })).body.emails;
    }
    expect(emails).toEqual([
      expect.objectContaining({
        to: "admin@alerts.example",
        subject: "Sluice: no file received for Projects",
        status: "sent",
      }),
    ]);
    const after = (await http(base, "GET", `/api/v1/deliveries/${delivery.id}`, { headers: session })).body;
    expect(after.overdue).toBe(true);
  });
});
