/**
 * The real stack for the relay's fault and load tests: `wrangler dev`, an admin API key, as many
 * deliveries as a test needs, and the relay (Node, from source) that a test may SIGKILL and start
 * again on the same port. The relay reaches the Worker through a WorkerProxy, so a test can watch
 * and break every `/relay/v1` call. Everything is read back through the public API.
 */
import { createHash, randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processTree, sampleRss } from "../bench/proc.ts";
import { freePort, type Started, startRelay } from "../scripts/lib/stack.ts";
import { type SftpResult, sftp } from "./sftp-client.ts";
import { type Stack, setUpAdmin, startStack } from "./stack.ts";
import { WorkerProxy } from "./worker-proxy.ts";

export const MiB = 1024 * 1024;

/** `SLUICE_SOAK=1` (npm run soak) selects the long variants of these tests. */
export const SOAK = process.env.SLUICE_SOAK === "1";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export interface Delivery {
  id: string;
  username: string;
  password: string;
}

export interface ReceivedFile {
  id: string;
  name: string;
  size: number;
  sha256: string;
  sourceIp: string | null;
  status: string;
}

export interface RelayHarness {
  stack: Stack;
  proxy: WorkerProxy;
  port: number;
  dir: string;
  relay: () => Started;
  /**
   * Starts the relay (again) on the same port, pointed at the proxy, with `env` added to its
   * environment (the last one given is kept for later restarts).
   */
  startRelay: (env?: Record<string, string>) => Promise<Started>;
  /** Stops the relay gracefully (SIGTERM). */
  stopRelay: () => Promise<void>;
  /** SIGKILL to the relay and every process under it (tsx runs the relay in a child process). */
  killRelay: () => Promise<void>;
  /** The pid whose process tree is the relay, for RSS sampling. */
  relayPid: () => number;
  /** A call to the public API with the admin's API key; throws on a non-2xx answer. */
  api: (method: string, path: string, json?: unknown) => Promise<any>;
  newDelivery: () => Promise<Delivery>;
  files: (deliveryId: string) => Promise<ReceivedFile[]>;
  /** SHA-256 of a received file's bytes as the Worker serves them from R2. */
  storedSha256: (fileId: string) => Promise<string>;
  /** A file of random bytes in the work dir; returns its SHA-256. */
  writeFile: (name: string, bytes: number) => string;
  removeFile: (name: string) => void;
  /** `sftp put`; `sourceIp` (a loopback address such as 127.0.1.7) is the address the client connects from. */
  put: (
    d: Delivery,
    local: string,
    remote: string,
    opts?: { timeoutMs?: number; sourceIp?: string },
  ) => Promise<SftpResult>;
  stop: () => Promise<void>;
}

/**
 * One API call with a deadline, so a stuck Worker fails the test with a message instead of hanging
 * it. `wrangler dev` now and then leaves a request unanswered while the Worker is busy with queue
 * work (the request never reaches it): a GET, which is safe to repeat, is asked again after 15 s.
 */
async function call(
  base: string,
  method: string,
  path: string,
  opts: { json?: unknown; headers?: Record<string, string> },
) {
  const attempt = (ms: number) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...opts.headers, ...(opts.json === undefined ? {} : { "content-type": "application/json" }) },
      body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
      signal: AbortSignal.timeout(ms),
    });
  let res: Response | undefined;
  for (let tries = method === "GET" ? 4 : 1; !res; tries--) {
    try {
      res = await attempt(tries > 1 ? 15_000 : 60_000);
    } catch (err) {
      if ((err as Error).name !== "TimeoutError" || tries <= 1) throw err;
    }
  }
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { headers: res.headers, body };
}

export async function startRelayHarness(opts: { relayEnv?: Record<string, string> } = {}): Promise<RelayHarness> {
  const stack = await startStack();
  let proxy: WorkerProxy | undefined;
  try {
    proxy = await new WorkerProxy(stack.url).start();
    return await harness(stack, proxy, opts);
  } catch (err) {
    await proxy?.stop();
    await stack.stop();
    throw err;
  }
}

async function harness(
  stack: Stack,
  proxy: WorkerProxy,
  opts: { relayEnv?: Record<string, string> },
): Promise<RelayHarness> {
  const dir = stack.dir;
  const { auth } = await setUpAdmin(stack.url, {
    accountName: "Faults Co",
    email: "f@faults.example",
    firstName: "F",
    lastName: "T",
    password: "relay fault tests admin password",
    keyName: "faults",
  });

  const port = await freePort();
  let relay: Started | undefined;
  let relayEnv = opts.relayEnv ?? {};
  const start = async (env?: Record<string, string>) => {
    if (env) relayEnv = env;
    relay = await startRelay({
      workerUrl: proxy.url,
      relayToken: stack.secrets.RELAY_TOKEN as string,
      port,
      hostKeyDir: join(dir, "relay-keys"),
      env: relayEnv,
    });
    return relay;
  };
  await start();

  const harness: RelayHarness = {
    stack,
    proxy,
    port,
    dir,
    relay: () => relay as Started,
    startRelay: start,
    stopRelay: async () => {
      await relay?.stop();
    },
    relayPid: () => relay?.process.pid as number,
    killRelay: async () => {
      const child = relay?.process;
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      for (const pid of processTree(child.pid).reverse()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      await exited;
    },
    api: async (method, path, json) => (await call(stack.url, method, path, { headers: auth, json })).body,
    newDelivery: async () => {
      const created = await call(stack.url, "POST", "/api/v1/deliveries", {
        headers: auth,
        json: { kind: "user_sync" },
      });
      return {
        id: created.body.delivery.id,
        username: created.body.credentials.username,
        password: created.body.credentials.password,
      };
    },
    files: async (deliveryId) => {
      const res = await call(stack.url, "GET", `/api/v1/deliveries/${deliveryId}/files?limit=200`, { headers: auth });
      return res.body.files as ReceivedFile[];
    },
    storedSha256: async (fileId) => {
      const res = await fetch(`${stack.url}/api/v1/files/${fileId}/content`, {
        headers: auth,
        signal: AbortSignal.timeout(120_000),
      });
      if (!res.ok || !res.body) throw new Error(`content of ${fileId}: ${res.status}`);
      const hash = createHash("sha256");
      for await (const chunk of res.body) hash.update(chunk);
      return hash.digest("hex");
    },
    writeFile: (name, bytes) => {
      const data = randomBytes(bytes);
      writeFileSync(join(dir, name), data);
      return sha256(data);
    },
    removeFile: (name) => rmSync(join(dir, name), { force: true }),
    put: (d, local, remote, o = {}) =>
      sftp({
        port,
        username: d.username,
        password: d.password,
        batch: [`put ${local} ${remote}`],
        cwd: dir,
        timeoutMs: o.timeoutMs ?? 120_000,
        extraArgs: o.sourceIp ? ["-o", `BindAddress=${o.sourceIp}`] : [],
      }),
    stop: async () => {
      await relay?.stop();
      await proxy.stop();
      await stack.stop();
    },
  };
  return harness;
}

/** VmRSS of the relay process (the largest process of its tree) now, in MB. */
export function rssMb(pid: number): number {
  return sampleRss(pid).stop().peakMb;
}

/** Peak VmRSS of the relay process (the largest process of its tree) while `work` runs, in MB. */
export async function peakRssDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  const sampler = sampleRss(pid);
  try {
    const result = await work();
    return { result, peakMb: sampler.stop().peakMb };
  } catch (err) {
    sampler.stop();
    throw err;
  }
}

/** Polls until `check` holds or `ms` passes; returns the last value either way. */
export async function settle<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}
