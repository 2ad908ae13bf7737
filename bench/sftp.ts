/**
 * The one client every SFTP row uses: Debian's OpenSSH `sftp`, public-key login, one pinned cipher,
 * no user or system ssh_config (`-F /dev/null`), so relay and sshd see exactly the same client.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TimedRun, timed } from "./proc.ts";

export const CIPHER = process.env.BENCH_CIPHER ?? "aes128-gcm@openssh.com";

export interface SftpTarget {
  port: number;
  user: string;
  /** Local address to connect from (a loopback address such as 127.0.1.7); the default otherwise. */
  from?: string;
}

let batchCount = 0;

/** Runs `sftp -b` with these commands; resolves with exit code, wall time and output. */
export function sftpBatch(target: SftpTarget, keyFile: string, workDir: string, commands: string[]): Promise<TimedRun> {
  const batch = join(workDir, `batch-${++batchCount}`);
  writeFileSync(batch, `${commands.join("\n")}\n`);
  const args = [
    "-F",
    "/dev/null",
    "-i",
    keyFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "PreferredAuthentications=publickey",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "Compression=no",
    "-c",
    CIPHER,
    ...(target.from ? ["-o", `BindAddress=${target.from}`] : []),
    "-P",
    String(target.port),
    "-b",
    batch,
    `${target.user}@127.0.0.1`,
  ];
  return timed("sftp", args, { cwd: workDir, timeoutMs: 15 * 60_000 });
}

/** Uploads `localName` (in workDir) as `remoteName`; throws unless sftp reports success. */
export async function sftpPut(
  target: SftpTarget,
  keyFile: string,
  workDir: string,
  localName: string,
  remoteName: string,
): Promise<TimedRun> {
  const run = await sftpBatch(target, keyFile, workDir, [`put ${localName} ${remoteName}`]);
  if (run.code !== 0) throw new Error(`sftp put to port ${target.port} failed (${run.code}): ${run.stderr}`);
  return run;
}

/** Connect, authenticate, list the start directory (LSTAT, OPENDIR, READDIR, CLOSE), quit. */
export async function sftpLogin(target: SftpTarget, keyFile: string, workDir: string): Promise<number> {
  const run = await sftpBatch(target, keyFile, workDir, ["ls"]);
  if (run.code !== 0) throw new Error(`sftp ls on port ${target.port} failed (${run.code}): ${run.stderr}`);
  return run.ms;
}
