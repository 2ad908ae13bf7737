/**
 * The real relay, in process, against an in-memory fake Worker, driven by Debian's OpenSSH `sftp`
 * (through sshpass) and by ssh2's own Client for public-key logins and PROXY protocol.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateHostKeys } from "./host-keys.ts";
import type { Logger } from "./log.ts";
import { RelayServer, type ServerConfig } from "./server.ts";
import { FakeWorker } from "./test-support/fake-worker.ts";
import { WorkerClient } from "./worker-client.ts";

const MiB = 1024 * 1024;
const PASSWORD = "s3cret-Password-for-alice";
// `npm test` installs these; a missing client must fail the suite, not skip it.
for (const bin of ["sftp", "sshpass"]) {
  if (spawnSync("which", [bin]).status !== 0)
    throw new Error(`${bin} is not installed (apt-get install openssh-client sshpass)`);
}

const dir = mkdtempSync(join(tmpdir(), "relay-e2e-"));
const hostKeys = loadOrCreateHostKeys(join(dir, "keys")).keys;
const userKey = ssh2.utils.generateKeyPairSync("ed25519");
const logLines: string[] = [];
const captureLog: Logger = {
  info: (msg, fields) => logLines.push(`${msg} ${JSON.stringify(fields)}`),
  warn: (msg, fields) => logLines.push(`${msg} ${JSON.stringify(fields)}`),
  error: (msg, fields) => logLines.push(`${msg} ${JSON.stringify(fields)}`),
};

const worker = new FakeWorker();
let relay: RelayServer;
let port = 0;

function config(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    SFTP_HOST: "127.0.0.1",
    SFTP_PORT: 0,
    MAX_FILE_BYTES: 512 * MiB,
    IDLE_TIMEOUT_MS: 60_000,
    LOGIN_GRACE_MS: 20_000,
    SHUTDOWN_GRACE_MS: 2000,
    PROXY_PROTOCOL: "off",
    WRITE_WINDOW_BYTES: 8 * MiB,
    MAX_BUFFER_BYTES: 256 * MiB,
    ...overrides,
  };
}

function startRelay(overrides: Partial<ServerConfig> = {}): RelayServer {
  const client = new WorkerClient({
    baseUrl: worker.url,
    token: worker.token,
    relayId: "relay-e2e",
    retryBaseMs: 10,
  });
  return new RelayServer({ config: config(overrides), hostKeys, worker: client, log: captureLog });
}

beforeAll(async () => {
  await worker.start();
  worker.users.set("alice", { password: PASSWORD });
  const publicBlob = userKey.public.split(" ")[1] as string;
  worker.users.set("bob", { publicKeys: [{ algorithm: "ssh-ed25519", data: publicBlob }] });
  relay = startRelay();
  port = (await relay.listen()).port;
});

afterAll(async () => {
  await relay?.shutdown();
  await worker.stop();
});

interface SftpRun {
  code: number | null;
  output: string;
}

function sftpArgs(batch: string[], user: string) {
  const batchFile = join(dir, `batch-${randomBytes(4).toString("hex")}`);
  writeFileSync(batchFile, `${batch.join("\n")}\n`);
  const opts = ["-o", "BatchMode=no", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
  return [...opts, "-o", "LogLevel=ERROR", "-P", String(port), "-b", batchFile, `${user}@127.0.0.1`];
}

/** Runs `sftp -b` through sshpass; resolves with its exit code and combined output. */
function sftp(batch: string[], options: { user?: string; password?: string } = {}): Promise<SftpRun> {
  const args = ["-p", options.password ?? PASSWORD, "sftp", ...sftpArgs(batch, options.user ?? "alice")];
  const child = spawn("sshpass", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d));
  child.stderr.on("data", (d: Buffer) => (output += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

function localFile(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("relay with OpenSSH sftp", () => {
  it("stores a 12 MiB put byte for byte, in equal 5 MiB parts and a short last one", async () => {
    const bytes = randomBytes(12 * MiB + 12345);
    const run = await sftp([`put ${localFile("big.csv", bytes)} big.csv`]);
    expect(run.code, run.output).toBe(0);
    const stored = worker.files.find((f) => f.name === "big.csv");
    expect(stored?.bytes.equals(bytes)).toBe(true);
    expect(stored?.sha256).toBe(sha256(bytes));
    expect(stored?.partSizes).toEqual([5 * MiB, 5 * MiB, 2 * MiB + 12345]);
  });

  it("accepts put -p (FSETSTAT of times and mode) and lists what was sent", async () => {
    const bytes = Buffer.from("Email,First Name\nx@example.com,X\n");
    const run = await sftp([`put -p ${localFile("kept.csv", bytes)} kept.csv`, "ls -l", "ls results"]);
    expect(run.code, run.output).toBe(0);
    expect(worker.files.find((f) => f.name === "kept.csv")?.bytes.equals(bytes)).toBe(true);
    expect(run.output).toMatch(/-rw-r--r-- +1 sftp +sftp +33 \w{3} [ \d]\d \d\d:\d\d kept\.csv/);
  });

  it("imports a file uploaded under a temp name once, under its final name, and renames it", async () => {
    const bytes = randomBytes(4096);
    const run = await sftp([
      `put ${localFile("t.bin", bytes)} users.csv.filepart`,
      "rename users.csv.filepart users.csv",
      "ls",
    ]);
    expect(run.code, run.output).toBe(0);
    const creates = worker.events.filter((e) => e.type === "create" && e.name.startsWith("users.csv"));
    expect(creates.map((e) => (e.type === "create" ? e.name : ""))).toEqual(["users.csv"]);
    expect(worker.files.filter((f) => f.name === "users.csv")).toHaveLength(1);
    const listing = run.output.slice(run.output.lastIndexOf("sftp> ls"));
    expect(listing).toContain("users.csv");
    expect(listing.replace("sftp> ls", "")).not.toContain("filepart");
  });

  it("refuses a file that is not a CSV, and the Worker never hears of it", async () => {
    const run = await sftp([`put ${localFile("notes.txt", Buffer.from("hi"))} notes.txt`]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain("Permission denied");
    expect(worker.events.some((e) => e.type === "create" && e.name === "notes.txt")).toBe(false);
  });

  it("refuses mkdir and rm with permission denied", async () => {
    expect((await sftp(["mkdir reports"])).output).toMatch(/mkdir.*Permission denied/);
    expect((await sftp(["rm kept.csv"])).output).toMatch(/Permission denied/);
  });

  it("refuses a wrong password and never logs a password", async () => {
    const run = await sftp(["ls"], { password: "wrong-password" });
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/Permission denied/);
    expect(worker.events.some((e) => e.type === "login" && e.username === "alice" && !e.ok)).toBe(true);
    const log = logLines.join("\n");
    expect(log).toContain("login refused");
    expect(log).not.toContain("wrong-password");
    expect(log).not.toContain(PASSWORD);
  });

  it("aborts the upload and never completes it when the client is killed mid-upload", async () => {
    worker.partDelayMs = 400;
    try {
      const bytes = randomBytes(24 * MiB);
      const args = ["-p", PASSWORD, "sftp", ...sftpArgs([`put ${localFile("cut.bin", bytes)} cut.csv`], "alice")];
      const child = spawn("sshpass", args, { stdio: "ignore", detached: true });
      const created = await worker.waitFor((e) => e.type === "create" && e.name === "cut.csv");
      const uploadId = created.type === "create" ? created.uploadId : "";
      await worker.waitFor((e) => e.type === "part" && e.uploadId === uploadId);
      process.kill(-(child.pid as number), "SIGKILL");
      await worker.waitFor((e) => e.type === "abort" && e.uploadId === uploadId);
      await new Promise((r) => setTimeout(r, 1000));
      expect(worker.events.some((e) => e.type === "complete" && e.uploadId === uploadId)).toBe(false);
      expect(worker.files.some((f) => f.name === "cut.csv")).toBe(false);
    } finally {
      worker.partDelayMs = 0;
    }
  });

  it("cuts off a banned address before any login is attempted", async () => {
    worker.bannedIps.add("127.0.0.1");
    try {
      const logins = worker.events.filter((e) => e.type === "login").length;
      const run = await sftp(["ls"]);
      expect(run.code).not.toBe(0);
      expect(worker.events.filter((e) => e.type === "login")).toHaveLength(logins);
    } finally {
      worker.bannedIps.delete("127.0.0.1");
    }
  });
});

/** Connects ssh2's Client; resolves once authenticated, rejects on failure. */
function sshConnect(options: ssh2.ConnectConfig): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("ready", () => resolve(client)).on("error", reject);
    client.connect({ host: "127.0.0.1", port, readyTimeout: 10_000, ...options });
  });
}

