import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toBase64 } from "../domain/crypto/encoding.ts";
import { banPolicy } from "../domain/relay/bans.ts";
import { call, newTenant, OPERATOR_TOKEN, RELAY_TOKEN } from "../test/client.ts";

const relay = { authorization: `Bearer ${RELAY_TOKEN}` };

/** An OpenSSH ed25519 public key blob: string "ssh-ed25519", then the 32-byte key. */
function ed25519Line(seed: number, comment = "it@acme") {
  const name = new TextEncoder().encode("ssh-ed25519");
  const blob = new Uint8Array(4 + name.length + 4 + 32);
  const view = new DataView(blob.buffer);
  view.setUint32(0, name.length);
  blob.set(name, 4);
  view.setUint32(4 + name.length, 32);
  blob.fill(seed, 8 + name.length);
  return { line: `ssh-ed25519 ${toBase64(blob)} ${comment}`, data: toBase64(blob) };
}

async function tenantWithDelivery() {
  const t = await newTenant();
  const { delivery, credentials } = (
    await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "project_sync" } })
  ).body;
  return { t, delivery, credentials, base: `/api/v1/deliveries/${delivery.id}` };
}

describe("public-key logins", () => {
  it("registers a key, lets exactly that key log in, and stops it once removed", async () => {
    const { t, credentials, base } = await tenantWithDelivery();
    const key = ed25519Line(1);
    const added = await call("POST", `${base}/public-keys`, { headers: t.auth, json: { publicKey: key.line } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      algorithm: "ssh-ed25519",
      comment: "it@acme",
      fingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
    });
    expect((await call("POST", `${base}/public-keys`, { headers: t.auth, json: { publicKey: key.line } })).status).toBe(
      409,
    );

    const login = (data: string) =>
      call("POST", "/relay/v1/logins", {
        headers: relay,
        json: {
          username: credentials.username,
          method: "publickey",
          publicKey: { algorithm: "ssh-ed25519", data },
          sourceIp: "192.0.2.1",
          relayId: "t",
        },
      });
    expect((await login(key.data)).status).toBe(200);
    expect((await login(ed25519Line(2).data)).status).toBe(403);

    expect((await call("DELETE", `${base}/public-keys/${added.body.id}`, { headers: t.auth })).status).toBe(204);
    expect((await login(key.data)).status).toBe(403);
    expect((await call("GET", `${base}/public-keys`, { headers: t.auth })).body.publicKeys).toEqual([]);
  });

  it.each([
    ["garbage", /expected `<type> <base64>/],
    ["ssh-dss AAAAB3NzaC1kc3MAAACBAP", /ssh-dss is not accepted/],
    [`ssh-rsa ${ed25519Line(3).data}`, /not a ssh-rsa key/],
    ["ssh-ed25519 !!!notbase64", /not base64/],
  ])("refuses %j with a reason", async (line, reason) => {
    const { t, base } = await tenantWithDelivery();
    const res = await call("POST", `${base}/public-keys`, { headers: t.auth, json: { publicKey: line } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toEqual({ field: "publicKey", message: expect.stringMatching(reason) });
  });
});

describe("login attempts and bans for admins", () => {
  it("shows refused logins with their reasons, and lets an admin lift a ban", async () => {
    const { t, credentials, base } = await tenantWithDelivery();
    for (let i = 0; i < 10; i++) {
      await call("POST", "/relay/v1/logins", {
        headers: relay,
        json: {
          username: credentials.username,
          method: "password",
          password: `guess-${i}`,
          sourceIp: "203.0.113.99",
          relayId: "t",
        },
      });
    }
    const attempts = await call("GET", `${base}/login-attempts?outcome=refused&limit=5`, { headers: t.auth });
    expect(attempts.status).toBe(200);
    expect(attempts.body.loginAttempts).toHaveLength(5);
    expect(attempts.body.loginAttempts[0]).toMatchObject({
      sourceIp: "203.0.113.99",
      outcome: "refused",
      reason: "wrong password",
    });

    const bans = await call("GET", "/api/v1/login-bans", { headers: t.auth });
    expect(bans.body.bans).toEqual([expect.objectContaining({ subject: "ip:203.0.113.99", kind: "ip", level: 1 })]);

    const other = await newTenant("Other");
    expect((await call("GET", "/api/v1/login-bans", { headers: other.auth })).body.bans).toEqual([]);
    expect((await call("DELETE", "/api/v1/login-bans/ip%3A203.0.113.99", { headers: other.auth })).status).toBe(404);
    expect((await call("GET", `${base}/login-attempts`, { headers: other.auth })).status).toBe(404);

    expect((await call("DELETE", "/api/v1/login-bans/ip%3A203.0.113.99", { headers: t.auth })).status).toBe(204);
    const check = await call("POST", "/relay/v1/connections", {
      headers: relay,
      json: { sourceIp: "203.0.113.99", relayId: "t" },
    });
    expect(check.body).toEqual({ allowed: true });
    const login = await call("POST", "/relay/v1/logins", {
      headers: relay,
      json: {
        username: credentials.username,
        method: "password",
        password: credentials.password,
        sourceIp: "203.0.113.99",
        relayId: "t",
      },
    });
    expect(login.status).toBe(200);
  });
});

describe("audit trail", () => {
  it("lists configuration changes, reveals, regenerations and refused logins for this account only", async () => {
    const { t, credentials, base } = await tenantWithDelivery();
    await call("GET", `${base}/credentials`, { headers: t.auth });
    await call("POST", `${base}/credentials`, { headers: t.auth });
    await call("PATCH", base, { headers: t.auth, json: { name: "Renamed" } });
    await call("POST", "/relay/v1/logins", {
      headers: relay,
      json: {
        username: credentials.username,
        method: "password",
        password: "nope",
        sourceIp: "198.51.100.77",
        relayId: "relay-a",
      },
    });
    const res = await call("GET", "/api/v1/audit?limit=10", { headers: t.auth });
    expect(res.status).toBe(200);
    const actions = res.body.entries.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 4)).toEqual([
      "sftp.login_refused",
      "delivery.updated",
      "delivery.credentials_regenerated",
      "delivery.credentials_revealed",
    ]);
    expect(res.body.entries[0]).toMatchObject({
      actorType: "relay",
      actorId: "relay-a",
      detail: { reason: "wrong password", sourceIp: "198.51.100.77" },
    });
    expect(res.body.entries[1]).toMatchObject({ actorType: "api_key", detail: { fields: ["name"] } });
    const other = await newTenant("Other");
    const theirs = (await call("GET", "/api/v1/audit", { headers: other.auth })).body.entries;
    expect(theirs.some((e: { targetId: string }) => e.targetId === base.split("/").at(-1))).toBe(false);
  });
});

describe("who may lift a ban", () => {
  const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
  const guess = (username: string, sourceIp: string, password = "not-it") =>
    call("POST", "/relay/v1/logins", {
      headers: relay,
      json: { username, method: "password", password, sourceIp, relayId: "t" },
    });
  const allowed = async (sourceIp: string) =>
    (await call("POST", "/relay/v1/connections", { headers: relay, json: { sourceIp, relayId: "t" } })).body.allowed;
  const bansOf = async (auth: Record<string, string>) =>
    (await call("GET", "/api/v1/login-bans", { headers: auth })).body.bans as {
      subject: string;
      level: number;
      bannedUntil: number;
      liftable: boolean;
    }[];
  const lift = (auth: Record<string, string>, subject: string, path = "/api/v1/login-bans") =>
    call("DELETE", `${path}/${encodeURIComponent(subject)}`, { headers: auth });

  it("lets neither account lift an address ban earned on both accounts' deliveries, and lets the operator", async () => {
    const a = await tenantWithDelivery();
    const b = await tenantWithDelivery();
    const ip = "203.0.113.120";
    for (let i = 0; i < banPolicy.ipThreshold / 2; i++) {
      await guess(a.credentials.username, ip);
      await guess(b.credentials.username, ip);
    }
    expect(await allowed(ip)).toBe(false);

    for (const x of [a, b]) {
      const bans = await bansOf(x.t.auth);
      expect(bans).toEqual([expect.objectContaining({ subject: `ip:${ip}`, level: 1, liftable: false })]);
      const refused = await lift(x.t.auth, `ip:${ip}`);
      expect(refused.status).toBe(403);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(refused.body).toMatchObject({ code: "forbidden" });
      expect(refused.body.detail).toContain("also refused for other accounts");
      expect(refused.body.detail).toContain(new Date(bans[0]?.bannedUntil as number).toISOString());
    }
    expect(await allowed(ip)).toBe(false);

    // The operator route takes the operator token only.
    expect((await lift(a.t.auth, `ip:${ip}`, "/api/v1/operator/login-bans")).status).toBe(401);
    expect((await lift(operator, `ip:${ip}`, "/api/v1/operator/login-bans")).status).toBe(204);
    expect(await allowed(ip)).toBe(true);
    expect(await bansOf(a.t.auth)).toEqual([]);
    expect((await lift(operator, `ip:${ip}`, "/api/v1/operator/login-bans")).status).toBe(404);
    for (const x of [a, b]) {
      const entries = (await call("GET", "/api/v1/audit?limit=5", { headers: x.t.auth })).body.entries;
      expect(entries[0]).toMatchObject({ action: "login_ban.lifted", actorType: "operator", targetId: `ip:${ip}` });
    }
    const row = await env.DB.prepare("select level, banned_until from login_bans where subject = ?")
      .bind(`ip:${ip}`)
      .first();
    expect(row).toEqual({ level: 0, banned_until: null });
  });

  it("lets no account lift an address ban that guesses at unknown usernames helped earn", async () => {
    const a = await tenantWithDelivery();
    const ip = "203.0.113.121";
    for (let i = 0; i < banPolicy.ipThreshold - 1; i++) await guess(a.credentials.username, ip);
    await guess("nobody-by-this-name", ip);
    expect(await allowed(ip)).toBe(false);
    expect(await bansOf(a.t.auth)).toEqual([expect.objectContaining({ subject: `ip:${ip}`, liftable: false })]);
    expect((await lift(a.t.auth, `ip:${ip}`)).status).toBe(403);
    expect(await allowed(ip)).toBe(false);
  });

  it("lets an account lift an address ban earned on its deliveries alone, hidden from accounts that only saw it log in", async () => {
    const a = await tenantWithDelivery();
    const b = await tenantWithDelivery();
    const ip = "203.0.113.122";
    // B's IT team logs in from the address (right password, wrong delivery setting) before A's are guessed.
    expect((await guess(b.credentials.username, ip, b.credentials.password)).status).toBe(200);
    await call("PATCH", b.base, { headers: b.t.auth, json: { status: "disabled" } });
    expect((await guess(b.credentials.username, ip, b.credentials.password)).status).toBe(403);
    for (let i = 0; i < banPolicy.ipThreshold; i++) await guess(a.credentials.username, ip);
    expect(await allowed(ip)).toBe(false);

    expect(await bansOf(b.t.auth)).toEqual([]);
    expect((await lift(b.t.auth, `ip:${ip}`)).status).toBe(404);
    expect(await bansOf(a.t.auth)).toEqual([
      expect.objectContaining({ subject: `ip:${ip}`, level: 1, liftable: true }),
    ]);
    expect((await lift(a.t.auth, `ip:${ip}`)).status).toBe(204);
    expect(await allowed(ip)).toBe(true);

    // A second ban after the first ran out: lifting it takes back its own step up, not the earlier ban's.
    for (let i = 0; i < banPolicy.ipThreshold; i++) await guess(a.credentials.username, ip);
    const expired = Date.now() - banPolicy.windowMs - 1;
    await env.DB.prepare("update login_bans set banned_until = ?, window_started_at = ? where subject = ?")
      .bind(expired, expired, `ip:${ip}`)
      .run();
    for (let i = 0; i < banPolicy.ipThreshold; i++) await guess(a.credentials.username, ip);
    // (By now the username has reached its own threshold too.)
    expect((await bansOf(a.t.auth)).find((x) => x.subject === `ip:${ip}`)).toMatchObject({ level: 2, liftable: true });
    expect((await lift(a.t.auth, `ip:${ip}`)).status).toBe(204);
    const row = await env.DB.prepare("select level, banned_until from login_bans where subject = ?")
      .bind(`ip:${ip}`)
      .first();
    expect(row).toEqual({ level: 1, banned_until: null });
  });

  it("lets the owning account and the operator lift a username ban, and no other account", async () => {
    const a = await tenantWithDelivery();
    const b = await tenantWithDelivery();
    const subject = `user:${a.credentials.username}`;
    const guessFromEverywhere = async (round: number) => {
      for (let i = 0; i < banPolicy.usernameThreshold; i++)
        await guess(a.credentials.username, `198.18.${round}.${i + 1}`);
    };
    await guessFromEverywhere(1);
    expect(await bansOf(a.t.auth)).toEqual([expect.objectContaining({ subject, liftable: true })]);
    expect(await bansOf(b.t.auth)).toEqual([]);
    expect((await lift(b.t.auth, subject)).status).toBe(404);
    expect((await lift(a.t.auth, subject)).status).toBe(204);
    expect((await guess(a.credentials.username, "198.18.9.9", a.credentials.password)).status).toBe(200);

    await guessFromEverywhere(2);
    expect((await guess(a.credentials.username, "198.18.9.9", a.credentials.password)).status).toBe(403);
    expect((await lift(operator, subject, "/api/v1/operator/login-bans")).status).toBe(204);
    expect((await guess(a.credentials.username, "198.18.9.9", a.credentials.password)).status).toBe(200);
  });
});
