import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelayError } from "./errors.ts";
import { FakeWorker } from "./test-support/fake-worker.ts";
import { WorkerClient } from "./worker-client.ts";

const worker = new FakeWorker();
worker.users.set("alice", { password: "correct horse" });
let client: WorkerClient;

beforeAll(async () => {
  await worker.start();
  client = new WorkerClient({
    baseUrl: worker.url,
    token: worker.token,
    relayId: "relay-test",
    retryBaseMs: 1,
  });
});
afterAll(async () => {
  client.close();
  await worker.stop();
});

async function loginAlice() {
  return client.login({
    username: "alice",
    method: "password",
    password: "correct horse",
    sourceIp: "10.0.0.1",
  });
}

describe("WorkerClient", () => {
  it("checks a connection and reports a banned address as not allowed", async () => {
    worker.bannedIps.add("10.9.9.9");
    expect(await client.checkConnection("10.0.0.1")).toBe(true);
    expect(await client.checkConnection("10.9.9.9")).toBe(false);
  });

  it("logs in and turns a refusal into login_refused with the status", async () => {
    expect((await loginAlice()).partBytes).toBe(worker.partBytes);
    const refused = await client
      .login({ username: "alice", method: "password", password: "nope", sourceIp: "10.0.0.1" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RelayError);
    expect(refused).toMatchObject({ code: "login_refused", status: 403, workerCode: "login_refused" });
  });

  it("runs a whole upload: create, part with a Content-Length, complete, list", async () => {
    const { session } = await loginAlice();
    const { uploadId } = await client.createUpload(session, "a.csv");
    const bytes = new TextEncoder().encode("email\nx@example.com\n");
    const part = await client.uploadPart(session, uploadId, 1, bytes);
    const { createHash } = await import("node:crypto");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const done = await client.completeUpload(session, uploadId, {
      size: bytes.length,
      sha256,
      parts: [part],
    });
    expect(done).toMatchObject({ name: "a.csv", size: bytes.length, sha256 });
    const { files } = await client.listFiles(session);
    expect(files.some((f) => f.name === "a.csv")).toBe(true);
  });

  it("retries a part on 503 and succeeds within the attempt budget", async () => {
    const { session } = await loginAlice();
    const { uploadId } = await client.createUpload(session, "b.csv");
    worker.failParts = 2;
    const part = await client.uploadPart(session, uploadId, 1, new Uint8Array([1, 2, 3]));
    expect(part.partNumber).toBe(1);
    const attempts = worker.events.filter((e) => e.type === "part" && e.uploadId === uploadId);
    expect(attempts.map((e) => (e.type === "part" ? e.status : 0))).toEqual([503, 503, 200]);
  });

  it("gives up on a part after four transient failures", async () => {
    let calls = 0;
    const faulty = new WorkerClient({
      baseUrl: worker.url,
      token: worker.token,
      relayId: "r",
      retryBaseMs: 1,
      inject: ({ op }) => {
        if (op !== "uploadPart") return undefined;
        calls++;
        return new Error("ECONNRESET");
      },
    });
    await expect(faulty.uploadPart("s", "u", 1, new Uint8Array(1))).rejects.toMatchObject({
      code: "worker_unavailable",
    });
    expect(calls).toBe(4);
  });

  it("retries a complete after a transient failure, but not after a 4xx", async () => {
    const { session } = await loginAlice();
    const { uploadId } = await client.createUpload(session, "c.csv");
    const bytes = new TextEncoder().encode("email\nc@example.com\n");
    const part = await client.uploadPart(session, uploadId, 1, bytes);
    const { createHash } = await import("node:crypto");
    const request = { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), parts: [part] };
    const seen: number[] = [];
    let failNext = true;
    const flaky = new WorkerClient({
      baseUrl: worker.url,
      token: worker.token,
      relayId: "r",
      retryBaseMs: 1,
      inject: ({ op, attempt }) => {
        if (op !== "completeUpload") return undefined;
        seen.push(attempt);
        if (!failNext) return undefined;
        failNext = false;
        return new Error("socket hang up");
      },
    });
    expect(await flaky.completeUpload(session, uploadId, request)).toMatchObject({ name: "c.csv" });
    expect(seen).toEqual([1, 2]);
    seen.length = 0;
    // The upload is completed now: the fake Worker answers 409, which is final.
    await expect(flaky.completeUpload(session, uploadId, request)).rejects.toMatchObject({
      code: "worker_rejected",
      status: 409,
    });
    expect(seen).toEqual([1]);
  });

  it("retries the connection check, create, abort and end of session on a transient failure, but never a login", async () => {
    const seen: string[] = [];
    const failing = new Set(["checkConnection", "login", "createUpload", "abortUpload", "endSession"]);
    const flaky = new WorkerClient({
      baseUrl: worker.url,
      token: worker.token,
      relayId: "r",
      retryBaseMs: 1,
      inject: ({ op }) => {
        seen.push(op);
        if (!failing.delete(op)) return undefined;
        return Response.json({ title: "Busy", status: 503, code: "unavailable" }, { status: 503 });
      },
    });
    expect(await flaky.checkConnection("10.0.0.1")).toBe(true);
    const login = { username: "alice", method: "password" as const, password: "correct horse", sourceIp: "10.0.0.1" };
    await expect(flaky.login(login)).rejects.toMatchObject({ code: "worker_unavailable" });
    const { session } = await flaky.login(login);
    const { uploadId } = await flaky.createUpload(session, "d.csv");
    await flaky.abortUpload(session, uploadId);
    await flaky.endSession(session);
    expect(seen).toEqual([
      "checkConnection",
      "checkConnection",
      "login",
      "login",
      "createUpload",
      "createUpload",
      "abortUpload",
      "abortUpload",
      "endSession",
      "endSession",
    ]);
  });

  it("does not retry a part the Worker rejects with a 4xx", async () => {
    let calls = 0;
    const strict = new WorkerClient({
      baseUrl: worker.url,
      token: worker.token,
      relayId: "r",
      inject: () => {
        calls++;
        return Response.json({ title: "Gone", status: 409, code: "upload_closed" }, { status: 409 });
      },
    });
    await expect(strict.uploadPart("s", "u", 1, new Uint8Array(1))).rejects.toMatchObject({
      code: "worker_rejected",
      status: 409,
      workerCode: "upload_closed",
    });
    expect(calls).toBe(1);
  });

  it("rejects an answer that does not match the contract", async () => {
    const odd = new WorkerClient({
      baseUrl: worker.url,
      token: worker.token,
      relayId: "r",
      inject: () => Response.json({ allowed: "yes" }),
    });
    await expect(odd.checkConnection("1.2.3.4")).rejects.toMatchObject({ code: "invalid_worker_response" });
  });

  it("treats a wrong relay token as a rejection, not a transient failure", async () => {
    const wrong = new WorkerClient({ baseUrl: worker.url, token: "x".repeat(40), relayId: "r" });
    await expect(wrong.checkConnection("1.2.3.4")).rejects.toMatchObject({
      code: "worker_rejected",
      status: 401,
    });
  });
});

