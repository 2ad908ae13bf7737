/**
 * The relay under load and under failure, on the real stack: OpenSSH `sftp` → relay (Node) →
 * fault proxy → `wrangler dev` (D1, R2, Queues). Every file is read back through the public API
 * and its SHA-256 compared with what the client sent.
 *
 * The guarantee these tests hold the relay to: a file is recorded only by a complete that the
 * Worker accepted, with every byte the client sent — never half a file, never a recorded file
 * whose bytes differ. A client told OK has its file recorded. A client told failure has nothing
 * recorded, except in one case no protocol can rule out: the Worker recorded the file and the
 * answer was lost on the way back (the relay died, or every retry of complete lost its answer).
 * That file is whole, and a re-send records it a second time, whole too.
 *
 * `npm run soak` (SLUICE_SOAK=1) runs the long variants: 20 kill trials, 50 sessions × 10 MiB.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type Delivery,
  MiB,
  peakRssDuring,
  type ReceivedFile,
  type RelayHarness,
  rssMb,
  SOAK,
  settle,
  startRelayHarness,
} from "./relay-harness.ts";
import { KILL_POINTS, type KillTrial, runKillTrial, seededRandom } from "./relay-kill.ts";
import type { Call } from "./worker-proxy.ts";

const MB = 1e6;
let h: RelayHarness;

/**
 * The relay-wide cap on part buffers, set low enough that the sessions below must take turns
 * (three 5 MiB parts at a time): clients whose WRITE replies are held while others finish.
 */
const MAX_BUFFER_BYTES = 15 * MiB;

beforeAll(async () => {
  h = await startRelayHarness({ relayEnv: { MAX_BUFFER_BYTES: String(MAX_BUFFER_BYTES) } });
}, 180_000);
afterAll(async () => {
  await h?.stop();
});

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

