/**
 * ssh-audit (Debian's) against the relay as deployed: what it offers on the wire, judged by an
 * independent tool. ssh2 would offer `ssh-rsa` (SHA-1) signatures for the RSA host key whatever
 * it is configured with; relay/no-sha1-host-key.ts removes them, and this test proves it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Started, startRelay } from "../scripts/lib/stack.ts";

let relay: (Started & { port: number }) | undefined;
let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-audit-"));
  const port = await freePort();
  // ssh-audit only negotiates keys and algorithms: no login reaches the Worker.
  const started = await startRelay({
    workerUrl: "http://127.0.0.1:9",
    relayToken: "t".repeat(40),
    port,
    hostKeyDir: join(dir, "keys"),
  });
  relay = { ...started, port };
});

afterAll(async () => {
  await relay?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("ssh-audit against the relay", () => {
  it("finds no failing algorithm, and offers ed25519 and SHA-2 RSA host keys only", () => {
    const run = spawnSync("ssh-audit", ["-n", "-p", String(relay?.port), "127.0.0.1"], { encoding: "utf8" });
    const out = run.stdout;
    expect(out).toMatch(/\(kex\) curve25519-sha256/);
    expect(out).toMatch(/\(key\) ssh-ed25519/);
    expect(out).toMatch(/\(key\) rsa-sha2-512/);
    expect(out).toMatch(/\(key\) rsa-sha2-256/);
    expect(out).not.toMatch(/\(key\) ssh-rsa /);
    const fails = out.split("\n").filter((line) => line.includes("[fail]"));
    expect(fails).toEqual([]);
    // Nothing weak offered at all: no CBC, SHA-1 MACs or key exchanges, NIST curves, or 3DES.
    expect(out).not.toMatch(/\((kex|enc|mac)\) \S*(cbc|sha1|nistp|3des|md5)/);
  });
});
