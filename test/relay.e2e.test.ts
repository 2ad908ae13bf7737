/**
 * The real stack — wrangler dev (D1, R2, Queues on disk) and the relay as a
 * separate process — driven by Debian's OpenSSH `sftp` and lftp, on Node and on
 * Deno. Every upload is read back through the API and compared byte for byte.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RelayRuntime, type Started, startRelay } from "../scripts/lib/stack.ts";
import { sftp } from "./sftp-client.ts";
import { http, type Stack, setUpAdmin, startStack } from "./stack.ts";

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe.each<RelayRuntime>(["node", "deno"])("SFTP through the relay on %s into R2", (runtime) => {
  let stack: Stack;
  let relay: Started;
  let port: number;
  let auth: Record<string, string>;
  let deliveryId: string;
  let username: string;
  let password: string;
  let dir: string;

  const api = (method: string, path: string, json?: unknown) => http(stack.url, method, path, { headers: auth, json });
  const files = async () =>
    (await api("GET", `/api/v1/deliveries/${deliveryId}/files?limit=200`)).body.files as {
      id: string;
      name: string;
      size: number;
      sha256: string;
      sourceIp: string;
    }[];
  const download = async (id: string) =>
    new Uint8Array(await (await fetch(`${stack.url}/api/v1/files/${id}/content`, { headers: auth })).arrayBuffer());
  const put = (batch: string[], pw = password) => sftp({ port, username, password: pw, batch, cwd: dir });

  beforeAll(async () => {
    stack = await startStack();
    dir = stack.dir;
    ({ auth } = await setUpAdmin(stack.url, {
      accountName: "Relay Co",
      email: "a@relay.example",
      firstName: "A",
      lastName: "B",
      password: "relay e2e admin password",
      keyName: "e2e",
    }));
    const created = await api("POST", "/api/v1/deliveries", { kind: "user_sync" });
    deliveryId = created.body.delivery.id;
    username = created.body.credentials.username;
    password = created.body.credentials.password;
    port = await freePort();
    relay = await startRelay({
      runtime,
      workerUrl: stack.url,
      relayToken: stack.secrets.RELAY_TOKEN as string,
      port,
      hostKeyDir: join(stack.dir, "relay-keys"),
    });
  }, 180_000);

  afterAll(async () => {
    await relay?.stop();
    await stack?.stop();
  });

  it("stores a 12 MiB put byte for byte, in R2, listed with its real size", async () => {
    const data = randomBytes(12 * MiB + 4321);
    writeFileSync(join(dir, "big.csv"), data);
    const res = await put(["put big.csv users-big.csv", "ls -l"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`${data.byteLength}.*users-big\\.csv`));
    const file = (await files()).find((f) => f.name === "users-big.csv");
    expect(file).toMatchObject({ size: data.byteLength, sha256: sha256(data), sourceIp: "127.0.0.1" });
    expect(sha256(await download(file!.id))).toBe(sha256(data));
  });

  it("accepts put -p and a temp-name upload renamed to its final name, recording that once", async () => {
    writeFileSync(join(dir, "small.csv"), "Email,First Name\nada@example.com,Ada\n");
    const res = await put([
      "put -p small.csv preserved.csv",
      "put small.csv final.csv.filepart",
      "rename final.csv.filepart final.csv",
      "ls",
    ]);
    expect(res.code).toBe(0);
    const names = (await files()).map((f) => f.name);
    expect(names.filter((n) => n === "preserved.csv")).toHaveLength(1);
    expect(names.filter((n) => n === "final.csv")).toHaveLength(1);
    expect(names.some((n) => n.includes("filepart"))).toBe(false);
  });

  it("serves each finished file's report and errors read-only under results/", async () => {
    writeFileSync(
      join(dir, "people.csv"),
      "Email,First Name,Last Name\nada@relay.example,Ada,Lovelace\nnot-an-email,Bob,B\n",
    );
    expect((await put(["put people.csv results-people.csv"])).code).toBe(0);
    const file = (await files()).find((f) => f.name === "results-people.csv");
    let status = "";
    for (let i = 0; i < 150 && !["applied", "rejected", "failed"].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await api("GET", `/api/v1/files/${file?.id}`)).body.status;
    }
    expect(status).toBe("applied");
    const res = await put([
      "ls -l results",
      "get results/results-people.csv.report.json report.json",
      "get results/results-people.csv.errors.csv errors.csv",
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("results-people.csv.report.json");
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(report).toMatchObject({
      fileId: file?.id,
      status: "applied",
      counts: expect.objectContaining({ created: 1 }),
    });
    expect(readFileSync(join(dir, "errors.csv"), "utf8")).toMatch(/^Row,Column,Reason,Value\r?\n3,Email,/);
    const denied = await put(["put people.csv results/sneaky.csv"]);
    expect(denied.code).not.toBe(0);
  });

  it("uploads with lftp", async () => {
    const data = randomBytes(300_000);
    writeFileSync(join(dir, "lftp.bin"), data);
    const res = spawnSync(
      "lftp",
      [
        "-c",
        `set sftp:auto-confirm yes; set net:max-retries 1; set sftp:connect-program "ssh -a -x -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"; open -u ${username},${password} -p ${port} sftp://127.0.0.1; put lftp.bin -o lftp-users.csv; bye`,
      ],
      { cwd: dir, timeout: 60_000, encoding: "utf8" },
    );
    expect(res.status).toBe(0);
    const file = (await files()).find((f) => f.name === "lftp-users.csv");
    expect(file?.sha256).toBe(sha256(data));
  });

  it("logs in with a registered public key", async () => {
    const keyPath = join(dir, `id_${runtime}`);
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyPath]);
    const added = await api("POST", `/api/v1/deliveries/${deliveryId}/public-keys`, {
      publicKey: readFileSync(`${keyPath}.pub`, "utf8"),
    });
    expect(added.status).toBe(201);
    writeFileSync(join(dir, "k.csv"), "Email\nk@example.com\n");
    const res = await sftp({ port, username, identityFile: keyPath, batch: ["put k.csv key-users.csv"], cwd: dir });
    expect(res.code).toBe(0);
    expect((await files()).some((f) => f.name === "key-users.csv")).toBe(true);
  });

  it("refuses non-CSV files and directory changes with clear statuses", async () => {
    writeFileSync(join(dir, "x.xlsx"), "nope");
    const xlsx = await put(["put x.xlsx payroll.xlsx"]);
    expect(xlsx.code).not.toBe(0);
    expect(xlsx.stderr).toMatch(/only \.csv files are accepted|Permission denied/i);
    const mkdir = await put(["mkdir somewhere"]);
    expect(mkdir.code).not.toBe(0);
  });

  it("records nothing when the connection dies mid-upload", async () => {
    writeFileSync(join(dir, "dies.csv"), randomBytes(64 * MiB));
    const batch = join(dir, "dies.batch");
    writeFileSync(batch, "put dies.csv dies.csv\n");
    const child = spawn(
      "sshpass",
      [
        "-p",
        password,
        "sftp",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=no",
        "-P",
        String(port),
        "-b",
        batch,
        `${username}@127.0.0.1`,
      ],
      { cwd: dir, stdio: "ignore" },
    );
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGKILL");
    spawnSync("pkill", ["-KILL", "-f", `${username}@127.0.0.1`]);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await files()).some((f) => f.name === "dies.csv")).toBe(false);
  });

  it("refuses a wrong password, a disallowed IP and a disabled delivery alike, recording distinct reasons", async () => {
    writeFileSync(join(dir, "r.csv"), "Email\n");
    const wrong = await put(["ls"], "wrong-password");
    await api("PATCH", `/api/v1/deliveries/${deliveryId}`, { allowedIps: ["203.0.113.0/24"] });
    const outside = await put(["ls"]);
    await api("PATCH", `/api/v1/deliveries/${deliveryId}`, { allowedIps: [], status: "disabled" });
    const disabled = await put(["ls"]);
    await api("PATCH", `/api/v1/deliveries/${deliveryId}`, { status: "enabled" });
    for (const r of [wrong, outside, disabled]) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
    }
    expect(new Set([wrong.stderr, outside.stderr, disabled.stderr]).size).toBe(1);
    const attempts = (await api("GET", `/api/v1/deliveries/${deliveryId}/login-attempts?outcome=refused&limit=20`)).body
      .loginAttempts as { reason: string }[];
    const reasons = attempts.map((a) => a.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(["wrong password", "127.0.0.1 not in allowed IPs", "delivery is disabled"]),
    );
    // Lift the ban these failures may be building up, so later runs start clean.
    await api("DELETE", `/api/v1/login-bans/${encodeURIComponent("ip:127.0.0.1")}`);
  });

  it("never writes a password, token or session to the relay's or the Worker's log", async () => {
    const logs = relay.output() + stack.worker.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [
      password,
      stack.secrets.RELAY_TOKEN,
      stack.secrets.CREDENTIALS_KEY,
      stack.secrets.OPERATOR_TOKEN,
    ]) {
      expect(logs).not.toContain(secret as string);
    }
    expect(logs).not.toMatch(/slk_[a-z2-9]{40}/);
  });

  it("refuses a banned address before any password check", async () => {
    for (let i = 0; i < 10; i++) await put(["ls"], `wrong-${i}`);
    const before = (await api("GET", `/api/v1/deliveries/${deliveryId}/login-attempts?limit=500`)).body.loginAttempts
      .length;
    const res = await put(["ls"]);
    expect(res.code).not.toBe(0);
    const after = (await api("GET", `/api/v1/deliveries/${deliveryId}/login-attempts?limit=500`)).body.loginAttempts
      .length;
    // The relay asked only whether the address is banned: no login was attempted at all.
    expect(after).toBe(before);
    const bans = (await api("GET", "/api/v1/login-bans")).body.bans;
    expect(bans).toEqual(expect.arrayContaining([expect.objectContaining({ subject: "ip:127.0.0.1" })]));
    expect((await api("DELETE", `/api/v1/login-bans/${encodeURIComponent("ip:127.0.0.1")}`)).status).toBe(204);
    expect((await put(["ls"])).code).toBe(0);
  });
});
