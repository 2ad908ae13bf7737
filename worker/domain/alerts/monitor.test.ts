import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { depsFromEnv } from "../../deps-from-env.ts";
import worker from "../../index.ts";
import { call, newTenant, RELAY_TOKEN } from "../../test/client.ts";
import { deliverEmail, outboxInsert } from "../email/outbox.ts";
import { EmailSendError, type EmailSender } from "../email/sender.ts";

const HOUR = 3_600_000;

async function cronAt(time: number) {
  await worker.scheduled(createScheduledController({ scheduledTime: time, cron: "*/5 * * * *" }), env);
}

async function monitoredDelivery(schedule: object = { frequency: "daily", expectedBy: "09:00", graceMinutes: 30 }) {
  const t = await newTenant();
  const { delivery, credentials } = (
    await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync", name: "HR feed" } })
  ).body;
  const patched = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
    headers: t.auth,
    json: { schedule, notificationEmail: "it-oncall@acme.example" },
  });
  expect(patched.status).toBe(200);
  return { t, delivery: patched.body, credentials };
}

async function emailsOf(accountId: string) {
  const rows = await env.DB.prepare(
    "select `to`, subject, kind, status, text from email_outbox where account_id = ? order by `to`",
  )
    .bind(accountId)
    .all<{ to: string; subject: string; kind: string; status: string; text: string }>();
  return rows.results;
}

async function waitForSent(accountId: string, count: number) {
  await vi.waitFor(
    async () => {
      const sent = (await emailsOf(accountId)).filter((e) => e.status === "sent");
      expect(sent.length).toBe(count);
    },
    { timeout: 5000, interval: 50 },
  );
}

describe("Expected File Frequency settings", () => {
  it.each([
    [{ frequency: "weekly", expectedBy: "09:00" }, "schedule.day", /weekly needs a day/],
    [{ frequency: "monthly", expectedBy: "09:00", day: 32 }, "schedule.day", /1 to 31/],
    [{ frequency: "daily", expectedBy: "9am" }, "schedule.expectedBy", /HH:MM/],
    [{ frequency: "daily" }, "schedule.expectedBy", /required for daily/],
    [{ frequency: "daily", expectedBy: "09:00", day: 3 }, "schedule.day", /only used by weekly and monthly/],
    [{ frequency: "daily", expectedBy: "09:00", graceMinutes: -5 }, "schedule.graceMinutes", /negative/],
    [{ frequency: "fortnightly", expectedBy: "09:00" }, "schedule.frequency", /./],
  ])("rejects %j naming the field", async (schedule, field, message) => {
    const t = await newTenant();
    const { delivery } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const res = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth, json: { schedule } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
  });

  it("shows the next deadline in the account's zone once monitored, and nothing when not", async () => {
    const { t, delivery } = await monitoredDelivery();
    expect(delivery.schedule).toEqual({
      frequency: "daily",
      day: null,
      expectedBy: "09:00",
      graceMinutes: 30,
      timeZone: "Europe/London",
    });
    expect(delivery.nextExpectedBy).toBeGreaterThan(Date.now());
    expect(delivery.nextExpectedBy - Date.now()).toBeLessThanOrEqual(24 * HOUR + HOUR);
    const local = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      hour: "2-digit",
      minute: "2-digit",
    }).format(delivery.nextExpectedBy);
    expect(local).toBe("09:30");
    expect(delivery.overdue).toBe(false);
    const off = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: { schedule: { frequency: "none" } },
    });
    expect(off.body.nextExpectedBy).toBeNull();
  });
});

