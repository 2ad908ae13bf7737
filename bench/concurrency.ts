/**
 * Row 8: many sessions at once. `sessions` concurrent `sftp` puts of `mib` MiB each (different
 * files) through the bundled Node relay into local R2, against the floor: the same bytes as HTTP
 * uploads straight through the same Worker (e2e.ts `httpUpload`), 8 at a time (FLOOR_LANES). A delivery
 * allows 4 concurrent sessions, so there is one delivery per 4 sessions. Aggregate MB/s is the
 * bytes of the sessions that succeeded over the wall time from the first start to the last finish;
 * a failed session is named in the note rather than stopping the benchmark.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type BenchStack, httpUpload } from "./e2e.ts";
import { type BenchKey, fmt, MB, MiB, makeCsvFile } from "./measure.ts";
import { sampleRss } from "./proc.ts";
import type { Row } from "./report.ts";
import { sftpBatch } from "./sftp.ts";

export async function concurrencyRow(
  bench: BenchStack,
  relay: { port: number; pid: number },
  key: BenchKey,
  dir: string,
  sessions: number,
  mib: number,
): Promise<Row> {
  const deliveries: { username: string; password: string }[] = [];
  for (let i = 0; i < Math.ceil(sessions / 4); i++) deliveries.push(await bench.addDelivery());
  const owner = (i: number) => deliveries[Math.floor(i / 4)] as { username: string; password: string };
  const names = Array.from({ length: sessions }, (_, i) => `concurrent-${i}.csv`);
  for (const name of names) makeCsvFile(join(dir, name), mib * MiB);
  try {
    const sampler = sampleRss(relay.pid);
    const started = performance.now();
    let peakMb = 0;
    let runs: { code: number | null; stderr: string }[];
    try {
      // 25 ms apart: all uploads overlap, without every SSH handshake in the same instant.
      runs = await Promise.all(
        names.map(async (name, i) => {
          await new Promise((r) => setTimeout(r, i * 25));
          const target = { port: relay.port, user: owner(i).username, from: clientIp(i) };
          return sftpBatch(target, key.file, dir, [`put ${name} bench-${name}`]);
        }),
      );
    } finally {
      peakMb = sampler.stop().peakMb;
    }
    const failed = runs.filter((r) => r.code !== 0).length;
    const relayMbps = ((sessions - failed) * mib * MiB) / MB / ((performance.now() - started) / 1000);
    const floorStarted = performance.now();
    const floorErrors: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < sessions) {
        const i = next++;
        const name = names[i] as string;
        const body = readFileSync(join(dir, name));
        await httpUpload({ ...bench, ...owner(i) }, body, `bench-http-${name}`, clientIp(i)).then(
          () => floorErrors.push(""),
          (err: Error) => floorErrors.push(err.message.slice(0, 120)),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLOOR_LANES, sessions) }, lane));
    const floorFailed = floorErrors.filter((error) => error !== "").length;
    const floorMbps = ((sessions - floorFailed) * mib * MiB) / MB / ((performance.now() - floorStarted) / 1000);
    return {
      id: "8",
      measure: `${sessions} concurrent sessions × ${mib} MiB: sftp → relay (Node) → Worker → local R2 vs HTTP uploads, ${FLOOR_LANES} at a time`,
      ours: `${fmt(relayMbps)} MB/s`,
      baseline: `${fmt(floorMbps)} MB/s`,
      ratio: relayMbps / floorMbps,
      target: "—",
      met: null,
      note:
        `aggregate over all sessions, one rep; failed (not counted): ${failed} sftp` +
        firstError(runs.map((r) => (r.code === 0 ? "" : r.stderr.trim()))) +
        `, ${floorFailed} HTTP${firstError(floorErrors)}; ` +
        `relay peak RSS ${fmt(peakMb)} MB; ${deliveries.length} deliveries of 4 sessions`,
    };
  } finally {
    for (const name of names) rmSync(join(dir, name), { force: true });
  }
}

/**
 * The floor's uploads in flight at once. The relay sends at most 8 parts to the Worker at a time
 * (its keep-alive agent), whatever the number of sessions; 50 plain clients each sending a part at
 * once make local wrangler dev drop requests ("worker restarted mid-request"), which measures the
 * emulator, not the Worker. So the floor is the same bytes, 8 uploads at a time.
 */
const FLOOR_LANES = 8;

/**
 * Each session from its own loopback address, as separate clients are: the Worker admits at most
 * 10 logins in flight per address (its brute-force reservation), which is not what this row measures.
 */
const clientIp = (i: number) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

function firstError(errors: string[]): string {
  const first = errors.find((e) => e !== "");
  return first ? ` (first: ${first.replace(/\s+/g, " ")})` : "";
}
