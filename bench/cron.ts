/**
 * Row 6: one frequency-cron run over 10,000 due deliveries of one account, on
 * local workerd. The deliveries are written straight into the local D1 (through
 * `wrangler d1 execute`) before the Worker starts; the run is replayed for a
 * chosen instant through the development-only `/__scheduled?time=`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDevVars } from "../scripts/lib/dev-vars.ts";
import { applyMigrations, freePort, ROOT, run, startWorker } from "../scripts/lib/stack.ts";
import type { Row } from "./report.ts";

const DEADLINE = Date.UTC(2031, 0, 6, 9, 0);

function seedSql(count: number): string {
  const lines = [
    "INSERT INTO accounts (id, name, time_zone, created_at, updated_at) VALUES ('acc_bench', 'Bench', 'UTC', 0, 0);",
    "INSERT INTO people (id, account_id, email, role, active, source, created_at, updated_at) VALUES ('per_bench', 'acc_bench', 'admin@bench.example', 'admin', 1, 'setup', 0, 0);",
  ];
  for (let i = 0; i < count; i += 500) {
    const values = [];
    for (let n = i; n < Math.min(count, i + 500); n++) {
      values.push(
        `('dlv_bench_${n}', 'acc_bench', 'user_sync', 'Feed ${n}', 'enabled', 'sluice-bench-${n}', 'h', 'c', 0, '[]', 'upsert', 10, 'daily', '09:00', 0, 0, ${DEADLINE}, 0, 0)`,
      );
    }
    lines.push(
      `INSERT INTO deliveries (id, account_id, kind, name, status, sftp_username, credential_hash, credential_cipher, credentials_rotated_at, allowed_ips, sync_mode, full_sync_threshold_percent, frequency, expected_by, grace_minutes, monitoring_since, next_deadline_at, created_at, updated_at) VALUES ${values.join(",")};`,
    );
  }
  return lines.join("\n");
}

export async function cronRow(count = 10_000): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-cron-"));
  try {
    const state = join(dir, "state");
    await applyMigrations(state);
    writeFileSync(join(dir, "seed.sql"), seedSql(count));
    await run(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["d1", "execute", "DB", "--local", "--persist-to", state, "--file", join(dir, "seed.sql")],
      {
        quiet: true,
        env: { CI: "true" },
      },
    );
    const varsFile = join(dir, "dev.vars");
    const secrets = ensureDevVars(varsFile);
    const operator = { headers: { authorization: `Bearer ${secrets.OPERATOR_TOKEN}` } };
    const worker = await startWorker({ port: await freePort(), persistTo: state, envFile: varsFile });
    try {
      // Warm the isolate with a run for an instant when nothing is due yet.
      await (await fetch(`${worker.url}/__scheduled?time=${DEADLINE - 60_000}`, operator)).text();
      const started = performance.now();
      const res = await fetch(`${worker.url}/__scheduled?time=${DEADLINE + 60_000}`, operator);
      const ms = performance.now() - started;
      const text = await res.text();
      if (!res.ok) throw new Error(`cron run failed: ${res.status} ${text}`);
      const line = text.match(/checked (\d+) due deliveries, queued (\d+) more/);
      const found = line ? Number(line[1]) + Number(line[2]) : Number.NaN;
      return {
        id: "6",
        measure: `cron run over ${count.toLocaleString("en")} due deliveries (one account): wall time`,
        ours: `${Math.round(ms)} ms`,
        baseline: "—",
        ratio: null,
        target: "< 1,000 ms",
        met: ms < 1000 && found === count,
        note: `found ${found} with 1 candidate query; ${line?.[1] ?? "?"} checked in the run, ${line?.[2] ?? "?"} fanned out to the queue`,
      };
    } finally {
      await worker.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
