import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeImport, type ImportMessage, MAX_ATTEMPTS } from "../../jobs/queue.ts";
import { errorsOf, peopleOf, receive, runOf, runToEnd, type Setup, setup } from "../../test/imports.ts";
import { advanceImport } from "./run-import.ts";

function bigFile(n: number) {
  const lines = ["Email,First Name,Last Name,Employee Number,Approver Email"];
  for (let i = 0; i < n; i++) {
    // Every 10th row approves the next block; every 97th row is invalid.
    const approver = i % 10 === 0 ? "" : `u${i - (i % 10)}@example.com`;
    lines.push(i % 97 === 5 ? `u${i}@example.com,,L${i},E${i},` : `u${i}@example.com,F${i},L${i},E${i},${approver}`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** The imported state without ids and times, to compare runs of the same file in different accounts. */
async function outcome(s: Setup, fileId: string) {
  const run = await runOf(fileId);
  const people = (await peopleOf(s.t.accountId)).filter((p) => !String(p.email).startsWith("admin-"));
  return { status: run.status, counts: run.counts, message: run.message, people, errors: await errorsOf(fileId) };
}

describe("import runs", () => {
  it("imports 1,000+ rows in tiny slices with continuation messages", { timeout: 60_000 }, async () => {
    const s = await setup();
    const fileId = await receive(s, "big.csv", bigFile(1200));
    const { invocations } = await runToEnd(s, fileId, { batchRows: 50, sliceRows: 200 });
    expect(invocations).toBeGreaterThan(10);
    const result = await outcome(s, fileId);
    expect(result.status).toBe("applied");
    // 13 rows lack a first name; one of them (row of u490) approves the next 9, which are skipped too:
    // their approver is neither a user nor created by the file.
    expect(result.counts).toMatchObject({ rows: 1200, created: 1200 - 22, skipped: 22 });
    const errors = await errorsOf(fileId);
    expect(errors.filter((e) => e.column === "Approver Email").map((e) => e.value)).toEqual(
      Array.from({ length: 9 }, () => "u490@example.com"),
    );
    expect(result.people.find((p) => p.email === "u1199@example.com")).toMatchObject({ approver: "u1190@example.com" });
  });

  it("finishes when a slice ends exactly on the file's last row", { timeout: 60_000 }, async () => {
    // The header and 1,999 rows are exactly one batch and one slice of 2,000 records.
    const s = await setup();
    const fileId = await receive(s, "users.csv", bigFile(1999));
    await runToEnd(s, fileId, { batchRows: 2000, sliceRows: 2000 });
    const run = await runOf(fileId);
    expect(run.status, run.message).toBe("applied");
    expect(run.counts.rows).toBe(1999);
  });

  it("ends an invocation on rows read from the file, or on its step cap", { timeout: 60_000 }, async () => {
    // 200 rows in steps of 20: the parse reads 80 rows per invocation; the apply ranges and the
    // other steps cost no rows, so only the step cap can end an invocation after it.
    const s = await setup();
    const generous = await receive(s, "a.csv", bigFile(200));
    const opts = { batchRows: 20, sliceRows: 80, maxSteps: 100 };
    const { invocations } = await runToEnd(s, generous, opts);
    expect(invocations).toBe(3);
    // The same as with one step per invocation.
    const control = await setup();
    const same = await receive(control, "a.csv", bigFile(200));
    await runToEnd(control, same, { batchRows: 20, sliceRows: 20 });
    const done = await outcome(s, generous);
    expect(done.status).toBe("applied");
    expect(done.people.length).toBeGreaterThan(190);
    expect(done).toEqual(await outcome(control, same));

    const other = await setup();
    const capped = await receive(other, "a.csv", bigFile(200));
    const few = await runToEnd(other, capped, { batchRows: 20, sliceRows: 80, maxSteps: 4 });
    expect((await runOf(capped)).status).toBe("applied");
    // Every invocation but the last commits exactly 4 steps (the parse's 4 batches are 80 records).
    const run = await runOf(capped);
    const steps = await env.DB.prepare("SELECT count(*) AS n FROM import_steps WHERE run_id = ?")
      .bind(run.id)
      .first<number>("n");
    expect(steps).toBeGreaterThan(30);
    expect(few.invocations).toBe(Math.ceil((steps as number) / 4));
  });

  it("commits a step only where there is something to write", async () => {
    // 20 rows and a header in steps of 10 records: 3 parse steps, 1 check, 2 apply ranges (the
    // second takes the last 10 rows exactly, with no empty range after it) and finish. An upsert
    // has nothing to decide or deactivate, and a file without Approver Email no approvers to resolve.
    const s = await setup();
    const lines = ["Email,First Name,Last Name"];
    for (let i = 0; i < 20; i++) lines.push(`s${i}@example.com,F${i},L${i}`);
    const fileId = await receive(s, "users.csv", `${lines.join("\n")}\n`);
    await runToEnd(s, fileId, { batchRows: 10, sliceRows: 1000 });
    const run = await runOf(fileId);
    expect(run.status).toBe("applied");
    expect(run.counts).toMatchObject({ rows: 20, created: 20 });
    const steps = await env.DB.prepare("SELECT count(*) AS n FROM import_steps WHERE run_id = ?")
      .bind(run.id)
      .first<{ n: number }>();
    expect(steps?.n).toBe(7);
    expect((await peopleOf(s.t.accountId)).filter((p) => String(p.email).startsWith("s"))).toHaveLength(20);
  });

  it("ends in the same state and report when a message is delivered twice", async () => {
    const s = await setup();
    const fileId = await receive(s, "users.csv", bigFile(120));
    const target = { accountId: s.t.accountId, fileId };
    await runToEnd(s, fileId, { batchRows: 25, sliceRows: 60 });
    const first = await outcome(s, fileId);
    expect(await advanceImport(s.deps, target, { batchRows: 25, sliceRows: 60 })).toBe("finished");
    expect(await outcome(s, fileId)).toEqual(first);
  });

  it("lets only one of two concurrent deliveries commit each step", async () => {
    const s = await setup();
    const fileId = await receive(s, "users.csv", bigFile(150));
    const target = { accountId: s.t.accountId, fileId };
    const opts = { batchRows: 20, sliceRows: 1000 };
    const results = await Promise.all([advanceImport(s.deps, target, opts), advanceImport(s.deps, target, opts)]);
    expect(results).toContain("finished");
    await runToEnd(s, fileId, opts);
    const clean = await setup();
    const cleanId = await receive(clean, "users.csv", bigFile(150));
    await runToEnd(clean, cleanId, opts);
    expect(await outcome(s, fileId)).toEqual(await outcome(clean, cleanId));
  });

  it("gives the same result as a clean run after a crash between slices", { timeout: 60_000 }, async () => {
    for (const crashAt of [2, 5, 9, 14]) {
      const crashed = await setup();
      const fileId = await receive(crashed, "users.csv", bigFile(100));
      const opts = { batchRows: 15, sliceRows: 1000 };
      await expect(
        advanceImport(
          crashed.deps,
          { accountId: crashed.t.accountId, fileId },
          {
            ...opts,
            afterCommit: (seq) => {
              if (seq === crashAt) throw new Error("simulated crash");
            },
          },
        ),
      ).rejects.toThrow("simulated crash");
      await runToEnd(crashed, fileId, opts);
      const clean = await setup();
      const cleanId = await receive(clean, "users.csv", bigFile(100));
      await runToEnd(clean, cleanId, opts);
      expect(await outcome(crashed, fileId)).toEqual(await outcome(clean, cleanId));
    }
  });
});

function fakeMessage(body: ImportMessage, attempts = 1) {
  const calls: { ack: number; retry: { delaySeconds?: number }[] } = { ack: 0, retry: [] };
  const message = {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts,
    ack: () => void calls.ack++,
    retry: (o?: { delaySeconds?: number }) => void calls.retry.push(o ?? {}),
  } as unknown as Message<ImportMessage>;
  return { message, calls };
}

describe("the import queue consumer", () => {
  it("enqueues a continuation while a file has more slices, then acknowledges", async () => {
    const s = await setup();
    const fileId = await receive(s, "users.csv", bigFile(30));
    const body: ImportMessage = { type: "import", accountId: s.t.accountId, fileId };
    const { message, calls } = fakeMessage(body);
    await consumeImport(s.deps, message, false, { batchRows: 5, sliceRows: 10 });
    expect(calls.ack).toBe(1);
    expect(s.sent).toEqual([body]);
    expect(await env.DB.prepare("SELECT status FROM received_files WHERE id = ?").bind(fileId).first("status")).toBe(
      "importing",
    );
  });

  it("retries a failing import with backoff and marks it failed after the last attempt", async () => {
    const s = await setup();
    const fileId = await receive(s, "users.csv", "Email\nzoe@example.com\n");
    const broken = {
      ...s.deps,
      bucket: { get: async () => Promise.reject(new Error("R2 is down")) } as unknown as R2Bucket,
    };
    const body: ImportMessage = { type: "import", accountId: s.t.accountId, fileId };
    const early = fakeMessage(body, 2);
    await consumeImport(broken, early.message, false);
    expect(early.calls.retry).toEqual([{ delaySeconds: 20 }]);
    expect((await runOf(fileId)).status).not.toBe("failed");
    const last = fakeMessage(body, MAX_ATTEMPTS);
    await consumeImport(broken, last.message, false);
    expect(last.calls.ack).toBe(1);
    const run = await runOf(fileId);
    expect(run.status).toBe("failed");
    expect(run.message).toMatch(/R2 is down/);
  });

  it("marks the run failed from the dead-letter queue, but never undoes a finished run", async () => {
    const s = await setup();
    const stuck = await receive(s, "a.csv", "Email\nzoe@example.com\n");
    const done = await receive(s, "b.csv", "Email\nsam@example.com\n");
    await runToEnd(s, done);
    for (const fileId of [stuck, done]) {
      const { message } = fakeMessage({ type: "import", accountId: s.t.accountId, fileId });
      await consumeImport(s.deps, message, true);
    }
    expect((await runOf(stuck)).status).toBe("failed");
    expect(await env.DB.prepare("SELECT status FROM received_files WHERE id = ?").bind(stuck).first("status")).toBe(
      "failed",
    );
    expect((await runOf(done)).status).toBe("applied");
  });

  it("ignores a message for another account's file", async () => {
    const s = await setup();
    const other = await setup();
    const fileId = await receive(other, "a.csv", "Email\nzoe@example.com\n");
    expect(await advanceImport(s.deps, { accountId: s.t.accountId, fileId })).toBe("missing");
  });
});