describe("missed-file alerts", () => {
  it("emails every active Admin and the notification address once per missed window, never another account's", async () => {
    const { t, delivery } = await monitoredDelivery();
    // A second admin and a non-admin in the same account, and an admin elsewhere.
    await env.DB.prepare(
      "insert into people (id, account_id, email, role, active, source, created_at, updated_at) values ('per_x1', ?, 'second.admin@acme.example', 'admin', 1, 'admin', 0, 0), ('per_x2', ?, 'claimant@acme.example', 'claimant', 1, 'sync', 0, 0), ('per_x3', ?, 'gone.admin@acme.example', 'admin', 0, 'sync', 0, 0)",
    )
      .bind(t.accountId, t.accountId, t.accountId)
      .run();
    const other = await newTenant("Other");

    const deadline = delivery.nextExpectedBy as number;
    await cronAt(deadline - 60_000);
    expect(await emailsOf(t.accountId)).toEqual([]);

    await Promise.all([cronAt(deadline + 60_000), cronAt(deadline + 60_000)]);
    await cronAt(deadline + 5 * 60_000);
    await waitForSent(t.accountId, 3);
    const emails = await emailsOf(t.accountId);
    expect(emails.map((e) => e.to)).toEqual([t.email, "it-oncall@acme.example", "second.admin@acme.example"].sort());
    expect(emails[0]).toMatchObject({ kind: "delivery_missed", subject: "Sluice: no file received for HR feed" });
    expect(emails[0]?.text).toMatch(
      /No file was received for the User Sync delivery "HR feed" by .* \(Europe\/London\)/,
    );
    expect(emails[0]?.text).toMatch(/No file has ever been received/);
    expect(emails[0]?.text).toContain(`/admin/integration/file-delivery/${delivery.id}/files`);
    expect(await emailsOf(other.accountId)).toEqual([]);

    const after = (await call("GET", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth })).body;
    expect(after.overdue).toBe(true);
    expect(after.nextExpectedBy).toBe(deadline + 24 * HOUR);
    const alerts = await env.DB.prepare("select count(*) as n from delivery_alerts where delivery_id = ?")
      .bind(delivery.id)
      .first<{ n: number }>();
    expect(alerts?.n).toBe(1);

    const outbox = await call("GET", "/api/v1/outbox", { headers: t.auth });
    expect(outbox.body.emails).toHaveLength(3);
    expect((await call("GET", "/api/v1/outbox", { headers: other.auth })).body.emails).toEqual([]);
  });

  it("counts a file that arrived inside the window, and clears the overdue state with a later file", async () => {
    const { t, delivery, credentials } = await monitoredDelivery();
    const deadline = delivery.nextExpectedBy as number;
    // Miss today's window…
    await cronAt(deadline + 60_000);
    expect((await call("GET", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth })).body.overdue).toBe(true);
    // …then a file arrives (through the relay, now): overdue clears and admins hear about it.
    const relay = { authorization: `Bearer ${RELAY_TOKEN}` };
    const login = await call("POST", "/relay/v1/logins", {
      headers: relay,
      json: {
        username: credentials.username,
        method: "password",
        password: credentials.password,
        sourceIp: "192.0.2.1",
        relayId: "t",
      },
    });
    const headers = { ...relay, "x-relay-session": login.body.session };
    const up = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    const bytes = new TextEncoder().encode("Email\na@b.example\n");
    const part = await call("PUT", `/relay/v1/uploads/${up.body.uploadId}/parts/1`, {
      headers: { ...headers, "content-length": String(bytes.byteLength) },
      body: bytes,
    });
    const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    await call("POST", `/relay/v1/uploads/${up.body.uploadId}/complete`, {
      headers,
      json: { size: bytes.byteLength, sha256: sha, parts: [part.body] },
    });

    const now = (await call("GET", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth })).body;
    expect(now.overdue).toBe(false);
    expect(now.lastReceivedAt).toBeGreaterThan(0);
    await vi.waitFor(async () =>
      expect((await emailsOf(t.accountId)).some((e) => e.kind === "delivery_received_again")).toBe(true),
    );
  });

  it("says 'received, but rejected' when the window's only file was rejected", async () => {
    const { t, delivery } = await monitoredDelivery({ frequency: "hourly", expectedBy: "00:00", graceMinutes: 0 });
    const deadline = delivery.nextExpectedBy as number;
    await env.DB.prepare(
      "insert into received_files (id, account_id, delivery_id, name, size, sha256, r2_key, via, is_test, status, received_at) values ('fil_rej', ?, ?, 'users.csv', 1, 'x', 'k', 'sftp', 0, 'rejected', ?)",
    )
      .bind(t.accountId, delivery.id, deadline - 1000)
      .run();
    await cronAt(deadline + 1000);
    await waitForSent(t.accountId, 2);
    const emails = await emailsOf(t.accountId);
    expect(emails.every((e) => e.kind === "delivery_received_rejected")).toBe(true);
    expect(emails[0]?.subject).toBe("Sluice: file received, but rejected, for HR feed");
    expect((await call("GET", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth })).body.overdue).toBe(false);
  });

  it("does not alert for windows missed while a delivery was disabled", async () => {
    const { t, delivery } = await monitoredDelivery();
    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth, json: { status: "disabled" } });
    await cronAt((delivery.nextExpectedBy as number) + 60_000);
    const enabled = await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: { status: "enabled" },
    });
    expect(enabled.body.nextExpectedBy).toBeGreaterThan(Date.now());
    expect(await emailsOf(t.accountId)).toEqual([]);
  });
});