describe("many sessions at once", () => {
  const sessions = SOAK ? 50 : 10;
  const size = (SOAK ? 10 : 2) * MiB;

  it(`${sessions} concurrent sftp sessions each put a ${size / MiB} MiB file within a ${MAX_BUFFER_BYTES / MiB} MiB relay buffer cap: no errors, every file intact in R2`, async () => {
    // A delivery allows 4 concurrent sessions.
    const deliveries = await Promise.all(Array.from({ length: Math.ceil(sessions / 4) }, () => h.newDelivery()));
    const uploads = Array.from({ length: sessions }, (_, i) => {
      const name = `load-${i}.csv`;
      return {
        name,
        delivery: deliveries[Math.floor(i / 4)] as Delivery,
        sourceIp: `127.0.1.${i + 1}`,
        sha256: h.writeFile(name, size + i),
      };
    });
    const idleMb = rssMb(h.relayPid());
    const started = performance.now();
    const { result, peakMb } = await peakRssDuring(h.relayPid(), () =>
      // Clients 25 ms apart: the uploads all overlap, without 50 SSH handshakes in the same instant.
      // Each from its own address, as separate clients are: the Worker admits at most 10 logins
      // in flight per address (its brute-force reservation), which is not what this measures.
      Promise.all(
        uploads.map(async (u, i) => {
          await new Promise((r) => setTimeout(r, i * 25));
          return h.put(u.delivery, u.name, u.name, { timeoutMs: 600_000, sourceIp: u.sourceIp });
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const failed = result.filter((r) => r.code !== 0);
    if (failed.length > 0) {
      const problems = h
        .relay()
        .output()
        .split("\n")
        .filter((l) => / (warn|error) |refused/.test(l));
      console.log(`[load] relay log, problems only:\n${problems.join("\n")}`);
    }
    expect(failed).toEqual([]);
    const overlap = h.proxy.peakOpenUploads();

    const received = new Map<string, ReceivedFile>();
    for (const d of deliveries) for (const f of await h.files(d.id)) received.set(f.name, f);
    expect(received.size).toBe(sessions);
    const stored = await pool(uploads, 4, async (u) => {
      const file = received.get(u.name);
      const r2 = file ? await h.storedSha256(file.id) : undefined;
      return { want: [u.sha256, u.sourceIp], got: [file?.sha256, file?.sourceIp], r2: [r2, u.sourceIp] };
    });
    for (const s of stored) expect(s).toEqual({ want: s.want, got: s.want, r2: s.want });

    const bytes = uploads.reduce((n, _, i) => n + size + i, 0);
    // Local wrangler dev occasionally drops a request under this load (a 503 from its own proxy);
    // the relay retries those, so they are reported rather than failed on.
    const transient = h.proxy.calls.filter((c) => (c.workerStatus ?? 0) >= 500).map((c) => c.kind);
    const byKind = [...new Set(transient)].map((k) => `${k} ×${transient.filter((t) => t === k).length}`);
    console.log(
      `[load] ${sessions} sessions × ${size / MiB} MiB over ${deliveries.length} deliveries: ` +
        `${(bytes / MB).toFixed(0)} MB in ${seconds.toFixed(1)} s = ${(bytes / MB / seconds).toFixed(1)} MB/s aggregate; ` +
        `${overlap} uploads open at once at the peak; relay RSS ${idleMb.toFixed(0)} MB idle, ${peakMb.toFixed(0)} MB peak; ${h.proxy.callsOf("part").length} part PUTs for ${sessions * Math.ceil(size / (5 * MiB))} parts; ` +
        `Worker 5xx answers retried: ${byKind.join(", ") || "none"}`,
    );
    for (const u of uploads) h.removeFile(u.name);
  }, 900_000);
});

describe("relay SIGKILLed during an upload", () => {
  const seed = Number(process.env.SLUICE_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = seededRandom(seed);
  const maxMiB = SOAK ? 40 : 20;
  const trials: (KillTrial & { n: number })[] = Array.from({ length: SOAK ? 20 : 4 }, (_, i) => {
    const point = KILL_POINTS[i % KILL_POINTS.length] as KillTrial["point"];
    const size = Math.floor((3 + random() * (maxMiB - 3)) * MiB);
    // `part`: anywhere in the file's bytes; `random`: up to about as long as login and upload take
    // (the upload at ~30 MB/s), so most land before CLOSE is answered and some after.
    const at =
      point === "part" ? 1 + Math.floor(random() * (size - 1)) : Math.floor(200 + random() * (400 + size / 30_000));
    return { n: i + 1, point, size, at };
  });

  beforeAll(() => {
    console.log(`[kill] seed ${seed} (SLUICE_SEED=${seed} replays these trials)`);
  });

  it.each(trials)(
    "trial $n, kill at $point ($size bytes, at $at): no partial file, and a re-send after restart is stored whole",
    async (trial) => {
      const d = await h.newDelivery();
      const name = `kill-${trial.n}.csv`;
      const out = await runKillTrial(h, trial, d, name);
      const whole = { name, size: trial.size, sha256: out.sha256 };
      const seen = `client exit ${out.client.code}, worker completed ${out.workerCompleted}, files ${out.files.length}`;
      console.log(`[kill] trial ${trial.n} (${trial.point}): ${seen}, part uploads cut ${out.partsCut}`);

      // Never a partial or different file, whatever the Worker holds.
      for (const f of out.files) expect(f, seen).toMatchObject(whole);
      if (out.client.code === 0) {
        // Only a random kill can come after the client was told OK: then the file is there, once.
        expect(trial.point).toBe("random");
        expect(out.files, seen).toHaveLength(1);
      } else if (out.workerCompleted) {
        // The Worker recorded it before the relay could say so: the one ambiguous case.
        expect(out.files, seen).toHaveLength(1);
      } else {
        // Nothing recorded, and so nothing for an import to run on.
        expect(out.files, seen).toEqual([]);
      }
      if (trial.point === "part") {
        expect(out.client.code).not.toBe(0);
        expect(out.partsCut, seen).toBeGreaterThan(0);
        expect(h.proxy.callsOf("complete")).toEqual([]);
      }
      if (trial.point === "close")
        expect([out.client.code === 0, out.workerCompleted, out.files.length]).toEqual([false, false, 0]);
      if (trial.point === "completed")
        expect([out.client.code === 0, out.workerCompleted, out.files.length]).toEqual([false, true, 1]);
      for (const f of out.files) expect(await h.storedSha256(f.id)).toBe(out.sha256);

      await h.startRelay();
      const again = await h.put(d, name, name);
      h.removeFile(name);
      expect(again.stderr).toBe("");
      expect(again.code).toBe(0);
      const after = await h.files(d.id);
      expect(after).toHaveLength(out.files.length + 1);
      for (const f of after) {
        expect(f).toMatchObject(whole);
        expect(await h.storedSha256(f.id)).toBe(out.sha256);
      }
    },
    180_000,
  );
});

describe("relay against a failing Worker", () => {
  /** JSON calls time out after 2 s, part uploads after 8 s (four times as long). */
  const size = 20 * MiB + 12_345; // three parts: 8 + 8 + 4 MiB
  let d: Delivery;
  let sha: string;

  beforeAll(async () => {
    await h.stopRelay();
    await h.startRelay({ WORKER_TIMEOUT_MS: "2000" });
    sha = h.writeFile("twenty.csv", size);
  }, 120_000);
  beforeEach(async () => {
    h.proxy.reset();
    d = await h.newDelivery();
  });

  const uploadId = () => h.proxy.callsOf("create")[0]?.workerBody?.match(/"uploadId":"([^"]+)"/)?.[1] ?? "";
  const abortsAnswered = () =>
    settle(
      async () => h.proxy.callsOf("abort").filter((c) => c.workerStatus !== undefined),
      (calls) => calls.length > 0,
    );

  it("retries parts that meet 500s, a lost answer, a reset connection and (soak) a hung request, and stores the file intact", async () => {
    h.proxy.fail("part", { status: 500 }, 2, 1);
    h.proxy.fail("part", "lose-answer", 1, 2);
    h.proxy.fail("part", "reset", 1, 3);
    if (SOAK) h.proxy.fail("part", "hang", 1, 3);
    const res = await h.put(d, "twenty.csv", "retried.csv");
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);

    const parts = (n: number) => h.proxy.callsOf("part", uploadId()).filter((c) => c.partNumber === n);
    expect(parts(1).map((c) => c.relayStatus)).toEqual([500, 500, 200]);
    // The lost answer: the Worker stored the part, the relay never heard, timed out and sent it again.
    expect(parts(2).map((c) => [c.workerStatus, c.relayStatus])).toEqual([
      [200, undefined],
      [200, 200],
    ]);
    expect(parts(3).map((c) => c.workerStatus)).toEqual(SOAK ? [undefined, undefined, 200] : [undefined, 200]);
    expect(h.proxy.callsOf("abort")).toEqual([]);
    const files = await h.files(d.id);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ name: "retried.csv", size, sha256: sha });
    expect(await h.storedSha256(files[0]?.id ?? "")).toBe(sha);
  });

  it.each([
    ["a part the Worker keeps failing with 503", "part", { status: 503 }, 4],
    ["a part the Worker refuses with 409", "part", { status: 409 }, 1],
    ["a complete the Worker keeps failing with 500", "complete", { status: 500 }, 4],
    ["a complete the Worker refuses with 400", "complete", { status: 400 }, 1],
  ] as const)("fails the CLOSE on %s, aborts the upload and records nothing", async (_, kind, fault, attempts) => {
    h.proxy.fail(kind, fault, 10);
    const res = await h.put(d, "twenty.csv", "refused.csv");
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/close remote: Failure|Couldn't write/i);
    // Transient statuses use the whole attempt budget; a 4xx is final at once.
    expect(h.proxy.callsOf(kind, uploadId()).filter((c) => c.relayStatus === fault.status)).toHaveLength(attempts);
    if (kind === "part") expect(h.proxy.callsOf("complete")).toEqual([]);
    expect((await abortsAnswered()).map((c) => [c.uploadId, c.workerStatus])).toEqual([[uploadId(), 204]]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.files(d.id)).toEqual([]);
  });

  it("retries a connection check, an OPEN and an end of session that meet a 503: the put succeeds and the session is released", async () => {
    const endOfSession = (c: Call) =>
      c.method === "DELETE" && c.path === "/relay/v1/sessions/current" && c.session === h.proxy.sessionOf(d.id);
    const connectionCheck = (c: Call) => c.path === "/relay/v1/connections";
    h.proxy.fail(connectionCheck, { status: 503 }, 1);
    h.proxy.fail("create", { status: 503 }, 1);
    h.proxy.fail(endOfSession, { status: 503 }, 1);
    const res = await h.put(d, "twenty.csv", "reopened.csv");
    expect(res.code).toBe(0);
    expect(h.proxy.calls.filter(connectionCheck).map((c) => c.relayStatus)).toEqual([503, 200]);
    expect(h.proxy.callsOf("create").map((c) => c.relayStatus)).toEqual([503, 201]);
    const ends = await settle(
      async () => h.proxy.calls.filter(endOfSession),
      (calls) => calls.length >= 2 && calls.every((c) => c.relayStatus !== undefined),
    );
    expect(ends.map((c) => c.relayStatus)).toEqual([503, 204]);
    expect(await h.files(d.id)).toHaveLength(1);
  });

  it("retries a complete whose answer was lost and gets the same file back: one file, whole, client told OK", async () => {
    h.proxy.fail("complete", "lose-answer", 1);
    const res = await h.put(d, "twenty.csv", "lost-answer.csv");
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const completes = h.proxy.callsOf("complete", uploadId());
    expect(completes.map((c) => [c.workerStatus, c.relayStatus])).toEqual([
      [200, undefined],
      [200, 200],
    ]);
    const fileIds = completes.map((c) => JSON.parse(c.workerBody ?? "{}").fileId);
    expect(fileIds[1]).toBe(fileIds[0]);
    const files = await h.files(d.id);
    expect(files.map((f) => f.id)).toEqual([fileIds[0]]);
    expect(files[0]).toMatchObject({ name: "lost-answer.csv", size, sha256: sha });
    expect(await h.storedSha256(files[0]?.id ?? "")).toBe(sha);
  });

  it("retries a complete that never reached the Worker and records the file once", async () => {
    h.proxy.fail("complete", "hang", 1);
    const res = await h.put(d, "twenty.csv", "hung-complete.csv");
    expect(res.code).toBe(0);
    expect(h.proxy.callsOf("complete", uploadId()).map((c) => c.workerStatus)).toEqual([undefined, 200]);
    const files = await h.files(d.id);
    expect(files).toHaveLength(1);
    expect(await h.storedSha256(files[0]?.id ?? "")).toBe(sha);
  });

  // Soak only: the regular suite sees the same outcome in the `completed` kill trial.
  it.runIf(SOAK)(
    "when no answer to complete ever arrives, the client hears failure, and the file the Worker recorded is whole",
    async () => {
      h.proxy.fail("complete", "lose-answer", 10);
      const res = await h.put(d, "twenty.csv", "never-answered.csv");
      expect(res.code).not.toBe(0);
      const completes = h.proxy.callsOf("complete", uploadId());
      expect(completes.map((c) => [c.workerStatus, c.relayStatus])).toEqual(Array(4).fill([200, undefined]));
      // The relay aborts after the last try; the Worker ignores an abort of a completed upload.
      expect((await abortsAnswered()).map((c) => c.workerStatus)).toEqual([204]);
      const files = await h.files(d.id);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatchObject({ name: "never-answered.csv", size, sha256: sha });
      expect(await h.storedSha256(files[0]?.id ?? "")).toBe(sha);
    },
  );
});
