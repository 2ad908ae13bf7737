/**
 * `npm run bench`: every pair measured side by side in one run, interleaved, and reported as a ratio
 * to its baseline (these machines are shared and noisy: absolute numbers move, ratios hold).
 * See bench/README.md for what each row means. Not a test: nothing here asserts a time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRelayBundles } from "./build.ts";
import { concurrencyRow } from "./concurrency.ts";
import { cronRow } from "./cron.ts";
import { httpUpload, startBenchRelay, startBenchStack, startBundledRelay } from "./e2e.ts";
import { importRows } from "./imports.ts";
import { loginSeries, MB, MiB, makeCsvFile, makeKey, timedPut } from "./measure.ts";
import { onStop, stopAll } from "./proc.ts";
import { startDiscardRelay } from "./relay-process.ts";
import { describeMachine, textTable, writeResults } from "./report.ts";
import { buildRows, type Results } from "./rows.ts";
import { CIPHER } from "./sftp.ts";
import { startSshd } from "./sshd.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const settings = {
  protocolMb: env("BENCH_MB", 512),
  e2eMb: env("BENCH_E2E_MB", 256),
  logins: env("BENCH_LOGINS", 20),
  reps: env("BENCH_REPS", 3),
  large: process.env.BENCH_LARGE === "1",
  largeMb: env("BENCH_LARGE_MB", 2048),
  sinkMbps: env("BENCH_SINK_MBPS", 50),
  deno: process.env.BENCH_SKIP_DENO !== "1",
};
/** The Worker refuses files over 512 MiB (RELAY_LIMITS.maxFileBytes). */
const WORKER_MAX_MB = 512;

