import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import { privateKeyLines, secretsInLogs } from "./log-secrets.ts";

describe("secretsInLogs", () => {
  it("finds a known value, and any credential by its shape, but not a secret's neighbours", () => {
    const log = "info login user=sluice-abc ip=127.0.0.1\nwarn oops password=hunter2-long-enough\n";
    expect(secretsInLogs(log, { password: "hunter2-long-enough" })).toEqual([
      'password hunt…(19 chars) after: "warn oops password="',
    ]);
    expect(secretsInLogs(log, { password: "hunter3-long-enough" })).toEqual([]);
    expect(secretsInLogs(`key=slk_${"ab".repeat(20)}`, {})).toEqual([expect.stringMatching(/^an API key slk_/)]);
    expect(secretsInLogs(`s=eyJzaWQiOiJyc3NfMTIzIiwiZGVsaXZlcnlJZCI6ImRsdl8x.sig`, {})).toHaveLength(1);
    expect(secretsInLogs("whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", {})).toHaveLength(1);
    expect(secretsInLogs("-----BEGIN OPENSSH PRIVATE KEY-----", {})).toHaveLength(1);
  });

  it("counts a missing value as a mistake rather than a pass", () => {
    expect(secretsInLogs("anything", { token: undefined, short: "abc" })).toHaveLength(2);
  });

  it("reads the body lines of private keys and nothing from public keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-keys-"));
    try {
      const pair = ssh2.utils.generateKeyPairSync("ed25519");
      writeFileSync(join(dir, "id"), pair.private);
      writeFileSync(join(dir, "id.pub"), pair.public);
      const lines = Object.values(privateKeyLines(dir));
      expect(lines.length).toBeGreaterThan(2);
      for (const line of lines) expect(pair.private).toContain(line);
      expect(secretsInLogs(`x ${lines[2]} y`, privateKeyLines(dir))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
