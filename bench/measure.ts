/** Measurement primitives: test files, timed puts with RSS sampling, interleaved login series, stats. */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type RssSampler, sampleRss } from "./proc.ts";
import { type SftpTarget, sftpLogin, sftpPut } from "./sftp.ts";

export const MiB = 1024 * 1024;
/** Throughput and memory are reported in decimal megabytes (10^6 bytes). */
export const MB = 1e6;

/**
 * A CSV-shaped file of `bytes` bytes (a header, then rows of random base64), so nothing along the
 * way could compress or deduplicate it. Content does not matter to SFTP or R2; the shape is for
 * whoever opens the file, and for an importer that would reject it at the header.
 */
export function makeCsvFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  try {
    let written = writeSync(fd, "bench_row,payload\n");
    while (written < bytes) {
      const text = randomBytes(3 * MiB)
        .toString("base64")
        .replace(/(.{98})/g, "$1\n");
      const chunk = Buffer.from(text).subarray(0, Math.min(4 * MiB, bytes - written));
      written += writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
}

export interface BenchKey {
  file: string;
  publicKey: string;
}

/** An ed25519 client key; sshd gets it in authorized_keys, the Worker's delivery gets it registered. */
export function makeKey(dir: string): BenchKey {
  const file = join(dir, "id_ed25519");
  const out = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "sluice-bench", "-f", file]);
  if (out.status !== 0) throw new Error(`ssh-keygen failed: ${out.stderr}`);
  return { file, publicKey: readFileSync(`${file}.pub`, "utf8") };
}

export interface PutSample {
  mbps: number;
  ms: number;
  /** Largest VmRSS sampled (every 100 ms) during this put, when a pid was given. */
  rssMb?: number;
}

/** One `sftp put`, timed from spawn to exit (connect, login, all WRITEs, CLOSE acknowledged). */
export async function timedPut(
  target: SftpTarget,
  key: BenchKey,
  dir: string,
  local: string,
  remote: string,
  bytes: number,
  rssPid?: number,
): Promise<PutSample> {
  const sampler = rssPid ? sampleRss(rssPid) : undefined;
  let rss: ReturnType<RssSampler["stop"]> | undefined;
  const run = await sftpPut(target, key.file, dir, local, remote).finally(() => {
    rss = sampler?.stop();
  });
  return { mbps: bytes / MB / (run.ms / 1000), ms: run.ms, ...(rss ? { rssMb: rss.peakMb } : {}) };
}

/** `n` logins against each target, interleaved (A B C A B C …) so noise hits all alike. */
export async function loginSeries(
  targets: Record<string, SftpTarget>,
  key: BenchKey,
  dir: string,
  n: number,
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const name of Object.keys(targets)) out[name] = [];
  for (let i = 0; i < n; i++) {
    for (const [name, target] of Object.entries(targets)) out[name]?.push(await sftpLogin(target, key.file, dir));
  }
  return out;
}

export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (xs: number[]) => percentile(xs, 50);
export const best = (xs: number[]) => Math.max(...xs);
export const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "—");