/** A bare HTTP server answering part uploads as `answer` says; records what arrived. */
async function partServer(answer: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void) {
  const seen: { headers: IncomingMessage["headers"]; body: Buffer }[] = [];
  let connections = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    seen.push({ headers: req.headers, body });
    answer(req, body, res);
  });
  server.on("connection", () => connections++);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { url, seen, connections: () => connections, stop };
}

const etagFor = (req: IncomingMessage) => {
  const n = Number(/\/parts\/(\d+)$/.exec(req.url ?? "")?.[1]);
  return JSON.stringify({ partNumber: n, etag: `e${n}` });
};

describe("WorkerClient part uploads over node:http", () => {
  it("sends the bytes as is with Content-Length, token and session, and reuses one connection", async () => {
    const srv = await partServer((req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(etagFor(req));
    });
    const c = new WorkerClient({ baseUrl: `${srv.url}/`, token: "t".repeat(40), relayId: "r" });
    try {
      const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
      for (let n = 1; n <= 3; n++) {
        expect(await c.uploadPart("sess-1", "up/1", n, bytes.subarray(0, bytes.length - n))).toEqual({
          partNumber: n,
          etag: `e${n}`,
        });
      }
      expect(srv.seen).toHaveLength(3);
      const first = srv.seen[0];
      expect(first?.headers).toMatchObject({
        authorization: `Bearer ${"t".repeat(40)}`,
        "x-relay-session": "sess-1",
        "content-type": "application/octet-stream",
        "content-length": String(bytes.length - 1),
      });
      expect(first?.headers["transfer-encoding"]).toBeUndefined();
      expect(first?.body.equals(Buffer.from(bytes.subarray(0, bytes.length - 1)))).toBe(true);
      expect(srv.connections()).toBe(1); // keep-alive: parts share a connection
    } finally {
      c.close();
      await srv.stop();
    }
  });

  it("retries 5xx and 429 with backoff, then succeeds", async () => {
    const statuses = [502, 429];
    const srv = await partServer((req, _body, res) => {
      const status = statuses.shift();
      if (status) res.writeHead(status, { "content-type": "text/html" }).end("<h1>busy</h1>");
      else res.writeHead(200, { "content-type": "application/json" }).end(etagFor(req));
    });
    const c = new WorkerClient({ baseUrl: srv.url, token: "t".repeat(40), relayId: "r", retryBaseMs: 1 });
    try {
      expect(await c.uploadPart("s", "u", 7, new Uint8Array(10))).toEqual({ partNumber: 7, etag: "e7" });
      expect(srv.seen).toHaveLength(3);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  it("gives up after the attempt budget when the Worker cannot be reached", async () => {
    const srv = await partServer(() => undefined);
    await srv.stop(); // nothing listens on this port any more
    let attempts = 0;
    const c = new WorkerClient({
      baseUrl: srv.url,
      token: "t".repeat(40),
      relayId: "r",
      retryBaseMs: 1,
      partAttempts: 3,
      inject: ({ attempt }) => {
        attempts = attempt;
        return undefined;
      },
    });
    await expect(c.uploadPart("s", "u", 1, new Uint8Array(10))).rejects.toMatchObject({ code: "worker_unavailable" });
    expect(attempts).toBe(3);
    c.close();
  });

  it("times out a part whose answer does not come, and retries it", async () => {
    let calls = 0;
    const srv = await partServer((req, _body, res) => {
      if (++calls === 1) return; // never answers
      res.writeHead(200, { "content-type": "application/json" }).end(etagFor(req));
    });
    // Parts get four times timeoutMs: 200 ms here.
    const c = new WorkerClient({
      baseUrl: srv.url,
      token: "t".repeat(40),
      relayId: "r",
      retryBaseMs: 1,
      timeoutMs: 50,
    });
    try {
      expect(await c.uploadPart("s", "u", 2, new Uint8Array(10))).toEqual({ partNumber: 2, etag: "e2" });
      expect(calls).toBe(2);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  it("does not retry a 4xx, and keeps the Worker's problem code", async () => {
    const srv = await partServer((_req, _body, res) => {
      res
        .writeHead(409, { "content-type": "application/problem+json" })
        .end(JSON.stringify({ title: "Upload closed", status: 409, code: "upload_closed" }));
    });
    const c = new WorkerClient({ baseUrl: srv.url, token: "t".repeat(40), relayId: "r", retryBaseMs: 1 });
    try {
      await expect(c.uploadPart("s", "u", 1, new Uint8Array(10))).rejects.toMatchObject({
        code: "worker_rejected",
        status: 409,
        workerCode: "upload_closed",
        message: "uploadPart: Upload closed",
      });
      expect(srv.seen).toHaveLength(1);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  it("rejects a part answer that is not JSON or does not match the contract", async () => {
    const answers = ["not json", JSON.stringify({ partNumber: "1", etag: 5 })];
    const srv = await partServer((_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(answers.shift());
    });
    const c = new WorkerClient({ baseUrl: srv.url, token: "t".repeat(40), relayId: "r" });
    try {
      await expect(c.uploadPart("s", "u", 1, new Uint8Array(1))).rejects.toMatchObject({
        code: "invalid_worker_response",
        message: "uploadPart: response is not JSON",
      });
      await expect(c.uploadPart("s", "u", 1, new Uint8Array(1))).rejects.toMatchObject({
        code: "invalid_worker_response",
        message: "uploadPart: response does not match the contract",
      });
    } finally {
      c.close();
      await srv.stop();
    }
  });
});
