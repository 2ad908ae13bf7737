import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import { generateUsable, loadOrCreateHostKeys } from "./host-keys.ts";

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

// What ssh2's generator returned on Deno once in ~300 ed25519 keys: the public key is 31 bytes
// (a leading zero dropped), and ssh2 refuses to load the private key it wrote.
const SHORT_ED25519 = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMgAAAAtz
c2gtZWQyNTUxOQAAAB/d9iB6+Z4HP6dfdX9SH7rS2pJB3meemwh0yEbiHUEsAAAA
iDFDTe4xQ03uAAAAC3NzaC1lZDI1NTE5AAAAH932IHr5ngc/p191f1IfutLakkHe
Z56bCHTIRuIdQSwAAAA/kEDDYLfcmP4j/d0NdFQJUlcjMb7/kf6nXN+Hsu+757zd
9iB6+Z4HP6dfdX9SH7rS2pJB3meemwh0yEbiHUEsAAAAAAECAwQFBgc=
-----END OPENSSH PRIVATE KEY-----
`;

describe("generateUsable", () => {
  it("generates again when the generator hands back a key ssh2 cannot load", () => {
    const good = ssh2.utils.generateKeyPairSync("ed25519");
    const pairs = [{ private: SHORT_ED25519, public: "short" }, good];
    let calls = 0;
    const pair = generateUsable(() => pairs[calls++] as typeof good);
    expect(calls).toBe(2);
    expect(pair).toBe(good);
  });

  it("gives up with a clear error rather than loop forever", () => {
    expect(() => generateUsable(() => ({ private: SHORT_ED25519, public: "short" }))).toThrow(
      "could not generate a usable host key",
    );
  });
});
