import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { banPolicy } from "../domain/relay/bans.ts";
import { RELAY_LIMITS } from "../domain/relay/logins.ts";
import { type Call, call, newTenant, RELAY_TOKEN } from "../test/client.ts";

const relay = { authorization: `Bearer ${RELAY_TOKEN}` };

async function sha256(bytes: Uint8Array) {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function loggedIn(sourceIp = "198.51.100.20") {
  const t = await newTenant();
  const { delivery, credentials } = (
    await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } })
  ).body;
  const login = await call("POST", "/relay/v1/logins", {
    headers: relay,
    json: {
      username: credentials.username,
      method: "password",
      password: credentials.password,
      sourceIp,
      relayId: "t",
    },
  });
  expect(login.status).toBe(200);
  return { t, delivery, headers: { ...relay, "x-relay-session": login.body.session as string } };
}

function bytes(n: number, seed = 7) {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x & 0xff;
  }
  return out;
}

async function putPart(headers: Record<string, string>, uploadId: string, n: number, data: Uint8Array) {
  return call("PUT", `/relay/v1/uploads/${uploadId}/parts/${n}`, {
    headers: { ...headers, "content-length": String(data.byteLength) },
    body: data,
  });
}

describe("relay uploads into R2", () => {
  it("assembles parts into one object, records the file and lists it", async () => {
    const { t, delivery, headers } = await loggedIn();
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "Users Test.csv" } });
    expect(created.status).toBe(201);
    expect(created.body.partBytes).toBe(RELAY_LIMITS.partBytes);
    const data = bytes(RELAY_LIMITS.partBytes + 12345);
    const p1 = await putPart(headers, created.body.uploadId, 1, data.slice(0, RELAY_LIMITS.partBytes));
    const p2 = await putPart(headers, created.body.uploadId, 2, data.slice(RELAY_LIMITS.partBytes));
    expect(p1.status).toBe(200);
    expect(p2.status).toBe(200);
    const digest = await sha256(data);
    const done = await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: data.byteLength, sha256: digest, parts: [p2.body, p1.body] },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ name: "Users Test.csv", size: data.byteLength, sha256: digest });

    const file = await env.DB.prepare("select * from received_files where id = ?")
      .bind(done.body.fileId)
      .first<Record<string, unknown>>();
    expect(file).toMatchObject({
      delivery_id: delivery.id,
      is_test: 1,
      // The import consumer may already have picked the file up (these random bytes are rejected).
      status: expect.stringMatching(/^(queued|importing|rejected)$/),
      source_ip: "198.51.100.20",
      via: "sftp",
    });
    const object = await env.FILES.get(file?.r2_key as string);
    expect(await sha256(new Uint8Array(await object!.arrayBuffer()))).toBe(digest);

    // A retried complete answers the same file and records nothing twice.
    const again = await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: data.byteLength, sha256: digest, parts: [p1.body, p2.body] },
    });
    expect(again.body.fileId).toBe(done.body.fileId);
    const count = await env.DB.prepare("select count(*) as n from received_files where delivery_id = ?")
      .bind(delivery.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);

    const list = await call("GET", "/relay/v1/files", { headers });
    expect(list.body.files).toEqual([expect.objectContaining({ name: "Users Test.csv", size: data.byteLength })]);

    // Admins see the file and can download the original bytes; another account cannot.
    const files = await call("GET", `/api/v1/deliveries/${delivery.id}/files`, { headers: t.auth });
    expect(files.body).toEqual({
      files: [expect.objectContaining({ id: done.body.fileId, isTest: true, sha256: digest })],
      nextCursor: null,
    });
    const { SELF } = await import("cloudflare:test");
    const download = await SELF.fetch(`https://sluice.test/api/v1/files/${done.body.fileId}/content`, {
      headers: t.auth,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain('filename="Users Test.csv"');
    expect(await sha256(new Uint8Array(await download.arrayBuffer()))).toBe(digest);
    const other = await newTenant("Other");
    expect((await call("GET", `/api/v1/files/${done.body.fileId}/content`, { headers: other.auth })).status).toBe(404);
    expect((await call("GET", `/api/v1/files/${done.body.fileId}`, { headers: other.auth })).status).toBe(404);
  });

  it("records one file when two completes of the same upload arrive at once", async () => {
    const { delivery, headers } = await loggedIn();
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    const data = bytes(3000);
    const p1 = await putPart(headers, created.body.uploadId, 1, data);
    const digest = await sha256(data);
    const complete = () =>
      call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
        headers,
        json: { size: data.byteLength, sha256: digest, parts: [p1.body] },
      });
    // A relay retries a complete whose answer is slow: the retry must wait for the first, not
    // complete the R2 upload again and record the file twice.
    const [first, second] = await Promise.all([complete(), complete()]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.fileId).toBe(first.body.fileId);
    const count = await env.DB.prepare("select count(*) as n from received_files where delivery_id = ?")
      .bind(delivery.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
    const upload = await env.DB.prepare("select status, file_id from uploads where id = ?")
      .bind(created.body.uploadId)
      .first();
    expect(upload).toEqual({ status: "completed", file_id: first.body.fileId });
  });

  it("leaves an upload R2 refused to complete open, so the relay's abort still drops it", async () => {
    const { delivery, headers } = await loggedIn();
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    await putPart(headers, created.body.uploadId, 1, bytes(100));
    const refused = await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: 100, sha256: "0".repeat(64), parts: [{ partNumber: 1, etag: "not-the-etag" }] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/R2 refused to complete the upload/);
    const status = () =>
      env.DB.prepare("select status from uploads where id = ?").bind(created.body.uploadId).first("status");
    expect(await status()).toBe("open");
    expect((await call("DELETE", `/relay/v1/uploads/${created.body.uploadId}`, { headers })).status).toBe(204);
    expect(await status()).toBe("aborted");
    const count = await env.DB.prepare("select count(*) as n from received_files where delivery_id = ?")
      .bind(delivery.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("records nothing for an aborted upload", async () => {
    const { delivery, headers } = await loggedIn();
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    await putPart(headers, created.body.uploadId, 1, bytes(1000));
    expect((await call("DELETE", `/relay/v1/uploads/${created.body.uploadId}`, { headers })).status).toBe(204);
    const late = await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: 1000, sha256: "0".repeat(64), parts: [{ partNumber: 1, etag: "x" }] },
    });
    expect(late.status).toBe(409);
    const count = await env.DB.prepare("select count(*) as n from received_files where delivery_id = ?")
      .bind(delivery.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("refuses a size that does not match what R2 stored, and keeps nothing", async () => {
    const { delivery, headers } = await loggedIn();
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    const p1 = await putPart(headers, created.body.uploadId, 1, bytes(500));
    const res = await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: 501, sha256: "0".repeat(64), parts: [p1.body] },
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/500 bytes, not the 501/);
    const count = await env.DB.prepare("select count(*) as n from received_files where delivery_id = ?")
      .bind(delivery.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("refuses non-CSV names, oversized parts and foreign uploads", async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    const bad = await call("POST", "/relay/v1/uploads", { headers: a.headers, json: { name: "payroll.xlsx" } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toBe("only .csv files are accepted");
    const created = await call("POST", "/relay/v1/uploads", { headers: a.headers, json: { name: "users.csv" } });
    const big = await call("PUT", `/relay/v1/uploads/${created.body.uploadId}/parts/1`, {
      headers: { ...a.headers, "content-length": String(RELAY_LIMITS.partBytes + 1) },
      body: bytes(RELAY_LIMITS.partBytes + 1),
    });
    expect(big.status).toBe(413);
    expect((await putPart(b.headers, created.body.uploadId, 1, bytes(10))).status).toBe(404);
  });

  it("stops a session's uploads when the delivery is disabled or its credentials regenerated", async () => {
    const { t, delivery, headers } = await loggedIn();
    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth, json: { status: "disabled" } });
    expect((await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } })).status).toBe(403);
    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, { headers: t.auth, json: { status: "enabled" } });
    expect((await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 5));
    await call("POST", `/api/v1/deliveries/${delivery.id}/credentials`, { headers: t.auth });
    expect((await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } })).status).toBe(401);
  });

  it("refuses forged or missing sessions", async () => {
    const { headers } = await loggedIn();
    const [payload] = headers["x-relay-session"].split(".");
    const forged = { ...relay, "x-relay-session": `${payload}.${"0".repeat(64)}` };
    expect((await call("GET", "/relay/v1/files", { headers: forged })).status).toBe(401);
    expect((await call("GET", "/relay/v1/files", { headers: relay })).status).toBe(401);
  });
});

