import { describe, expect, it } from "vitest";
import { toBase64 } from "../domain/crypto/encoding.ts";
import { call, newTenant, RELAY_TOKEN } from "../test/client.ts";

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
