import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../scripts/lib/stack.ts";
import { http, type Stack, startStack } from "./stack.ts";

/** The README's verification snippet, as a receiver would run it. */
function verifySluiceSignature(rawBody: string, header: string, secret: string, toleranceSeconds = 300) {
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  return parts.some(([k, v]) => {
    if (k !== "v1" || !v) return false;
    const given = Buffer.from(v, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

interface Hit {
  at: number;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A receiver that fails the first ping twice, then accepts everything. */
let receiver: Server;
let receiverUrl: string;
const hits: Hit[] = [];
let stack: Stack;

beforeAll(async () => {
  const port = await freePort();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      const pings = hits.filter((h) => h.headers["sluice-event-type"] === "ping").length;
      const status = req.headers["sluice-event-type"] === "ping" && pings < 2 ? 500 : 200;
      hits.push({ at: Date.now(), status, headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(port, "127.0.0.1", () => r()));
  receiverUrl = `http://127.0.0.1:${port}/sluice`;
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
  receiver?.close();
});

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("signed webhooks on the real stack (wrangler dev, a local node:http receiver)", () => {
  it("delivers signed events for a received and imported file, and retries a failing receiver", {
    timeout: 180_000,
  }, async () => {
    const base = stack.url;
    const password = "webhooks e2e admin password";
    await http(base, "POST", "/api/v1/setup", {
      json: {
        accountName: "Hooks Co",
        timeZone: "Europe/London",
        admin: { email: "admin@hooks.example", firstName: "A", lastName: "B", password },
      },
    });
    const login = await http(base, "POST", "/api/v1/sessions", { json: { email: "admin@hooks.example", password } });
    const session = {
      cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
      "x-csrf-token": login.body.csrfToken,
    };
    const created = await http(base, "POST", "/api/v1/webhooks", {
      headers: session,
      json: { url: receiverUrl, events: ["file.received", "import.applied", "import.rejected"] },
    });
    expect(created.status).toBe(201);
    const { id, secret } = created.body as { id: string; secret: string };

    // A ping the receiver fails twice: retried through the queue after 30 s and 1 min.
    expect((await http(base, "POST", `/api/v1/webhooks/${id}/test`, { headers: session })).status).toBe(202);

    const { delivery } = (
      await http(base, "POST", "/api/v1/deliveries", { headers: session, json: { kind: "user_sync" } })
    ).body;
    const upload = await fetch(`${base}/api/v1/deliveries/${delivery.id}/files?name=users.csv`, {
      method: "POST",
      headers: { ...session, "content-type": "text/csv" },
      body: "Email,First Name,Last Name\nzoe@hooks.example,Zoë,Müller\n",
    });
    expect(upload.status).toBe(202);
    const { file } = (await upload.json()) as { file: { id: string } };

    const applied = await until(
      "import.applied",
      () => hits.find((h) => h.headers["sluice-event-type"] === "import.applied"),
      60_000,
    );
    const receivedHit = hits.find((h) => h.headers["sluice-event-type"] === "file.received");
    for (const hit of [receivedHit, applied]) {
      expect(hit).toBeDefined();
      expect(verifySluiceSignature(hit?.body ?? "", String(hit?.headers["sluice-signature"]), secret)).toBe(true);
      expect(JSON.parse(hit?.body ?? "{}").data.fileId).toBe(file.id);
      expect(hit?.headers["sluice-event-id"]).toBe(JSON.parse(hit?.body ?? "{}").id);
    }
    expect(JSON.parse(applied.body).data.counts).toMatchObject({ rows: 1, created: 1 });
    expect(applied.body).not.toContain("zoe@hooks.example");

    const delivered = await until(
      "the third ping",
      () => (hits.filter((h) => h.headers["sluice-event-type"] === "ping").length >= 3 ? true : undefined),
      150_000,
    );
    expect(delivered).toBe(true);
    const pings = hits.filter((h) => h.headers["sluice-event-type"] === "ping");
    expect(pings.map((p) => p.status)).toEqual([500, 500, 200]);
    expect(new Set(pings.map((p) => p.body)).size).toBe(1);
    expect((pings[1]?.at ?? 0) - (pings[0]?.at ?? 0)).toBeGreaterThanOrEqual(25_000);
    for (const p of pings)
      expect(verifySluiceSignature(p.body, String(p.headers["sluice-signature"]), secret)).toBe(true);

    const log = await http(base, "GET", `/api/v1/webhooks/${id}/deliveries`, { headers: session });
    const ping = log.body.deliveries.find((d: { eventType: string }) => d.eventType === "ping");
    expect(ping).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 200 });
    expect(log.body.deliveries.filter((d: { status: string }) => d.status === "delivered")).toHaveLength(3);
  });
});
