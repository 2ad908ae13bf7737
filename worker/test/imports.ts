/** Test support for the import engine: tenants with a delivery, files put straight into R2 and D1, runs to the end. */
import { env } from "cloudflare:test";
import { depsFromEnv } from "../deps-from-env.ts";
import type { Deps } from "../domain/deps.ts";
import { isTestFileName } from "../domain/files/file-names.ts";
import { newId } from "../domain/ids.ts";
import { advanceImport, type RunOptions } from "../domain/imports/run-import.ts";
import type { QueueMessage } from "../jobs/messages.ts";
import { call, newTenant } from "./client.ts";

export type Tenant = Awaited<ReturnType<typeof newTenant>>;

export interface Setup {
  t: Tenant;
  deliveryId: string;
  deps: Deps;
  /** Messages the code under test enqueued. */
  sent: QueueMessage[];
}

/** A recording queue keeps continuations in the test's hands. */
export function testDeps(sent: QueueMessage[]): Deps {
  const deps = depsFromEnv(env);
  const queue = {
    send: async (m: QueueMessage) => void sent.push(m),
    sendBatch: async (ms: Iterable<MessageSendRequest<QueueMessage>>) => {
      for (const m of ms) sent.push(m.body);
    },
  } as unknown as Queue<QueueMessage>;
  return { ...deps, queue };
}

export async function setup(
  kind: "user_sync" | "project_sync" = "user_sync",
  patch: Record<string, unknown> = {},
  t?: Tenant,
): Promise<Setup> {
  const tenant = t ?? (await newTenant());
  const created = await call("POST", "/api/v1/deliveries", { headers: tenant.auth, json: { kind } });
  const deliveryId = created.body.delivery.id as string;
  if (Object.keys(patch).length) {
    const res = await call("PATCH", `/api/v1/deliveries/${deliveryId}`, { headers: tenant.auth, json: patch });
    if (res.status !== 200) throw new Error(`patch: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const sent: QueueMessage[] = [];
  return { t: tenant, deliveryId, deps: testDeps(sent), sent };
}

/** Stores a file as an upload would (R2 object + received_files row, status queued) without enqueueing it. */
export async function receive(s: Setup, name: string, content: string | Uint8Array): Promise<string> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const fileId = newId("fil");
  const key = `accounts/${s.t.accountId}/deliveries/${s.deliveryId}/test/${fileId}/${name}`;
  await env.FILES.put(key, bytes);
  await env.DB.prepare(
    `INSERT INTO received_files (id, account_id, delivery_id, name, size, sha256, r2_key, via, is_test, status, received_at)
     VALUES (?, ?, ?, ?, ?, 'x', ?, 'http', ?, 'queued', ?)`,
  )
    .bind(fileId, s.t.accountId, s.deliveryId, name, bytes.byteLength, key, isTestFileName(name) ? 1 : 0, Date.now())
    .run();
  return fileId;
}

/** Runs an import to its end the way the queue would: one advance per (continuation) message. */
export async function runToEnd(s: Setup, fileId: string, opts?: Partial<RunOptions>) {
  const full: RunOptions = { batchRows: 2000, sliceRows: 50_000, ...opts };
  let invocations = 0;
  for (;;) {
    invocations++;
    const outcome = await advanceImport(s.deps, { accountId: s.t.accountId, fileId }, full);
    if (outcome !== "continue") return { outcome, invocations };
  }
}

export async function runOf(fileId: string) {
  const run = await env.DB.prepare("SELECT * FROM import_runs WHERE file_id = ?")
    .bind(fileId)
    .first<Record<string, any>>();
  if (!run) throw new Error("no run");
  return {
    ...run,
    counts: JSON.parse(run.counts) as Record<string, number>,
    dialect: run.dialect ? JSON.parse(run.dialect) : null,
  } as Record<string, any>;
}

export async function fileStatus(fileId: string) {
  return (
    await env.DB.prepare("SELECT status FROM received_files WHERE id = ?").bind(fileId).first<{ status: string }>()
  )?.status;
}

export async function peopleOf(accountId: string) {
  const { results } = await env.DB.prepare(
    `SELECT p.email, p.first_name, p.last_name, p.employee_number, p.department, p.role, p.active, p.leave_date,
       a.email AS approver FROM people p LEFT JOIN people a ON a.id = p.approver_id
     WHERE p.account_id = ? ORDER BY p.email`,
  )
    .bind(accountId)
    .all<Record<string, unknown>>();
  return results;
}

export async function errorsOf(fileId: string) {
  const { results } = await env.DB.prepare(
    `SELECT e.row_number, e."column", e.reason, e.value FROM row_errors e JOIN import_runs r ON r.id = e.run_id
     WHERE r.file_id = ? ORDER BY e.row_number, e."column"`,
  )
    .bind(fileId)
    .all<{ row_number: number; column: string; reason: string; value: string | null }>();
  return results;
}

export async function projectsOf(accountId: string) {
  const { results } = await env.DB.prepare(
    `SELECT p.code, p.name, p.client, p.active, p.start_date, p.end_date, p.billable, a.email AS approver
     FROM projects p LEFT JOIN people a ON a.id = p.approver_id WHERE p.account_id = ? ORDER BY p.code`,
  )
    .bind(accountId)
    .all<Record<string, unknown>>();
  return results;
}