describe("email delivery through the outbox", () => {
  it("retries a failing provider, never sends twice, and records the last error", async () => {
    const t = await newTenant();
    const sent: string[] = [];
    let failures = 2;
    const flaky: EmailSender = {
      name: "http",
      async send(e) {
        if (failures-- > 0) throw new EmailSendError("provider answered 503", true);
        sent.push(e.to);
      },
    };
    const deps = { ...depsFromEnv(env), email: flaky };
    await outboxInsert(deps, {
      accountId: t.accountId,
      to: "a@acme.example",
      subject: "s",
      text: "t",
      html: null,
      kind: "test",
      idempotencyKey: "k1",
    });
    await outboxInsert(deps, {
      accountId: t.accountId,
      to: "a@acme.example",
      subject: "s",
      text: "t",
      html: null,
      kind: "test",
      idempotencyKey: "k1",
    });
    const row = await env.DB.prepare("select id from email_outbox where account_id = ?")
      .bind(t.accountId)
      .all<{ id: string }>();
    expect(row.results).toHaveLength(1);
    const id = row.results[0]!.id;
    expect(await deliverEmail(deps, t.accountId, id)).toBe("retry");
    expect(await deliverEmail(deps, t.accountId, id)).toBe("retry");
    const [a, b] = await Promise.all([deliverEmail(deps, t.accountId, id), deliverEmail(deps, t.accountId, id)]);
    expect([a, b].sort()).toEqual(["already-done", "sent"]);
    expect(await deliverEmail(deps, t.accountId, id)).toBe("already-done");
    expect(sent).toEqual(["a@acme.example"]);
    const final = await env.DB.prepare("select status, attempts from email_outbox where id = ?").bind(id).first();
    expect(final).toEqual({ status: "sent", attempts: 3 });
    // Another account cannot deliver (or see) this email.
    const other = await newTenant("Other");
    expect(await deliverEmail(deps, other.accountId, id)).toBe("already-done");
  });

  it("marks an email failed when the provider rejects it for good", async () => {
    const t = await newTenant();
    const deps = {
      ...depsFromEnv(env),
      email: {
        name: "http",
        send: async () => Promise.reject(new EmailSendError("422 invalid recipient", false)),
      } as EmailSender,
    };
    await outboxInsert(deps, {
      accountId: t.accountId,
      to: "bad@",
      subject: "s",
      text: "t",
      html: null,
      kind: "test",
      idempotencyKey: "k2",
    });
    const row = await env.DB.prepare("select id from email_outbox where account_id = ?")
      .bind(t.accountId)
      .first<{ id: string }>();
    expect(await deliverEmail(deps, t.accountId, row!.id)).toBe("failed");
    const final = await env.DB.prepare("select status, error from email_outbox where id = ?").bind(row!.id).first();
    expect(final).toEqual({ status: "failed", error: "422 invalid recipient" });
  });
});

describe("timeline", () => {
  it("marks each past window received, rejected or missed, and the current one open", async () => {
    const { t, delivery } = await monitoredDelivery({ frequency: "hourly", expectedBy: "00:00", graceMinutes: 0 });
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    await env.DB.prepare("update deliveries set monitoring_since = ? where id = ?")
      .bind(hour - 4 * HOUR + 1, delivery.id)
      .run();
    const insert = (id: string, at: number, status: string) =>
      env.DB.prepare(
        "insert into received_files (id, account_id, delivery_id, name, size, sha256, r2_key, via, is_test, status, received_at) values (?, ?, ?, 'users.csv', 1, 'x', 'k', 'sftp', 0, ?, ?)",
      )
        .bind(id, t.accountId, delivery.id, status, at)
        .run();
    await insert("fil_t1", hour - 3 * HOUR + 60_000, "applied"); // window ending hour-2h
    await insert("fil_t2", hour - HOUR + 60_000, "rejected"); // window ending hour
    const res = await call("GET", `/api/v1/deliveries/${delivery.id}/timeline?days=1`, { headers: t.auth });
    expect(res.status).toBe(200);
    const states = res.body.windows.map((w: { deadline: number; state: string }) => [
      (w.deadline - hour) / HOUR,
      w.state,
    ]);
    expect(states).toEqual([
      [-3, "missed"],
      [-2, "received"],
      [-1, "missed"],
      [0, "rejected"],
      [1, "open"],
    ]);
    expect(res.body.files.map((f: { id: string }) => f.id)).toEqual(["fil_t1", "fil_t2"]);
    expect(
      (await call("GET", `/api/v1/deliveries/${delivery.id}/timeline`, { headers: (await newTenant("Other")).auth }))
        .status,
    ).toBe(404);
  });
});
