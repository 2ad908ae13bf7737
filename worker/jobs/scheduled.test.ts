import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STALE_UPLOAD_MS } from "../domain/files/uploads.ts";
import worker from "../index.ts";
import { call, newTenant, RELAY_TOKEN } from "../test/client.ts";

describe("cron", () => {
  it("aborts uploads a dead relay left open or a stopped Worker left completing, once, at the controller's scheduled time", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const relay = { authorization: `Bearer ${RELAY_TOKEN}` };
    const login = await call("POST", "/relay/v1/logins", {
      headers: relay,
      json: {
        username: credentials.username,
        method: "password",
        password: credentials.password,
        sourceIp: "192.0.2.5",
        relayId: "t",
      },
    });
    const headers = { ...relay, "x-relay-session": login.body.session };
    const upload = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    const status = () =>
      env.DB.prepare("select status from uploads where id = ?").bind(upload.body.uploadId).first<{ status: string }>();
    // A Worker that stopped between claiming a complete and recording the file: R2 may hold the
    // object, and nothing refers to it.
    const stuck = await call("POST", "/relay/v1/uploads", { headers, json: { name: "stuck.csv" } });
    const stuckRow = await env.DB.prepare("update uploads set status = 'completing' where id = ? returning r2_key")
      .bind(stuck.body.uploadId)
      .first<{ r2_key: string }>();
    await env.FILES.put(stuckRow!.r2_key, "email\n");
    const stuckStatus = () =>
      env.DB.prepare("select status from uploads where id = ?").bind(stuck.body.uploadId).first("status");

    const runAt = async (time: number) => {
      await worker.scheduled(createScheduledController({ scheduledTime: time, cron: "*/5 * * * *" }), env);
    };
    await runAt(Date.now() + 60_000);
    expect((await status())?.status).toBe("open");
    expect(await stuckStatus()).toBe("completing");
    await runAt(Date.now() + STALE_UPLOAD_MS + 60_000);
    expect((await status())?.status).toBe("aborted");
    expect(await stuckStatus()).toBe("aborted");
    expect(await env.FILES.head(stuckRow!.r2_key)).toBeNull();
    await runAt(Date.now() + STALE_UPLOAD_MS + 120_000);
    expect((await status())?.status).toBe("aborted");
  });
});
