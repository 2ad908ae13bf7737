/**
 * The real stack for the end-to-end rows: `wrangler dev` (D1, R2 on disk under a temp dir, as the
 * e2e tests start it), one delivery with the benchmark's public key, relays on Node and Deno, and
 * the floor: the same bytes sent straight through the Worker's relay API into the same local R2.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { freePort, type RelayRuntime, type Started, startRelay } from "../scripts/lib/stack.ts";
import { http, type Stack, setUpAdmin, startStack } from "../test/stack.ts";
import { type RelayProcess, startRelayProcess } from "./relay-process.ts";

export interface BenchStack {
  stack: Stack;
  url: string;
  relayToken: string;
  username: string;
  password: string;
  /** Another delivery with the benchmark's key (a delivery allows 4 concurrent sessions). */
  addDelivery: () => Promise<{ username: string; password: string }>;
  /** Stops wrangler dev and removes its state (D1, R2) with the temp dir. */
  stop: () => Promise<void>;
}

export async function startBenchStack(publicKey: string): Promise<BenchStack> {
  const stack = await startStack();
  try {
    const { auth: headers } = await setUpAdmin(stack.url, {
      accountName: "Bench Co",
      email: "bench@bench.example",
      firstName: "Bench",
      lastName: "Mark",
      password: "benchmark admin password",
      keyName: "bench",
    });
    const addDelivery = async () => {
      const created = await http(stack.url, "POST", "/api/v1/deliveries", { headers, json: { kind: "user_sync" } });
      if (created.status >= 300) throw new Error(`delivery: ${created.status} ${JSON.stringify(created.body)}`);
      const deliveryId = created.body.delivery.id as string;
      const added = await http(stack.url, "POST", `/api/v1/deliveries/${deliveryId}/public-keys`, {
        headers,
        json: { publicKey },
      });
      if (added.status >= 300) throw new Error(`public key: ${added.status} ${JSON.stringify(added.body)}`);
      return { username: created.body.credentials.username as string, password: created.body.credentials.password };
    };
    return {
      stack,
      url: stack.url,
      relayToken: stack.secrets.RELAY_TOKEN as string,
      ...(await addDelivery()),
      addDelivery,
      stop: () => stack.stop(),
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/** relay/main.ts bundled and run by plain `node` (bench/build.ts), pointed at the bench Worker. */
export async function startBundledRelay(bench: BenchStack, script: string): Promise<RelayProcess> {
  return startRelayProcess(
    script,
    {
      WORKER_URL: bench.url,
      RELAY_TOKEN: bench.relayToken,
      SFTP_HOST: "127.0.0.1",
      SFTP_PORT: String(await freePort()),
      HOST_KEY_DIR: join(bench.stack.dir, "relay-keys-bundle"),
    },
    /relay listening on \S+:(\d+)/,
  );
}

/** The relay from source through scripts/lib/stack.ts: `tsx relay/main.ts` or `deno run … relay/main.ts`. */
export async function startBenchRelay(bench: BenchStack, runtime: RelayRuntime): Promise<Started & { port: number }> {
  const port = await freePort();
  const relay = await startRelay({
    runtime,
    workerUrl: bench.url,
    relayToken: bench.relayToken,
    port,
    hostKeyDir: join(bench.stack.dir, `relay-keys-${runtime}`),
  });
  return { ...relay, port };
}

async function relayCall(bench: BenchStack, method: string, path: string, init: RequestInit & { session?: string }) {
  const headers: Record<string, string> = { authorization: `Bearer ${bench.relayToken}` };
  if (init.session) headers["x-relay-session"] = init.session;
  if (typeof init.body === "string") headers["content-type"] = "application/json";
  else if (init.body) headers["content-type"] = "application/octet-stream";
  const res = await fetch(`${bench.url}/relay/v1${path}`, { method, headers, body: init.body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * The floor: login, create the upload, PUT each part (a Buffer body, so it has a Content-Length,
 * one at a time), complete with size and SHA-256. Returns the wall time of all of it in ms.
 * The SHA-256 is computed beforehand: the floor is the Worker and R2, not hashing.
 */
export async function httpUpload(
  bench: BenchStack,
  bytes: Buffer,
  name: string,
  sourceIp = "127.0.0.1",
): Promise<number> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const started = performance.now();
  const login = await relayCall(bench, "POST", "/logins", {
    body: JSON.stringify({
      username: bench.username,
      method: "password",
      password: bench.password,
      sourceIp,
      relayId: "bench-http-floor",
    }),
  });
  const session = login.session as string;
  const { uploadId, partBytes } = await relayCall(bench, "POST", "/uploads", {
    session,
    body: JSON.stringify({ name }),
  });
  const parts: { partNumber: number; etag: string }[] = [];
  for (let offset = 0, n = 1; offset < bytes.length; offset += partBytes, n++) {
    const body = bytes.subarray(offset, Math.min(offset + partBytes, bytes.length));
    parts.push(await relayCall(bench, "PUT", `/uploads/${uploadId}/parts/${n}`, { session, body }));
  }
  const done = await relayCall(bench, "POST", `/uploads/${uploadId}/complete`, {
    session,
    body: JSON.stringify({
      size: bytes.length,
      sha256,
      parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    }),
  });
  const ms = performance.now() - started;
  if (done.size !== bytes.length) throw new Error(`floor upload stored ${done.size} bytes, sent ${bytes.length}`);
  await relayCall(bench, "DELETE", "/sessions/current", { session }).catch(() => undefined);
  return ms;
}
