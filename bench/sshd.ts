/**
 * The baseline: a private OpenSSH sshd on a loopback port with its own config, host key and
 * authorized_keys under a temp dir, serving internal-sftp into a directory on disk. Root logs in
 * with the benchmark's generated key, so nothing on the machine (users, /etc/ssh) is touched.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor } from "../scripts/lib/stack.ts";
import { stopChild } from "./proc.ts";

export const SSHD = "/usr/sbin/sshd";

export interface PrivateSshd {
  port: number;
  user: string;
  process: ChildProcess;
  /** Empties the upload directory (the page cache keeps what was written otherwise). */
  clearUploads: () => void;
  stop: () => Promise<void>;
}

/** The ciphers both sides are pinned to; the client picks one with `-c`. */
export const CIPHERS = "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com";

export async function startSshd(dir: string, publicKey: string): Promise<PrivateSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server`);
  if (process.getuid?.() !== 0) throw new Error("the private sshd baseline needs root (it logs in as root)");
  // sshd refuses to start without its privilege separation directory; Debian creates it at boot.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true });
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const keygen = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
  writeFileSync(join(dir, "authorized_keys"), publicKey, { mode: 0o600 });
  const port = await freePort();
  const cfg = join(dir, "sshd_config");
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The temp dir sits under world-writable /tmp, which StrictModes would refuse.
      "StrictModes no",
      "UseDNS no",
      "PrintMotd no",
      "Compression no",
      "MaxStartups 100:30:200",
      "LogLevel ERROR",
      `Ciphers ${CIPHERS}`,
      `Subsystem sftp internal-sftp -d ${data}`,
      "",
    ].join("\n"),
  );
  const check = spawnSync(SSHD, ["-t", "-f", cfg], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`sshd -t refused the config: ${check.stderr}`);
  const child = spawn(SSHD, ["-D", "-e", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d) => {
    log += d;
  });
  const stop = () => stopChild(child);
  try {
    const { connect } = await import("node:net");
    const banner = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("data", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
        setTimeout(() => {
          socket.destroy();
          resolve(false);
        }, 2000);
      });
    await waitFor(banner, "sshd", 20_000, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return {
    port,
    user: "root",
    process: child,
    clearUploads: () => {
      for (const name of readdirSync(data)) rmSync(join(data, name), { force: true });
    },
    stop,
  };
}
