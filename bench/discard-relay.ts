/**
 * The real RelayServer (ssh2, SftpSession, PartAssembler with its SHA-256, WorkerClient and the
 * contract's zod checks) with the Worker answered in process: every login is granted, every part is
 * acknowledged and its bytes dropped. What is left to measure is the relay's SFTP protocol layer.
 *
 * Run as its own process (`node --import tsx bench/discard-relay.ts`) so its RSS is its own;
 * prints `listening <port>` on stdout. Env: HOST_KEY_DIR (required), MAX_FILE_BYTES,
 * SINK_MBPS (optional: hold each part for bytes / rate, to mimic a slow store and exercise
 * backpressure).
 */
import { randomUUID } from "node:crypto";
import process from "node:process";
import { loadConfig } from "../relay/config.ts";
import { loadOrCreateHostKeys } from "../relay/host-keys.ts";
import { consoleLogger, type Logger, silentLogger } from "../relay/log.ts";
import { RelayServer } from "../relay/server.ts";
import { WorkerClient } from "../relay/worker-client.ts";

const PART_BYTES = 5 * 1024 * 1024; // what the real Worker hands out (RELAY_LIMITS.partBytes)
const sinkBytesPerMs = Number(process.env.SINK_MBPS ?? 0) * 1000;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Answers contracts/relay.ts without a network; uploads go nowhere. */
const discardingWorker = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const { pathname } = new URL(String(input));
  const method = init?.method ?? "GET";
  if (pathname === "/relay/v1/connections") return json(200, { allowed: true });
  if (pathname === "/relay/v1/logins") {
    return json(200, {
      session: randomUUID(),
      expiresAt: Date.now() + 3_600_000,
      deliveryId: "dlv_bench",
      deliveryName: "Benchmark",
      kind: "user_sync",
      maxFileBytes: Number.MAX_SAFE_INTEGER,
      maxSessions: 100,
      partBytes: PART_BYTES,
    });
  }
  if (pathname === "/relay/v1/files") return json(200, { files: [] });
  if (pathname === "/relay/v1/uploads") return json(201, { uploadId: `upl_${randomUUID()}`, partBytes: PART_BYTES });
  const part = /\/parts\/(\d+)$/.exec(pathname);
  if (part && method === "PUT") {
    const size = (init?.body as Uint8Array | undefined)?.byteLength ?? 0;
    if (sinkBytesPerMs > 0) await new Promise((r) => setTimeout(r, size / sinkBytesPerMs));
    return json(200, { partNumber: Number(part[1]), etag: `etag-${part[1]}-${size}` });
  }
  if (pathname.endsWith("/complete")) {
    const req = JSON.parse(String(init?.body)) as { size: number; sha256: string };
    return json(200, { fileId: `fil_${randomUUID()}`, name: "bench.csv", size: req.size, sha256: req.sha256 });
  }
  if (method === "DELETE") return new Response(null, { status: 204 });
  return json(404, { title: "not found", status: 404, code: "not_found" });
};

const quiet: Logger = { ...silentLogger, error: consoleLogger.error };

const config = loadConfig({
  ...process.env,
  WORKER_URL: "http://discarding-worker.invalid",
  RELAY_TOKEN: "bench-discarding-worker-token-0123456789",
  SFTP_HOST: "127.0.0.1",
  SFTP_PORT: "0",
  MAX_FILE_BYTES: process.env.MAX_FILE_BYTES ?? String(8 * 1024 ** 3),
});
const hostKeys = loadOrCreateHostKeys(config.HOST_KEY_DIR);
const worker = new WorkerClient({
  baseUrl: config.WORKER_URL,
  token: config.RELAY_TOKEN,
  relayId: "bench-discard",
  fetch: discardingWorker as typeof fetch,
});
const server = new RelayServer({ config, hostKeys: hostKeys.keys, worker, log: quiet });
const address = await server.listen();
console.log(`listening ${address.port}`);

const stop = () => void server.shutdown().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

// BENCH_MEMLOG=1: where the memory goes (heap vs Buffers), once a second on stderr.
if (process.env.BENCH_MEMLOG === "1") {
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (x: number) => (x / 1e6).toFixed(0);
    console.error(
      `mem rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)}`,
    );
  }, 1000).unref();
}