function sftpWrite(client: ssh2.Client, path: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.sftp((err, sftp) => {
      if (err) return reject(err);
      sftp.writeFile(path, bytes, (writeErr) => (writeErr ? reject(writeErr) : resolve()));
    });
  });
}

describe("relay with ssh2's Client", () => {
  it("logs in with a registered public key after checking its signature, and uploads", async () => {
    const client = await sshConnect({ username: "bob", privateKey: userKey.private });
    try {
      await sftpWrite(client, "/keyed.csv", Buffer.from("a,b\n1,2\n"));
      expect(worker.files.find((f) => f.name === "keyed.csv")?.bytes.toString()).toBe("a,b\n1,2\n");
      const login = worker.events.findLast((e) => e.type === "login" && e.username === "bob");
      expect(login).toMatchObject({ method: "publickey", ok: true });
    } finally {
      client.end();
    }
  });

  it("refuses a key the Worker does not know", async () => {
    const stranger = ssh2.utils.generateKeyPairSync("ed25519");
    await expect(sshConnect({ username: "bob", privateKey: stranger.private })).rejects.toThrow(/authentication/i);
  });

  it("refuses exec and shell: only the sftp subsystem is served", async () => {
    const client = await sshConnect({ username: "alice", password: PASSWORD });
    try {
      const execError = await new Promise<Error | undefined>((resolve) =>
        client.exec("md5sum x", (err) => resolve(err)),
      );
      expect(execError).toBeInstanceOf(Error);
      const shellError = await new Promise<Error | undefined>((resolve) => client.shell((err) => resolve(err)));
      expect(shellError).toBeInstanceOf(Error);
    } finally {
      client.end();
    }
  });

  it("uses the client address from a PROXY v1 header", async () => {
    const proxied = startRelay({ PROXY_PROTOCOL: "v1" });
    const { port: proxiedPort } = await proxied.listen();
    try {
      const sock = connect(proxiedPort, "127.0.0.1");
      await new Promise((r) => sock.once("connect", r));
      sock.write(`PROXY TCP4 203.0.113.9 127.0.0.1 40000 ${proxiedPort}\r\n`);
      const client = await sshConnect({ sock, username: "alice", password: PASSWORD });
      client.end();
      expect(worker.events.some((e) => e.type === "connection" && e.sourceIp === "203.0.113.9")).toBe(true);
      expect(worker.events.some((e) => e.type === "login" && e.sourceIp === "203.0.113.9" && e.ok)).toBe(true);
    } finally {
      await proxied.shutdown();
    }
  });

  it("on shutdown lets an open upload finish, then closes", async () => {
    const draining = startRelay({ SHUTDOWN_GRACE_MS: 10_000 });
    const { port: drainPort } = await draining.listen();
    const client = await sshConnect({ port: drainPort, username: "alice", password: PASSWORD });
    const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) =>
      client.sftp((err, s) => (err ? reject(err) : resolve(s))),
    );
    const handle = await new Promise<Buffer>((resolve, reject) =>
      sftp.open("/drain.csv", "w", (err, h) => (err ? reject(err) : resolve(h))),
    );
    const stopped = draining.shutdown();
    await new Promise((r) => setTimeout(r, 200));
    await new Promise<void>((resolve, reject) =>
      sftp.write(handle, Buffer.from("x,y\n"), 0, 4, 0, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) => sftp.close(handle, (err) => (err ? reject(err) : resolve())));
    await stopped;
    expect(worker.files.some((f) => f.name === "drain.csv")).toBe(true);
  });
});