describe("concurrent sessions", () => {
  it("caps a delivery's sessions across relays and frees a slot when a session ends", async () => {
    const t = await newTenant();
    const { delivery, credentials } = (
      await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } })
    ).body;
    const login = (relayId: string) =>
      call("POST", "/relay/v1/logins", {
        headers: relay,
        json: {
          username: credentials.username,
          method: "password",
          password: credentials.password,
          sourceIp: "192.0.2.9",
          relayId,
        },
      });
    const sessions: string[] = [];
    for (let i = 0; i < RELAY_LIMITS.maxSessions; i++) {
      const res = await login(`relay-${i % 2}`);
      expect(res.status).toBe(200);
      expect(res.body.expiresAt).toBeGreaterThan(Date.now());
      sessions.push(res.body.session);
    }
    const over = await login("relay-0");
    expect(over.status).toBe(403);
    const reason = await env.DB.prepare(
      "select reason from login_attempts where delivery_id = ? order by created_at desc, rowid desc limit 1",
    )
      .bind(delivery.id)
      .first<{ reason: string }>();
    expect(reason?.reason).toBe(
      `too many concurrent sessions (${RELAY_LIMITS.maxSessions} of ${RELAY_LIMITS.maxSessions})`,
    );

    const ended = await call("DELETE", "/relay/v1/sessions/current", {
      headers: { ...relay, "x-relay-session": sessions[0] as string },
    });
    expect(ended.status).toBe(204);
    // An ended session can no longer be used.
    expect(
      (await call("GET", "/relay/v1/files", { headers: { ...relay, "x-relay-session": sessions[0] as string } }))
        .status,
    ).toBe(401);
    expect((await login("relay-1")).status).toBe(200);
  });
});

