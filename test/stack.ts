import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDevVars } from "../scripts/lib/dev-vars.ts";
import { applyMigrations, buildWeb, freePort, type Started, startWorker } from "../scripts/lib/stack.ts";

export interface Stack {
  url: string;
  dir: string;
  secrets: Record<string, string>;
  worker: Started;
  stop: () => Promise<void>;
}

/**
 * The real local stack for end-to-end tests: migrations applied by wrangler to
 * a fresh on-disk D1, `wrangler dev` on a free port, its own secrets file.
 */
export async function startStack(opts: { vars?: Record<string, string> } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-e2e-"));
  const varsFile = join(dir, "dev.vars");
  const secrets = ensureDevVars(varsFile);
  writeFileSync(join(dir, ".keep"), "");
  await buildWeb({ ifMissing: true });
  await applyMigrations(join(dir, "state"));
  const worker = await startWorker({
    port: await freePort(),
    persistTo: join(dir, "state"),
    envFile: varsFile,
    vars: opts.vars,
  });
  return {
    url: worker.url,
    dir,
    secrets,
    worker,
    stop: async () => {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

export async function http(
  base: string,
  method: string,
  path: string,
  opts: { json?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body };
}
