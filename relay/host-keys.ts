/**
 * SSH host keys: generated once on first start and reused afterwards, because a host key that
 * changes on every restart makes every client refuse to connect ("REMOTE HOST IDENTIFICATION HAS
 * CHANGED"). An ed25519 key for modern clients and an RSA 3072 key for older libssh2/PuTTY builds.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import "./no-sha1-host-key.ts";
import ssh2 from "ssh2";
import { RelayError } from "./errors.ts";

const KEYS = [
  { file: "ssh_host_ed25519_key", generate: () => ssh2.utils.generateKeyPairSync("ed25519") },
  { file: "ssh_host_rsa_key", generate: () => ssh2.utils.generateKeyPairSync("rsa", { bits: 3072 }) },
] as const;

export interface HostKeys {
  /** Private keys in OpenSSH format, as ssh2's Server `hostKeys` wants them. */
  keys: string[];
  /** `SHA256:...` fingerprints, for the startup log line and for admins to pin. */
  fingerprints: string[];
  /** True when at least one key was generated on this start. */
  generated: boolean;
}

/** Loads the host keys from `dir`, creating any that are missing with mode 0600. */
export function loadOrCreateHostKeys(dir: string): HostKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: string[] = [];
  const fingerprints: string[] = [];
  let generated = false;
  for (const spec of KEYS) {
    const path = join(dir, spec.file);
    if (!existsSync(path)) {
      const pair = generateUsable(spec.generate);
      // Write then rename, so a crash mid-write never leaves a truncated key that breaks later starts.
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, pair.private, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
      writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
      generated = true;
    }
    const text = readFileSync(path, "utf8");
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error || !parsed.isPrivateKey()) {
      throw new RelayError("invalid_config", `HOST_KEY_DIR: ${path} is not a usable private key`);
    }
    keys.push(text);
    fingerprints.push(fingerprint(parsed.getPublicSSH()));
  }
  return { keys, fingerprints, generated };
}

/**
 * A key pair whose private half ssh2 can read back. On Deno about one ed25519 key in 300 comes out
 * of ssh2's generator with its public key one byte short (a leading zero dropped), which ssh2 then
 * refuses to load: such a pair is generated again instead of being written.
 */
export function generateUsable(generate: () => { private: string; public: string }) {
  for (let attempt = 1; ; attempt++) {
    const pair = generate();
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && parsed.isPrivateKey()) return pair;
    if (attempt === 10) throw new RelayError("invalid_config", "could not generate a usable host key");
  }
}

function fingerprint(publicBlob: Buffer): string {
  const digest = createHash("sha256").update(publicBlob).digest("base64").replace(/=+$/, "");
  return `SHA256:${digest}`;
}
