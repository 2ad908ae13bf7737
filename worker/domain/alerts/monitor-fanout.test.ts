import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../index.ts";
import { newTenant } from "../../test/client.ts";

// Its own file: every test file starts from an empty database, so only these deliveries are due.
const HOUR = 3_600_000;

async function cronAt(time: number) {
  await worker.scheduled(createScheduledController({ scheduledTime: time, cron: "*/5 * * * *" }), env);
}

describe("many due deliveries", () => {
  it("checks the first ones in the cron run and fans the rest out to the queue, alerting each once", {
    timeout: 60_000,
  }, async () => {
    const t = await newTenant();
    const deadline = Date.UTC(2031, 0, 6, 9, 0); // Monday 09:00 London (GMT)
    const rows = Array.from({ length: 80 }, (_, i) => i);
    for (let i = 0; i < rows.length; i += 10) {
      const stmts = rows.slice(i, i + 10).map((n) =>
        env.DB.prepare(
          `insert into deliveries (id, account_id, kind, name, status, sftp_username, credential_hash, credential_cipher,
             credentials_rotated_at, allowed_ips, sync_mode, full_sync_threshold_percent, frequency, expected_by,
             grace_minutes, monitoring_since, next_deadline_at, created_at, updated_at)
           values (?, ?, 'user_sync', ?, 'enabled', ?, 'h', 'c', 0, '[]', 'upsert', 10, 'daily', '09:00', 0, 0, ?, 0, 0)`,
        ).bind(`dlv_many_${n}`, t.accountId, `Feed ${n}`, `sluice-many-${n}`, deadline),
      );
      await env.DB.batch(stmts);
    }
    await cronAt(deadline + 60_000);
    await vi.waitFor(
      async () => {
        const n = await env.DB.prepare("select count(*) as n from delivery_alerts where account_id = ?")
          .bind(t.accountId)
          .first<{ n: number }>();
        expect(n?.n).toBe(80);
      },
      { timeout: 45_000, interval: 200 },
    );
    const next = await env.DB.prepare(
      "select count(*) as n from deliveries where account_id = ? and next_deadline_at = ?",
    )
      .bind(t.accountId, deadline + 24 * HOUR)
      .first<{ n: number }>();
    expect(next?.n).toBe(80);
    // One email per missed window to the one admin, even if the cron runs again.
    await cronAt(deadline + 120_000);
    const emails = await env.DB.prepare("select count(*) as n from email_outbox where account_id = ?")
      .bind(t.accountId)
      .first<{ n: number }>();
    expect(emails?.n).toBe(80);
  });
});
