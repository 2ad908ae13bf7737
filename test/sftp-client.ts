import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SftpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs Debian's OpenSSH `sftp` in batch mode against the relay, with a password
 * (through sshpass) or a private key. Every command of `batch` must succeed
 * for a zero exit code.
 */
export function sftp(opts: {
  port: number;
  username: string;
  password?: string;
  identityFile?: string;
  batch: string[];
  cwd?: string;
  extraArgs?: string[];
  timeoutMs?: number;
}): Promise<SftpResult> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-sftp-"));
  const batchFile = join(dir, "batch");
  writeFileSync(batchFile, `${opts.batch.join("\n")}\n`);
  const sshArgs = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    `PreferredAuthentications=${opts.identityFile ? "publickey" : "password"}`,
    "-o",
    `BatchMode=${opts.identityFile ? "yes" : "no"}`,
    ...(opts.identityFile ? ["-o", "IdentitiesOnly=yes", "-i", opts.identityFile] : []),
    "-P",
    String(opts.port),
    ...(opts.extraArgs ?? []),
    "-b",
    batchFile,
    `${opts.username}@127.0.0.1`,
  ];
  const [cmd, args] = opts.password ? ["sshpass", ["-p", opts.password, "sftp", ...sshArgs]] : ["sftp", sshArgs];
  return new Promise((resolve) => {
    const child = spawn(cmd, args as string[], { cwd: opts.cwd ?? dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}
