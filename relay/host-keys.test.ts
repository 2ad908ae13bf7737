import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import { loadOrCreateHostKeys } from "./host-keys.ts";

describe("loadOrCreateHostKeys", () => {
  it("generates ed25519 and RSA 3072 keys with mode 0600 once and reuses them", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "relay-keys-")), "nested");
    const first = loadOrCreateHostKeys(dir);
    expect(first.generated).toBe(true);
    expect(first.keys).toHaveLength(2);

    const types = first.keys.map((k) => {
      const parsed = ssh2.utils.parseKey(k);
      if (parsed instanceof Error) throw parsed;
      return parsed.type;
    });
    expect(types).toEqual(["ssh-ed25519", "ssh-rsa"]);
    const rsa = ssh2.utils.parseKey(first.keys[1] as string);
    if (rsa instanceof Error) throw rsa;
    // 3072-bit modulus: 384 bytes, plus the sign byte in the SSH mpint.
    expect(rsa.getPublicSSH().length).toBeGreaterThan(384);

    for (const file of ["ssh_host_ed25519_key", "ssh_host_rsa_key"]) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }

    const second = loadOrCreateHostKeys(dir);
    expect(second.generated).toBe(false);
    expect(second.fingerprints).toEqual(first.fingerprints);
    expect(second.keys[0]).toBe(readFileSync(join(dir, "ssh_host_ed25519_key"), "utf8"));
    expect(first.fingerprints[0]).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
