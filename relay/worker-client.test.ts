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
afterAll(() => worker.stop());

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
