import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STALE_UPLOAD_MS } from "../domain/files/uploads.ts";
import worker from "../index.ts";
import { call, newTenant, RELAY_TOKEN } from "../test/client.ts";

describe("cron", () => {
  it("aborts uploads a dead relay left open, once, at the controller's scheduled time", async () => {
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

    const runAt = async (time: number) => {
      await worker.scheduled(createScheduledController({ scheduledTime: time, cron: "*/5 * * * *" }), env);
    };
    await runAt(Date.now() + 60_000);
    expect((await status())?.status).toBe("open");
    await runAt(Date.now() + STALE_UPLOAD_MS + 60_000);
    expect((await status())?.status).toBe("aborted");
    await runAt(Date.now() + STALE_UPLOAD_MS + 120_000);
    expect((await status())?.status).toBe("aborted");
  });
});