describe("brute-force defence", () => {
  it("bans an IP after repeated failures, before any password check, while other IPs still log in", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const attempt = (password: string, sourceIp: string) =>
      call("POST", "/relay/v1/logins", {
        headers: relay,
        json: { username: credentials.username, method: "password", password, sourceIp, relayId: "t" },
      });
    for (let i = 0; i < 10; i++) expect((await attempt("wrong", "192.0.2.66")).status).toBe(403);
    const check = await call("POST", "/relay/v1/connections", {
      headers: relay,
      json: { sourceIp: "192.0.2.66", relayId: "t" },
    });
    expect(check.body).toEqual({ allowed: false });
    // Even the right password is refused from the banned address, recorded as a ban.
    expect((await attempt(credentials.password, "192.0.2.66")).status).toBe(403);
    const last = await env.DB.prepare(
      "select reason from login_attempts where source_ip = '192.0.2.66' order by created_at desc, rowid desc limit 1",
    ).first<{ reason: string }>();
    expect(last?.reason).toMatch(/banned/);
    expect((await attempt(credentials.password, "192.0.2.67")).status).toBe(200);
    expect(
      (await call("POST", "/relay/v1/connections", { headers: relay, json: { sourceIp: "192.0.2.67", relayId: "t" } }))
        .body,
    ).toEqual({ allowed: true });
  });

  it("checks at most the threshold's passwords in a parallel burst, bans at the first level, and refuses the right password sent after", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const ip = "192.0.2.88";
    const attempt = (password: string) =>
      call("POST", "/relay/v1/logins", {
        headers: relay,
        json: { username: credentials.username, method: "password", password, sourceIp: ip, relayId: "t" },
      });
    const threshold = banPolicy.ipThreshold;
    const burst = 50;
    // Once `threshold` answers are back the ban is in force, whatever order the burst ran in:
    // each answer was either a counted wrong password or a refusal for the ban.
    let answered = 0;
    let right: Promise<Call> | undefined;
    const wrong = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        attempt(`wrong-${i}`).then((res) => {
          if (++answered === threshold) right = attempt(credentials.password);
          return res;
        }),
      ),
    );
    expect(wrong.map((r) => r.status)).toEqual(Array(burst).fill(403));
    expect((await right)?.status).toBe(403);

    const reasons = (
      await env.DB.prepare("select reason from login_attempts where source_ip = ?").bind(ip).all<{ reason: string }>()
    ).results.map((r) => r.reason);
    expect(reasons).toHaveLength(burst + 1);
    expect(reasons.filter((r) => r === "wrong password")).toHaveLength(threshold);
    expect(reasons.filter((r) => r === `${ip} is banned after repeated failed logins`)).toHaveLength(
      burst + 1 - threshold,
    );
    const ban = await env.DB.prepare("select level, banned_until from login_bans where subject = ?")
      .bind(`ip:${ip}`)
      .first<{ level: number; banned_until: number }>();
    expect(ban?.level).toBe(1);
    expect(ban?.banned_until).toBeGreaterThan(Date.now() + (banPolicy.durationsMs[0] as number) - 60_000);
    // Only the checked attempts counted against the username too.
    const user = await env.DB.prepare("select failures, level, banned_until from login_bans where subject = ?")
      .bind(`user:${credentials.username}`)
      .first();
    expect(user).toEqual({ failures: threshold, level: 0, banned_until: null });
  });

  it("bans the address and the username together when one attempt takes both to their thresholds", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const hosts = banPolicy.usernameThreshold / banPolicy.ipThreshold;
    for (let h = 1; h <= hosts; h++) {
      for (let i = 0; i < banPolicy.ipThreshold; i++) {
        await call("POST", "/relay/v1/logins", {
          headers: relay,
          json: {
            username: credentials.username,
            method: "password",
            password: "no",
            sourceIp: `192.0.2.${100 + h}`,
            relayId: "t",
          },
        });
      }
    }
    const rows = await env.DB.prepare(
      "select subject, level, failures from login_bans where subject in (?, ?) and banned_until > ? order by subject",
    )
      .bind(`ip:192.0.2.${100 + hosts}`, `user:${credentials.username}`, Date.now())
      .all();
    expect(rows.results).toEqual([
      { subject: `ip:192.0.2.${100 + hosts}`, level: 1, failures: 0 },
      { subject: `user:${credentials.username}`, level: 1, failures: 0 },
    ]);
  });

  it("does not count a right password, even one sent at the threshold, and bans on the next wrong one", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const ip = "192.0.2.89";
    const attempt = (password: string) =>
      call("POST", "/relay/v1/logins", {
        headers: relay,
        json: { username: credentials.username, method: "password", password, sourceIp: ip, relayId: "t" },
      });
    const allowed = async () =>
      (await call("POST", "/relay/v1/connections", { headers: relay, json: { sourceIp: ip, relayId: "t" } })).body;
    for (let i = 0; i < banPolicy.ipThreshold - 1; i++) expect((await attempt(`wrong-${i}`)).status).toBe(403);
    expect((await attempt(credentials.password)).status).toBe(200);
    expect((await attempt(credentials.password)).status).toBe(200);
    expect(await allowed()).toEqual({ allowed: true });
    expect((await attempt("wrong-last")).status).toBe(403);
    expect(await allowed()).toEqual({ allowed: false });
    expect((await attempt(credentials.password)).status).toBe(403);
    const row = await env.DB.prepare("select level from login_bans where subject = ?").bind(`ip:${ip}`).first();
    expect(row).toEqual({ level: 1 });
  });
});

