import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = (name: string) => join(ROOT, "node_modules/.bin", name);

/** No network here beyond the registries: keep wrangler from phoning home. */
export const quietEnv = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? "info",
};

export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; quiet?: boolean } = {}) {
  return new Promise<string>((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...quietEnv, ...opts.env },
      stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out}`)),
    );
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

export async function buildWeb(opts: { ifMissing?: boolean } = {}) {
  if (opts.ifMissing && existsSync(join(ROOT, "web/dist/index.html"))) return;
  if (!existsSync(join(ROOT, "web/vite.config.ts"))) return;
  await run(bin("vite"), ["build", "--config", "web/vite.config.ts", "--logLevel", "warn"], { quiet: true });
}

/** Applies `migrations/` to the local D1 under `persistTo`, as `wrangler d1 migrations apply` does in production. */
export async function applyMigrations(persistTo: string) {
  await run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    quiet: true,
    env: { CI: "true" },
  });
}

export interface Started {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

function stopper(child: ChildProcess) {
  return () =>
    new Promise<void>((resolvePromise) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolvePromise();
      });
      child.kill("SIGTERM");
    });
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000, child?: ChildProcess) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what}: process exited with ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

/** Starts the Worker in workerd (`wrangler dev`) with D1, R2 and Queues emulated on disk under `persistTo`. */
export async function startWorker(opts: {
  port: number;
  persistTo: string;
  /** A wrangler vars file; `.dev.vars` in the repository is read when omitted. */
  envFile?: string;
  vars?: Record<string, string>;
  inheritOutput?: boolean;
}): Promise<Started> {
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(opts.port), "--persist-to", opts.persistTo];
  args.push("--show-interactive-dev-session=false");
  if (opts.envFile) args.push("--env-file", opts.envFile);
  const vars = { SLUICE_ENV: "development", PUBLIC_URL: `http://127.0.0.1:${opts.port}`, ...opts.vars };
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(bin("wrangler"), args, {
    cwd: ROOT,
    env: { ...process.env, ...quietEnv },
    stdio: ["ignore", opts.inheritOutput ? "inherit" : "pipe", opts.inheritOutput ? "inherit" : "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = stopper(child);
  try {
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, "worker", 90_000, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { url, process: child, output: () => log, stop };
}

export type RelayRuntime = "node" | "deno";

/** The command line that runs the relay from source on Node (via tsx) or Deno. */
export function relayCommand(runtime: RelayRuntime): [string, string[]] {
  return runtime === "node"
    ? [bin("tsx"), ["relay/main.ts"]]
    : [
        bin("deno"),
        ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys", "relay/main.ts"],
      ];
}

/** Starts the SFTP relay pointed at a Worker; resolves once it accepts TCP connections. */
export async function startRelay(opts: {
  runtime?: RelayRuntime;
  workerUrl: string;
  relayToken: string;
  port: number;
  hostKeyDir: string;
  env?: Record<string, string>;
  inheritOutput?: boolean;
}): Promise<Started> {
  const [cmd, args] = relayCommand(opts.runtime ?? "node");
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: "1",
      WORKER_URL: opts.workerUrl,
      RELAY_TOKEN: opts.relayToken,
      SFTP_HOST: "127.0.0.1",
      SFTP_PORT: String(opts.port),
      HOST_KEY_DIR: opts.hostKeyDir,
      ...opts.env,
    },
    stdio: ["ignore", opts.inheritOutput ? "inherit" : "pipe", opts.inheritOutput ? "inherit" : "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d) => {
    log += d;
  });
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const stop = stopper(child);
  const { connect } = await import("node:net");
  const accepts = () =>
    new Promise<boolean>((resolvePromise) => {
      const socket = connect(opts.port, "127.0.0.1");
      socket.once("data", () => {
        socket.destroy();
        resolvePromise(true);
      });
      socket.once("error", () => resolvePromise(false));
      setTimeout(() => {
        socket.destroy();
        resolvePromise(false);
      }, 2000);
    });
  try {
    await waitFor(accepts, `relay (${opts.runtime ?? "node"})`, 60_000, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { url: `sftp://127.0.0.1:${opts.port}`, process: child, output: () => log, stop };
}
