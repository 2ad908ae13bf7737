import { describe, expect, it } from "vitest";
import { SERVER_ALGORITHMS } from "./algorithms.ts";

const all = Object.values(SERVER_ALGORITHMS).flat() as string[];

describe("SERVER_ALGORITHMS", () => {
  it("offers nothing weak: no sha1, cbc, 3des, arcfour, md5 or dss", () => {
    for (const name of all) expect(name).not.toMatch(/sha1|cbc|3des|arcfour|md5|dss|nistp|ssh-rsa$/);
  });

  it("leaves out group exchange, which ssh2 cannot serve", () => {
    expect(SERVER_ALGORITHMS.kex.some((k) => k.includes("group-exchange"))).toBe(false);
  });

  it("keeps what curl/libssh2 1.10 needs: aes-ctr with non-ETM hmac-sha2-256 and curve25519", () => {
    expect(SERVER_ALGORITHMS.cipher).toContain("aes256-ctr");
    expect(SERVER_ALGORITHMS.hmac).toContain("hmac-sha2-256");
    expect(SERVER_ALGORITHMS.kex).toContain("curve25519-sha256@libssh.org");
  });
});
