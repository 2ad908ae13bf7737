/**
 * The real stack — `wrangler dev` and the relay — taken through every moment a secret passes by:
 * admin sign-in with good and bad passwords, the operator creating an account, API and SCIM keys
 * created and used (and a made-up one refused), SFTP credentials generated, revealed and
 * regenerated, webhook secrets created and rotated, SFTP logins with good and bad passwords and
 * with a key, relay sessions. Then nothing either process printed may contain any of them.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Started, startRelay } from "../scripts/lib/stack.ts";
import { privateKeyLines, secretsInLogs } from "./log-secrets.ts";
import { sftp } from "./sftp-client.ts";
import { http, type Stack, startStack } from "./stack.ts";

const unique = (label: string) => `${label}-${randomBytes(12).toString("base64url")}`;

describe("secrets in the logs of the Worker and the relay", () => {
  let stack: Stack;
  let relay: Started;
  let port: number;

  beforeAll(async () => {
    stack = await startStack();
    port = await freePort();
    relay = await startRelay({
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

  it("prints no password, key, token, session or private key that passed through them", async () => {
    const secrets: Record<string, string | undefined> = {
      CREDENTIALS_KEY: stack.secrets.CREDENTIALS_KEY,
      RELAY_TOKEN: stack.secrets.RELAY_TOKEN,
      OPERATOR_TOKEN: stack.secrets.OPERATOR_TOKEN,
    };
    const call = (method: string, path: string, opts: { json?: unknown; headers?: Record<string, string> } = {}) =>
      http(stack.url, method, path, opts);

    // First-run setup, then sign-ins with wrong passwords and the right one.
    const email = "admin@logs.example";
    secrets["admin password"] = unique("admin");
    const setup = await call("POST", "/api/v1/setup", {
      json: {
        accountName: "Logs Ltd",
        timeZone: "UTC",
        admin: { email, firstName: "Lo", lastName: "Gs", password: secrets["admin password"] },
      },
    });
    expect(setup.status).toBe(201);
    for (const n of [1, 2, 3]) {
      secrets[`wrong admin password ${n}`] = unique("not-it");
      const bad = await call("POST", "/api/v1/sessions", {
        json: { email, password: secrets[`wrong admin password ${n}`] },
      });
      expect(bad.status).toBe(401);
    }
    const login = await call("POST", "/api/v1/sessions", { json: { email, password: secrets["admin password"] } });
    expect(login.status).toBe(201);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    secrets["session token"] = cookie.split("=")[1];
    secrets["CSRF token"] = login.body.csrfToken;
    const session = { cookie, "x-csrf-token": login.body.csrfToken as string };
    expect((await call("GET", "/api/v1/sessions/current", { headers: session })).status).toBe(200);
    expect(
      (await call("GET", "/api/v1/deliveries", { headers: { cookie: `sluice_session=${unique("forged")}` } })).status,
    ).toBe(401);

    // The operator adds an account; a wrong operator token is refused.
    secrets["second admin password"] = unique("second");
    const account = await call("POST", "/api/v1/accounts", {
      headers: { authorization: `Bearer ${secrets.OPERATOR_TOKEN}` },
      json: {
        accountName: "Other Ltd",
        timeZone: "UTC",
        admin: {
          email: "admin@other.example",
          firstName: "O",
          lastName: "T",
          password: secrets["second admin password"],
        },
      },
    });
    expect(account.status).toBe(201);
    secrets["wrong operator token"] = unique("operator");
    const notOperator = await call("POST", "/api/v1/accounts", {
      headers: { authorization: `Bearer ${secrets["wrong operator token"]}` },
      json: {},
    });
    expect(notOperator.status).toBe(401);

    // API and SCIM keys, created, used, and a made-up one refused.
    const apiKey = await call("POST", "/api/v1/api-keys", { headers: session, json: { name: "logs" } });
    const scimKey = await call("POST", "/api/v1/api-keys", {
      headers: session,
      json: { name: "idp", scopes: ["scim"] },
    });
    secrets["API key"] = apiKey.body.key;
    secrets["SCIM token"] = scimKey.body.key;
    const auth = { authorization: `Bearer ${secrets["API key"]}` };
    expect((await call("GET", "/api/v1/deliveries", { headers: auth })).status).toBe(200);
    const scimUsers = await call("GET", "/scim/v2/Users", {
      headers: { authorization: `Bearer ${secrets["SCIM token"]}` },
    });
    expect(scimUsers.status).toBe(200);
    secrets["made-up API key"] = `slk_${"a2".repeat(20)}`;
    const madeUp = await call("GET", "/api/v1/deliveries", {
      headers: { authorization: `Bearer ${secrets["made-up API key"]}` },
    });
    expect(madeUp.status).toBe(401);

    // SFTP credentials: generated, revealed, regenerated, revealed again.
    const created = await call("POST", "/api/v1/deliveries", { headers: auth, json: { kind: "user_sync" } });
    const deliveryId = created.body.delivery.id as string;
    const username = created.body.credentials.username as string;
    secrets["first SFTP password"] = created.body.credentials.password;
    const base = `/api/v1/deliveries/${deliveryId}`;
    expect((await call("GET", `${base}/credentials`, { headers: session })).body.password).toBe(
      secrets["first SFTP password"],
    );
    const regenerated = await call("POST", `${base}/credentials`, { headers: session });
    secrets["SFTP password"] = regenerated.body.password;
    expect((await call("GET", `${base}/credentials`, { headers: auth })).body.password).toBe(secrets["SFTP password"]);

    // Webhook signing secrets, created and rotated.
    const hook = await call("POST", "/api/v1/webhooks", {
      headers: auth,
      json: { url: "https://hooks.logs.example/sluice", events: ["delivery.overdue"] },
    });
    secrets["webhook secret"] = hook.body.secret;
    const rotated = await call("POST", `/api/v1/webhooks/${hook.body.id}/rotate-secret`, { headers: auth });
    secrets["rotated webhook secret"] = rotated.body.secret;

    // SFTP through the relay: the regenerated password, the old one, a wrong one, and a key.
    const dir = join(stack.dir, "client");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "users.csv"), "Email,First Name,Last Name\nada@logs.example,Ada,Lovelace\n");
    const good = await sftp({ port, username, password: secrets["SFTP password"], batch: ["put users.csv"], cwd: dir });
    expect(good.code).toBe(0);
    secrets["wrong SFTP password"] = unique("guess");
    for (const password of [secrets["first SFTP password"], secrets["wrong SFTP password"]] as string[]) {
      const refused = await sftp({ port, username, password, batch: ["ls"], cwd: dir });
      expect(refused.code).not.toBe(0);
    }
    const keyPath = join(dir, "id_ed25519");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "it@logs.example", "-f", keyPath]);
    const publicKey = spawnSync("cat", [`${keyPath}.pub`], { encoding: "utf8" }).stdout;
    expect((await call("POST", `${base}/public-keys`, { headers: auth, json: { publicKey } })).status).toBe(201);
    const byKey = await sftp({ port, username, identityFile: keyPath, batch: ["ls"], cwd: dir });
    expect(byKey.code).toBe(0);
    Object.assign(secrets, privateKeyLines(dir), privateKeyLines(join(stack.dir, "relay-keys")));

    // The relay's own API: a session used and ended, a tampered one and a wrong relay token refused.
    const relayAuth = { authorization: `Bearer ${secrets.RELAY_TOKEN}` };
    const relayLogin = await call("POST", "/relay/v1/logins", {
      headers: relayAuth,
      json: { username, method: "password", password: secrets["SFTP password"], sourceIp: "192.0.2.8", relayId: "t" },
    });
    expect(relayLogin.status).toBe(200);
    secrets["relay session"] = relayLogin.body.session;
    const relaySession = { ...relayAuth, "x-relay-session": relayLogin.body.session as string };
    expect((await call("GET", "/relay/v1/files", { headers: relaySession })).status).toBe(200);
    const tampered = `${relayLogin.body.session.slice(0, -4)}AAAA`;
    expect(
      (await call("GET", "/relay/v1/files", { headers: { ...relayAuth, "x-relay-session": tampered } })).status,
    ).toBe(401);
    expect((await call("DELETE", "/relay/v1/sessions/current", { headers: relaySession })).status).toBe(204);
    secrets["wrong relay token"] = unique("relay");
    const notRelay = await call("POST", "/relay/v1/connections", {
      headers: { authorization: `Bearer ${secrets["wrong relay token"]}` },
      json: { sourceIp: "192.0.2.8", relayId: "t" },
    });
    expect(notRelay.status).toBe(401);

    // Both processes did log all of this (so the search below searched something).
    const marker = `/api/v1/webhooks/${hook.body.id}/rotate-secret`;
    for (let i = 0; i < 100 && !stack.worker.output().includes("POST /relay/v1/connections 401"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const workerLog = stack.worker.output();
    const relayLog = relay.output();
    expect(workerLog).toContain(marker);
    expect(workerLog).toContain("/api/v1/sessions");
    expect(relayLog).toMatch(/ login .*method=password/);
    expect(relayLog).toMatch(/login refused/);
    expect(relayLog).toMatch(/ login .*method=publickey/);

    expect(secretsInLogs(workerLog, secrets), "in the Worker's log").toEqual([]);
    expect(secretsInLogs(relayLog, secrets), "in the relay's log").toEqual([]);
    console.log(
      `searched ${workerLog.length} bytes of Worker log and ${relayLog.length} of relay log for ${Object.keys(secrets).length} secrets`,
    );
  }, 240_000);
});