describe("right credentials in parallel", () => {
  const banned = /banned after repeated failed logins/;
  const tooMany = /^too many concurrent sessions/;
  const rightLogin = (username: string, password: string, sourceIp: string) =>
    call("POST", "/relay/v1/logins", {
      headers: relay,
      json: { username, method: "password", password, sourceIp, relayId: "t" },
    });
  const outcomes = async (ip: string) =>
    (
      await env.DB.prepare("select outcome, reason from login_attempts where source_ip = ?")
        .bind(ip)
        .all<{ outcome: string; reason: string | null }>()
    ).results;
  const counters = async (subjects: string[]) =>
    (
      await env.DB.prepare(
        `select subject, failures, banned_until from login_bans where subject in (${subjects.map(() => "?").join(", ")})`,
      )
        .bind(...subjects)
        .all()
    ).results;

  it("logs in 50 right passwords sent at once from one address for several deliveries, and counts none of them", async () => {
    const t = await newTenant();
    const deliveries = await Promise.all(
      Array.from({ length: 13 }, async () => {
        const res = await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } });
        return res.body.credentials as { username: string; password: string };
      }),
    );
    const ip = "198.51.100.77";
    const burst = 50;
    const answers = await Promise.all(
      Array.from({ length: burst }, (_, i) => {
        const c = deliveries[i % deliveries.length] as { username: string; password: string };
        return rightLogin(c.username, c.password, ip);
      }),
    );
    const rows = await outcomes(ip);
    expect(rows).toHaveLength(burst);
    expect(rows.filter((r) => r.reason && banned.test(r.reason))).toEqual([]);
    // The only refusals are the per-delivery session cap (13 deliveries take 52 sessions, so normally none).
    expect(rows.filter((r) => r.outcome === "refused" && !tooMany.test(r.reason ?? ""))).toEqual([]);
    expect(answers.filter((a) => a.status === 200).length).toBe(rows.filter((r) => r.outcome === "granted").length);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(burst - 4);
    expect(
      await counters([`ip:${ip}`, ...deliveries.map((c) => `user:${c.username}`)]).then((r) =>
        r.filter((x) => x.failures !== 0 || x.banned_until !== null),
      ),
    ).toEqual([]);
    expect(
      (await call("POST", "/relay/v1/connections", { headers: relay, json: { sourceIp: ip, relayId: "t" } })).body,
    ).toEqual({ allowed: true });
  });

  it("logs in 20 right passwords sent at once for one username from one address, refusing only over the session cap", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const ip = "198.51.100.78";
    const burst = 20;
    // Each session ends as soon as it is granted, so a slot frees up for the next.
    const answers = await Promise.all(
      Array.from({ length: burst }, async () => {
        const res = await rightLogin(credentials.username, credentials.password, ip);
        if (res.status === 200)
          await call("DELETE", "/relay/v1/sessions/current", {
            headers: { ...relay, "x-relay-session": res.body.session as string },
          });
        return res.status;
      }),
    );
    const rows = await outcomes(ip);
    expect(rows).toHaveLength(burst);
    expect(rows.filter((r) => r.reason && banned.test(r.reason))).toEqual([]);
    expect(rows.filter((r) => r.outcome === "refused" && !tooMany.test(r.reason ?? ""))).toEqual([]);
    expect(answers.filter((s) => s === 200).length).toBeGreaterThanOrEqual(RELAY_LIMITS.maxSessions);
    expect(await counters([`ip:${ip}`, `user:${credentials.username}`])).toEqual([]);
    expect((await rightLogin(credentials.username, credentials.password, ip)).status).toBe(200);
  });

  it("lets right passwords through while wrong guesses under the threshold are in flight, and bans on the next wrong one", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const ip = "198.51.100.79";
    const wrong = banPolicy.ipThreshold - 1;
    const answers = await Promise.all([
      ...Array.from({ length: wrong }, (_, i) => rightLogin(credentials.username, `wrong-${i}`, ip)),
      ...Array.from({ length: RELAY_LIMITS.maxSessions }, () =>
        rightLogin(credentials.username, credentials.password, ip),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual([
      ...Array(wrong).fill(403),
      ...Array(RELAY_LIMITS.maxSessions).fill(200),
    ]);
    expect(await counters([`ip:${ip}`])).toEqual([{ subject: `ip:${ip}`, failures: wrong, banned_until: null }]);
    expect((await rightLogin(credentials.username, "wrong-last", ip)).status).toBe(403);
    expect((await rightLogin(credentials.username, credentials.password, ip)).status).toBe(403);
  });

  it("stops holding a place for an attempt whose check never finished", async () => {
    const t = await newTenant();
    const { credentials } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
      .body;
    const ip = "198.51.100.80";
    // As a Worker that died mid-check leaves them: admitted, never settled.
    const stale = Date.now() - banPolicy.inFlightMs - 1_000;
    for (let i = 0; i < banPolicy.ipThreshold; i++) {
      await env.DB.prepare(
        "insert into login_attempts (id, username, source_ip, method, outcome, reason, created_at) values (?, ?, ?, 'password', 'refused', 'login did not finish', ?)",
      )
        .bind(`att_stale_${i}`, credentials.username, ip, stale)
        .run();
    }
    const started = Date.now();
    expect((await rightLogin(credentials.username, credentials.password, ip)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(banPolicy.admissionWaitMs);
  });
});

describe("results over the relay", () => {
  it("lists and serves each finished file's report and errors, for this delivery only", {
    timeout: 30_000,
  }, async () => {
    const { t, headers } = await loggedIn();
    const csv = new TextEncoder().encode(
      "Email,First Name,Last Name,Role\nada@acme.example,Ada,Lovelace,Admin\nbad-email,Bob,B,Claimant\n",
    );
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    const p1 = await putPart(headers, created.body.uploadId, 1, csv);
    const done = await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: csv.byteLength, sha256: await sha256(csv), parts: [p1.body] },
    });
    for (let i = 0; i < 100; i++) {
      const file = await call("GET", `/api/v1/files/${done.body.fileId}`, { headers: t.auth });
      if (["applied", "rejected", "failed"].includes(file.body.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const list = await call("GET", "/relay/v1/results", { headers });
    expect(list.status).toBe(200);
    expect(list.body.files.map((f: { name: string }) => f.name)).toEqual([
      "users.csv.report.json",
      "users.csv.errors.csv",
    ]);
    const report = await call("GET", "/relay/v1/results/users.csv.report.json", { headers });
    expect(report.body).toMatchObject({
      fileId: done.body.fileId,
      status: "applied",
      counts: expect.objectContaining({ created: 1 }),
    });
    expect(list.body.files[0].size).toBe(
      new TextEncoder().encode(`${JSON.stringify(report.body, null, 2)}\n`).byteLength,
    );
    const errors = await call("GET", "/relay/v1/results/users.csv.errors.csv", { headers });
    expect(errors.body).toMatch(/^Row,Column,Reason,Value\r?\n3,Email,/);
    expect((await call("GET", "/relay/v1/results/other.csv.report.json", { headers })).status).toBe(404);
    // Another delivery's session sees none of it.
    const other = await loggedIn();
    expect((await call("GET", "/relay/v1/results", { headers: other.headers })).body.files).toEqual([]);
  });
});

describe("import summary emails", () => {
  it("emails the delivery's notification address a summary when the import finishes", { timeout: 30_000 }, async () => {
    const { t, delivery, headers } = await loggedIn();
    await call("PATCH", `/api/v1/deliveries/${delivery.id}`, {
      headers: t.auth,
      json: { notificationEmail: "hr-it@acme.example" },
    });
    const csv = new TextEncoder().encode("Email,First Name,Last Name\nada@acme.example,Ada,Lovelace\nbad,B,B\n");
    const created = await call("POST", "/relay/v1/uploads", { headers, json: { name: "users.csv" } });
    const p1 = await putPart(headers, created.body.uploadId, 1, csv);
    await call("POST", `/relay/v1/uploads/${created.body.uploadId}/complete`, {
      headers,
      json: { size: csv.byteLength, sha256: await sha256(csv), parts: [p1.body] },
    });
    let emails: { to: string; subject: string; kind: string; text: string; status: string }[] = [];
    for (let i = 0; i < 150 && !emails.some((e) => e.status === "sent"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      emails = (await call("GET", "/api/v1/outbox", { headers: t.auth })).body.emails;
    }
    expect(emails).toEqual([
      expect.objectContaining({
        to: "hr-it@acme.example",
        kind: "import_summary",
        subject: "Sluice: users.csv applied with 1 row error",
        status: "sent",
      }),
    ]);
    expect(emails[0]?.text).toMatch(/Rows: 2\. Created: 1\./);
    expect(emails[0]?.text).not.toContain("Ada");
  });
});
