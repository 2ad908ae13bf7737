import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDevVars } from "../scripts/lib/dev-vars.ts";
import { applyMigrations, buildWeb, freePort, type Started, startRelay, startWorker } from "../scripts/lib/stack.ts";

export interface Stack {
  url: string;
  dir: string;
  secrets: Record<string, string>;
  worker: Started;
  /** The SFTP relay (Node), when asked for with `relay: true`. */
  relay?: Started & { port: number };
  stop: () => Promise<void>;
}

/**
 * The real local stack for end-to-end tests: migrations applied by wrangler to
 * a fresh on-disk D1, `wrangler dev` on a free port, its own secrets file.
 * With `relay: true` the SFTP relay runs too, and the Worker advertises its
 * port (SFTP_PUBLIC_PORT), so the Connection tab shows where a client connects.
 */
export async function startStack(opts: { vars?: Record<string, string>; relay?: boolean } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-e2e-"));
  const varsFile = join(dir, "dev.vars");
  const secrets = ensureDevVars(varsFile);
  writeFileSync(join(dir, ".keep"), "");
  await buildWeb({ ifMissing: true });
  await applyMigrations(join(dir, "state"));
  const workerPort = await freePort();
  let relayPort: number | null = null;
  // Both ports are free now but neither is held yet: make sure they differ.
  while (opts.relay && (relayPort === null || relayPort === workerPort)) relayPort = await freePort();
  const worker = await startWorker({
    port: workerPort,
    persistTo: join(dir, "state"),
    envFile: varsFile,
    vars: relayPort ? { SFTP_PUBLIC_HOST: "127.0.0.1", SFTP_PUBLIC_PORT: String(relayPort), ...opts.vars } : opts.vars,
  });
  let relay: Stack["relay"];
  if (relayPort) {
    try {
      const started = await startRelay({
        workerUrl: worker.url,
        relayToken: secrets.RELAY_TOKEN as string,
        port: relayPort,
        hostKeyDir: join(dir, "relay-keys"),
      });
      relay = { ...started, port: relayPort };
    } catch (err) {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  return {
    url: worker.url,
    dir,
    secrets,
    worker,
    relay,
    stop: async () => {
      await relay?.stop();
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
  opts: { json?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
    ...(opts.timeoutMs ? { signal: AbortSignal.timeout(opts.timeoutMs) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body };
}

export interface Admin {
  /** The signed-in admin's session: cookie and CSRF token, for session-only routes. */
  session: Record<string, string>;
  /** `Authorization: Bearer <key>` of an API key the admin created. */
  auth: Record<string, string>;
}

/**
 * First-run setup of a fresh stack (account and admin), the admin signed in, and an API key named
 * `keyName` created with that session. Throws with the reply when a step is refused.
 */
export async function setUpAdmin(
  base: string,
  opts: {
    accountName: string;
    email: string;
    password: string;
    keyName: string;
    timeZone?: string;
    firstName?: string;
    lastName?: string;
  },
): Promise<Admin> {
  const must = async (reply: Promise<Reply>, what: string) => {
    const r = await reply;
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  const { firstName = "Ada", lastName = "Admin" } = opts;
  await must(
    http(base, "POST", "/api/v1/setup", {
      json: {
        accountName: opts.accountName,
        timeZone: opts.timeZone ?? "UTC",
        admin: { email: opts.email, firstName, lastName, password: opts.password },
      },
    }),
    "setup",
  );
  const login = await must(
    http(base, "POST", "/api/v1/sessions", { json: { email: opts.email, password: opts.password } }),
    "sign in",
  );
  const session = {
    cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
    "x-csrf-token": login.body.csrfToken as string,
  };
  const key = await must(
    http(base, "POST", "/api/v1/api-keys", { headers: session, json: { name: opts.keyName } }),
    "API key",
  );
  return { session, auth: { authorization: `Bearer ${key.body.key}` } };
}