const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function main(): Promise<void> {
  const machine = describeMachine();
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-"));
  onStop("temp dir", () => rmSync(dir, { recursive: true, force: true }));
  const key = makeKey(dir);
  const bundles = await buildRelayBundles();
  const rssMb = Math.min(settings.protocolMb, WORKER_MAX_MB);
  log(`writing test files (${settings.protocolMb} MiB, ${settings.e2eMb} MiB) under ${dir}`);
  makeCsvFile(join(dir, "warm.csv"), 16 * MiB);
  makeCsvFile(join(dir, "proto.csv"), settings.protocolMb * MiB);
  makeCsvFile(join(dir, "e2e.csv"), settings.e2eMb * MiB);
  if (rssMb !== settings.protocolMb) makeCsvFile(join(dir, "rss.csv"), rssMb * MiB);
  const results: Results = { settings, protocol: { relay: [], sshd: [] }, e2e: { node: [], deno: [], floor: [] } };

  // 1 — SFTP protocol layer: discarding relay vs private sshd → disk.
  const sshd = await startSshd(join(dir, "sshd"), key.publicKey);
  onStop("sshd", sshd.stop);
  const discardRelay = await startDiscardRelay(bundles.discardRelay, { hostKeyDir: join(dir, "discard-keys") });
  onStop("discarding relay", discardRelay.stop);
  const discard = { ...discardRelay, user: "bench" };
  for (const target of [sshd, discard]) await timedPut(target, key, dir, "warm.csv", "warm.csv", 16 * MiB);
  const protoBytes = settings.protocolMb * MiB;
  for (let rep = 1; rep <= settings.reps; rep++) {
    log(`protocol layer, rep ${rep}/${settings.reps}`);
    results.protocol.sshd.push(await timedPut(sshd, key, dir, "proto.csv", "bench.csv", protoBytes, sshd.process.pid));
    sshd.clearUploads();
    results.protocol.relay.push(await timedPut(discard, key, dir, "proto.csv", "bench.csv", protoBytes, discard.pid));
  }

  // 2, 3 — end to end into local R2: relay on Node and Deno vs the HTTP floor through the same Worker.
  log("starting wrangler dev and the relays");
  const bench = await startBenchStack(key.publicKey);
  onStop("worker", bench.stop);
  const node = await startBundledRelay(bench, bundles.relayMain);
  onStop("relay (node)", node.stop);
  const deno = settings.deno ? await startBenchRelay(bench, "deno") : undefined;
  if (deno) onStop("relay (deno)", deno.stop);
  const relayUser = (port: number) => ({ port, user: bench.username });
  for (const relay of deno ? [node, deno] : [node]) {
    await timedPut(relayUser(relay.port), key, dir, "warm.csv", "warm.csv", 16 * MiB);
  }
  const e2eBytes = settings.e2eMb * MiB;
  const e2eData = readFileSync(join(dir, "e2e.csv"));
  const pid = (r: { pid?: number; process?: { pid?: number } }) => (r.pid ?? r.process?.pid) as number;
  for (let rep = 1; rep <= settings.reps; rep++) {
    log(`end to end, rep ${rep}/${settings.reps}`);
    const put = (port: number, runtime: string, p: number) =>
      timedPut(relayUser(port), key, dir, "e2e.csv", `bench-${runtime}-${rep}.csv`, e2eBytes, p);
    results.e2e.node.push(await put(node.port, "node", pid(node)));
    if (deno) results.e2e.deno.push(await put(deno.port, "deno", pid(deno)));
    const ms = await httpUpload(bench, e2eData, `bench-http-${rep}.csv`);
    results.e2e.floor.push({ ms, mbps: e2eBytes / MB / (ms / 1000) });
  }

  // 4 — relay RSS during the big upload, through the Worker into R2.
  log(`relay RSS during a ${rssMb} MiB upload into R2`);
  const rssFile = rssMb === settings.protocolMb ? "proto.csv" : "rss.csv";
  results.rssE2e = await timedPut(relayUser(node.port), key, dir, rssFile, "bench-rss.csv", rssMb * MiB, pid(node));
  // The same upload through `tsx relay/main.ts` (npm run relay): what the loader adds.
  const tsx = await startBenchRelay(bench, "node");
  onStop("relay (tsx)", tsx.stop);
  await timedPut(relayUser(tsx.port), key, dir, "warm.csv", "warm-tsx.csv", 16 * MiB);
  results.rssE2eTsx = await timedPut(relayUser(tsx.port), key, dir, rssFile, "bench-tsx.csv", rssMb * MiB, pid(tsx));
  await tsx.stop();

  // 5 — login latency: connect + auth + first READDIR, all targets interleaved.
  log(`login latency, ${settings.logins} samples per target`);
  results.logins = await loginSeries(
    {
      sshd,
      discard,
      node: relayUser(node.port),
      ...(deno ? { deno: relayUser(deno.port) } : {}),
    },
    key,
    dir,
    settings.logins,
  );

  // 4b, 4c — BENCH_LARGE: flat memory, 512 MiB vs 2 GiB, sink throttled like local R2 (backpressure).
  if (settings.large) {
    log(`large: ${settings.largeMb} MiB through a relay whose sink takes ${settings.sinkMbps} MB/s`);
    await discard.stop(); // done with it; one relay process at a time
    makeCsvFile(join(dir, "large.csv"), settings.largeMb * MiB);
    const slowRelay = await startDiscardRelay(bundles.discardRelay, {
      hostKeyDir: join(dir, "discard-keys"),
      sinkMbps: settings.sinkMbps,
    });
    onStop("throttled relay", slowRelay.stop);
    const slow = { ...slowRelay, user: "bench" };
    results.large = {
      small: await timedPut(slow, key, dir, rssFile, "small.csv", rssMb * MiB, slow.pid),
      large: await timedPut(slow, key, dir, "large.csv", "large.csv", settings.largeMb * MiB, slow.pid),
    };
    rmSync(join(dir, "large.csv"), { force: true });
  }

  const rows = buildRows(results, rssMb);
  if (process.env.BENCH_SKIP_CONCURRENCY !== "1") {
    const [sessions, mib] = [env("BENCH_SESSIONS", 50), env("BENCH_SESSION_MB", 10)];
    log(`${sessions} concurrent sessions × ${mib} MiB, relay vs HTTP`);
    rows.push(await concurrencyRow(bench, node, key, dir, sessions, mib));
  }
  if (process.env.BENCH_SKIP_CRON !== "1") {
    log("frequency cron over 10,000 due deliveries");
    rows.push(await cronRow());
  }
  if (process.env.BENCH_SKIP_IMPORT !== "1") {
    log("User Sync import vs the raw-D1 floor");
    rows.push(...(await importRows()));
  }
  const settingsLine =
    `cipher ${CIPHER}; protocol file ${settings.protocolMb} MiB, e2e ${settings.e2eMb} MiB, ` +
    `${settings.reps} interleaved reps (best shown), ${settings.logins} logins per target`;
  const out = writeResults(rows, machine, settingsLine, results);
  console.log(`\n${textTable(rows, machine, settingsLine)}\n\nwritten to ${out}/latest.{json,md}`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything`);
    void stopAll().then(() => process.exit(130));
  });
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
