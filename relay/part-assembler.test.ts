import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { MemoryBudget } from "./memory-budget.ts";
import { PartAssembler } from "./part-assembler.ts";
import { FIRST_CAPACITY } from "./part-buffer.ts";
import type { UploadedPart, UploadSink } from "./upload-sink.ts";

/** An in-memory sink. With `manual`, part uploads wait until the test releases them. */
class MemorySink implements UploadSink<{ size: number; sha256: string }> {
  parts = new Map<number, Buffer>();
  completed: { size: number; sha256: string; parts: UploadedPart[] } | undefined;
  aborted = 0;
  inFlight = 0;
  maxInFlight = 0;
  failPart: number | undefined;
  failComplete = false;
  private waiting: (() => void)[] = [];
  private readonly manual: boolean;

  constructor(manual = false) {
    this.manual = manual;
  }

  async uploadPart(partNumber: number, bytes: Uint8Array): Promise<UploadedPart> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.manual) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else await Promise.resolve();
    this.inFlight--;
    if (partNumber === this.failPart) throw new Error("R2 exploded");
    this.parts.set(partNumber, Buffer.from(bytes));
    return { partNumber, etag: `e${partNumber}` };
  }

  async complete(size: number, sha256: string, parts: UploadedPart[]) {
    if (this.failComplete) throw new Error("complete failed");
    this.completed = { size, sha256, parts };
    return { size, sha256 };
  }

  async abort() {
    this.aborted++;
  }

  /** Lets the oldest waiting part upload finish. */
  release(): boolean {
    const next = this.waiting.shift();
    next?.();
    return next !== undefined;
  }

  get waitingCount() {
    return this.waiting.length;
  }

  assembled(): Buffer {
    const numbers = [...this.parts.keys()].sort((a, b) => a - b);
    return Buffer.concat(numbers.map((n) => this.parts.get(n) as Buffer));
  }
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const tick = () => new Promise((r) => setTimeout(r, 0));

function chunks(file: Buffer, size: number): { offset: number; data: Buffer }[] {
  const out = [];
  for (let offset = 0; offset < file.length; offset += size)
    out.push({ offset, data: file.subarray(offset, offset + size) });
  return out;
}

function make(sink: MemorySink, overrides: Partial<ConstructorParameters<typeof PartAssembler>[1]> = {}) {
  return new PartAssembler(sink, { partBytes: 1000, maxBytes: 1_000_000, windowBytes: 4000, ...overrides });
}

describe("PartAssembler", () => {
  it("assembles in-order writes into equal parts with a short last part and the right SHA-256", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    const file = randomBytes(3500);
    for (const { offset, data } of chunks(file, 300)) await assembler.write(offset, data);
    const result = await assembler.finish();

    expect(result).toEqual({ size: 3500, sha256: sha(file) });
    expect([...sink.parts.values()].map((p) => p.length)).toEqual([1000, 1000, 1000, 500]);
    expect(sink.completed?.parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4]);
    expect(sink.assembled().equals(file)).toBe(true);
    expect(sink.aborted).toBe(0);
  });

  it("accepts writes reordered within the window", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    const file = randomBytes(2600);
    const writes = chunks(file, 200);
    // Swap neighbours and send the first chunk last.
    const order = [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 12];
    const replies = order.map((i) => assembler.write(writes[i]?.offset ?? 0, writes[i]?.data ?? Buffer.alloc(0)));
    await Promise.all(replies);
    await assembler.finish();
    expect(sink.assembled().equals(file)).toBe(true);
    expect(sink.completed?.sha256).toBe(sha(file));
  });

  it("holds the reply to an out-of-order write until the gap before it is filled", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    let answered = false;
    const later = assembler.write(100, Buffer.alloc(100, 2)).then(() => {
      answered = true;
    });
    await tick();
    expect(answered).toBe(false);
    await assembler.write(0, Buffer.alloc(100, 1));
    await later;
    expect(answered).toBe(true);
    expect(assembler.size).toBe(200);
  });

  it("fails the upload and aborts when a write lands beyond the window", async () => {
    const sink = new MemorySink();
    const assembler = make(sink, { windowBytes: 500 });
    await assembler.write(0, Buffer.alloc(100));
    await expect(assembler.write(700, Buffer.alloc(10))).rejects.toMatchObject({
      code: "write_out_of_window",
    });
    await expect(assembler.write(100, Buffer.alloc(10))).rejects.toMatchObject({
      code: "write_out_of_window",
    });
    await expect(assembler.finish()).rejects.toMatchObject({ code: "write_out_of_window" });
    await tick();
    expect(sink.aborted).toBe(1);
    expect(sink.completed).toBeUndefined();
  });

  it("sends no empty trailing part when the size is an exact multiple of partBytes", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    const file = randomBytes(3000);
    for (const { offset, data } of chunks(file, 250)) await assembler.write(offset, data);
    await assembler.finish();
    expect([...sink.parts.values()].map((p) => p.length)).toEqual([1000, 1000, 1000]);
    expect(sink.completed?.size).toBe(3000);
  });

  it("sends one empty part for an empty file, because R2 multipart needs one", async () => {
    const sink = new MemorySink();
    const result = await make(sink).finish();
    expect(result).toEqual({ size: 0, sha256: sha(Buffer.alloc(0)) });
    expect([...sink.parts.entries()].map(([n, p]) => [n, p.length])).toEqual([[1, 0]]);
  });

  it("fails CLOSE and aborts when a part upload fails, rejecting held writes too", async () => {
    const sink = new MemorySink(true);
    sink.failPart = 1;
    const assembler = make(sink);
    const file = randomBytes(2500);
    const replies = chunks(file, 100).map(({ offset, data }) => assembler.write(offset, data).catch((e: unknown) => e));
    await tick();
    // Parts 1 and 2 are full; the last 500 bytes wait for part 1, which then fails.
    sink.release();
    const outcomes = await Promise.all(replies);
    expect(outcomes.filter((r) => r instanceof Error)).toHaveLength(5);
    await expect(assembler.finish()).rejects.toThrow("R2 exploded");
    expect(sink.aborted).toBe(1);
    expect(sink.completed).toBeUndefined();
  });

  it("aborts when complete fails, and CLOSE reports it", async () => {
    const sink = new MemorySink();
    sink.failComplete = true;
    const assembler = make(sink);
    await assembler.write(0, Buffer.alloc(10));
    await expect(assembler.finish()).rejects.toThrow("complete failed");
    await tick();
    expect(sink.aborted).toBe(1);
  });

  it("reports a gap at close as an incomplete file and aborts", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    await assembler.write(0, Buffer.alloc(100));
    void assembler.write(200, Buffer.alloc(100)).catch(() => undefined);
    await expect(assembler.finish()).rejects.toMatchObject({ code: "incomplete_file" });
    expect(sink.aborted).toBe(1);
  });

  it("rejects a file over the maximum size", async () => {
    const sink = new MemorySink();
    const assembler = make(sink, { maxBytes: 150 });
    await assembler.write(0, Buffer.alloc(100));
    await expect(assembler.write(100, Buffer.alloc(100))).rejects.toMatchObject({ code: "file_too_large" });
    expect(sink.aborted).toBe(1);
  });

  it("ignores an identical rewrite of bytes already accepted", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    const file = randomBytes(1500);
    await assembler.write(0, file.subarray(0, 800));
    await assembler.write(500, file.subarray(500, 1200));
    await assembler.write(0, file.subarray(0, 100));
    await assembler.write(1200, file.subarray(1200));
    await assembler.finish();
    expect(sink.assembled().equals(file)).toBe(true);
  });

  it("aborts the sink once, however often abort is called", async () => {
    const sink = new MemorySink();
    const assembler = make(sink);
    await assembler.write(0, Buffer.alloc(10));
    await Promise.all([assembler.abort(), assembler.abort()]);
    expect(sink.aborted).toBe(1);
    await expect(assembler.write(10, Buffer.alloc(1))).rejects.toMatchObject({ code: "upload_aborted" });
  });

  it("holds write replies while parts are in flight, keeping memory within two parts plus the window", async () => {
    const sink = new MemorySink(true);
    const partBytes = 1000;
    const windowBytes = 1500;
    const assembler = make(sink, { partBytes, windowBytes });
    const file = randomBytes(20_000);
    const writes = chunks(file, 100);

    // A client like OpenSSH: up to 8 requests outstanding, the next sent only when one is answered.
    let next = 0;
    let outstanding = 0;
    let maxOutstandingSeen = 0;
    const send = () => {
      while (outstanding < 8 && next < writes.length) {
        const { offset, data } = writes[next++] as { offset: number; data: Buffer };
        outstanding++;
        maxOutstandingSeen = Math.max(maxOutstandingSeen, outstanding);
        void assembler.write(offset, data).then(() => {
          outstanding--;
          send();
        });
      }
    };
    send();
    for (let i = 0; i < 10_000 && (next < writes.length || outstanding > 0); i++) {
      await tick();
      // The client stalls: nothing more can be answered until a part upload finishes.
      if (outstanding === 8 || next === writes.length) sink.release();
      expect(assembler.memoryBytes).toBeLessThanOrEqual(2 * partBytes + windowBytes);
    }
    let settled = false;
    const finished = assembler.finish().finally(() => {
      settled = true;
    });
    while (!settled) {
      sink.release();
      await tick();
    }
    await finished;

    expect(sink.assembled().equals(file)).toBe(true);
    expect(sink.maxInFlight).toBe(1);
    expect(assembler.peakMemoryBytes).toBeLessThanOrEqual(2 * partBytes + windowBytes);
    expect(maxOutstandingSeen).toBe(8);
  });

  it("stops answering writes when both part buffers are busy, and resumes when a part lands", async () => {
    const sink = new MemorySink(true);
    const assembler = make(sink);
    await assembler.write(0, Buffer.alloc(1000)); // part 1 sealed, uploading
    await assembler.write(1000, Buffer.alloc(1000)); // part 2 fills, sealed, waiting
    let answered = false;
    const third = assembler.write(2000, Buffer.alloc(100)).then(() => {
      answered = true;
    });
    await tick();
    expect(answered).toBe(false);
    sink.release();
    await third;
    expect(answered).toBe(true);
  });
});

describe("PartAssembler with a shared memory budget", () => {
  // Parts larger than the first buffer's starting size, so that a big file's buffers count.
  const partBytes = 2 * FIRST_CAPACITY;
  const writeBytes = 32 * 1024;

  function budgeted(sink: MemorySink, budget: MemoryBudget) {
    return make(sink, { partBytes, maxBytes: 64 * partBytes, windowBytes: 4 * partBytes, budget });
  }

  /** Sends the WRITEs for file[from, to) at once; `answered` counts the replies the client got. */
  function send(assembler: PartAssembler, file: Buffer, from: number, to: number) {
    const state = { answered: 0, total: 0, replies: [] as Promise<void>[] };
    for (let offset = from; offset < to; offset += writeBytes) {
      state.total++;
      const data = file.subarray(offset, Math.min(to, offset + writeBytes));
      state.replies.push(assembler.write(offset, data).then(() => void state.answered++));
    }
    return state;
  }

  const partSizes = (sink: MemorySink) => [...sink.parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p.length);

  it("holds a new upload's WRITE replies while another holds the whole budget, until that one finishes", async () => {
    const budget = new MemoryBudget(2 * partBytes);
    const sinkA = new MemorySink(true);
    const sinkB = new MemorySink(true);
    const a = budgeted(sinkA, budget);
    const b = budgeted(sinkB, budget);
    const fileA = randomBytes(partBytes + partBytes / 2);
    const fileB = randomBytes(2 * partBytes + 1000);

    // A: part 1 sealed and uploading, part 2 half filled in a second buffer: two reservations.
    await Promise.all(send(a, fileA, 0, fileA.length).replies);
    expect(a.reservedBytes).toBe(2 * partBytes);
    expect(budget.usedBytes).toBe(2 * partBytes);

    // B's first buffer fills up to its small start without the budget, then must wait for it.
    await Promise.all(send(b, fileB, 0, FIRST_CAPACITY).replies);
    const held = send(b, fileB, FIRST_CAPACITY, partBytes);
    await tick();
    expect(held.answered).toBe(0);
    expect(b.reservedBytes).toBe(0);

    // A's part 1 lands, but A keeps that buffer as its spare: nothing is freed, B still waits.
    sinkA.release();
    await tick();
    expect(held.answered).toBe(0);
    expect(budget.usedBytes).toBe(2 * partBytes);

    const finishedA = a.finish();
    await tick();
    expect(held.answered).toBe(0);
    sinkA.release(); // A's last part
    await finishedA;
    expect(a.reservedBytes).toBe(0);
    await Promise.all(held.replies);
    expect(held.answered).toBe(held.total);
    expect(b.reservedBytes).toBe(partBytes);

    const rest = send(b, fileB, partBytes, fileB.length);
    const finishedB = Promise.all(rest.replies).then(() => b.finish());
    await releaseUntil(sinkB, finishedB);
    expect(await finishedB).toEqual({ size: fileB.length, sha256: sha(fileB) });
    expect(sinkA.completed?.sha256).toBe(sha(fileA));
    expect(partSizes(sinkB)).toEqual([partBytes, partBytes, 1000]);
    expect(budget.usedBytes).toBe(0);
  });

  it("answers the held WRITEs of a waiting upload when the upload holding the budget fails", async () => {
    const budget = new MemoryBudget(2 * partBytes);
    const sinkA = new MemorySink(true);
    sinkA.failPart = 1;
    const a = budgeted(sinkA, budget);
    const b = budgeted(new MemorySink(), budget);
    const fileA = randomBytes(partBytes + partBytes / 2);
    const fileB = randomBytes(3 * partBytes);
    await Promise.all(send(a, fileA, 0, fileA.length).replies);
    expect(budget.usedBytes).toBe(2 * partBytes);

    const held = send(b, fileB, 0, fileB.length);
    await tick();
    expect(held.answered).toBe(FIRST_CAPACITY / writeBytes);
    sinkA.release(); // part 1 fails: A aborts and lets go of both buffers
    await Promise.all(held.replies);
    await expect(a.finish()).rejects.toThrow("R2 exploded");
    expect(a.reservedBytes).toBe(0);
    expect(await b.finish()).toEqual({ size: fileB.length, sha256: sha(fileB) });
    expect(budget.usedBytes).toBe(0);
  });

  it("keeps three uploads sharing two parts' worth of budget within it, and completes every one", async () => {
    const budget = new MemoryBudget(2 * partBytes);
    let peakUsed = 0;
    const acquire = budget.tryAcquire.bind(budget);
    vi.spyOn(budget, "tryAcquire").mockImplementation((bytes) => {
      const granted = acquire(bytes);
      peakUsed = Math.max(peakUsed, budget.usedBytes);
      return granted;
    });
    const uploads = [3 * partBytes + 4321, 4 * partBytes, 2 * partBytes + 1].map((size) => {
      const sink = new MemorySink(true);
      const assembler = budgeted(sink, budget);
      const file = randomBytes(size);
      // A client like OpenSSH: 8 WRITEs outstanding, the next sent only when one is answered.
      const writes = chunks(file, writeBytes);
      const client = { next: 0, outstanding: 0, finished: undefined as Promise<unknown> | undefined };
      const pushMore = () => {
        while (client.outstanding < 8 && client.next < writes.length) {
          const { offset, data } = writes[client.next++] as { offset: number; data: Buffer };
          client.outstanding++;
          void assembler.write(offset, data).then(() => {
            client.outstanding--;
            pushMore();
          });
        }
        if (client.next === writes.length && client.outstanding === 0) client.finished ??= assembler.finish();
      };
      pushMore();
      return { sink, assembler, file, client };
    });

    let heldBack = false;
    let settled = 0;
    for (let step = 0; settled < uploads.length && step < 5_000; step++) {
      await tick();
      // Part uploads land one at a time, taking turns between the three sinks.
      const sinks = uploads.map((u) => u.sink).filter((s) => s.waitingCount > 0);
      sinks[step % Math.max(1, sinks.length)]?.release();

      const reserved = uploads.reduce((sum, u) => sum + u.assembler.reservedBytes, 0);
      expect(budget.usedBytes).toBe(reserved);
      expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
      if (budget.usedBytes === budget.limitBytes) {
        heldBack ||= uploads.some((u) => u.assembler.reservedBytes === 0 && u.client.outstanding > 0);
      }
      settled = 0;
      for (const u of uploads) if (u.sink.completed) settled++;
    }

    for (const { sink, assembler, file, client } of uploads) {
      expect(await client.finished).toEqual({ size: file.length, sha256: sha(file) });
      expect(sink.assembled().equals(file)).toBe(true);
      const sizes = partSizes(sink);
      expect(sizes.slice(0, -1).every((n) => n === partBytes)).toBe(true);
      expect(sizes.reduce((a, n) => a + n, 0)).toBe(file.length);
      expect(assembler.reservedBytes).toBe(0);
    }
    expect(heldBack).toBe(true);
    expect(peakUsed).toBe(2 * partBytes);
    expect(budget.usedBytes).toBe(0);
  });

  it("returns every reservation when a part upload fails, and none twice when a later one lands", async () => {
    const budget = new MemoryBudget(8 * partBytes);
    const sink = new MemorySink(true);
    sink.failPart = 1;
    const assembler = budgeted(sink, budget);
    const file = randomBytes(2 * partBytes + partBytes / 2);
    const replies = send(assembler, file, 0, file.length).replies.map((r) => r.catch((e: unknown) => e));
    await tick();
    expect(budget.usedBytes).toBe(2 * partBytes);
    sink.release(); // part 1 fails while part 2 is sealed and waiting
    await Promise.all(replies);
    expect(assembler.reservedBytes).toBe(0);
    expect(budget.usedBytes).toBe(0);
    await expect(assembler.finish()).rejects.toThrow("R2 exploded");
    expect(budget.usedBytes).toBe(0);
  });

  it("returns every reservation when the upload is aborted with a part in flight", async () => {
    const budget = new MemoryBudget(8 * partBytes);
    const sink = new MemorySink(true);
    const assembler = budgeted(sink, budget);
    const file = randomBytes(partBytes + partBytes / 2);
    await Promise.all(send(assembler, file, 0, file.length).replies);
    expect(assembler.reservedBytes).toBe(2 * partBytes);
    await assembler.abort();
    expect(assembler.reservedBytes).toBe(0);
    expect(budget.usedBytes).toBe(0);
    sink.release(); // the part that was in flight settles after the abort
    await tick();
    expect(budget.usedBytes).toBe(0);
    expect(sink.aborted).toBe(1);
  });

  it("returns the spare's reservation when complete fails", async () => {
    const budget = new MemoryBudget(8 * partBytes);
    const sink = new MemorySink();
    sink.failComplete = true;
    const assembler = budgeted(sink, budget);
    const file = randomBytes(3 * partBytes);
    await Promise.all(send(assembler, file, 0, file.length).replies);
    await expect(assembler.finish()).rejects.toThrow("complete failed");
    expect(budget.usedBytes).toBe(0);
  });

  it("never asks the budget about a file that fits in the first buffer's starting size", async () => {
    const budget = new MemoryBudget(2 * partBytes);
    const tryAcquire = vi.spyOn(budget, "tryAcquire");
    const small = randomBytes(FIRST_CAPACITY);
    const assembler = budgeted(new MemorySink(), budget);
    await Promise.all(send(assembler, small, 0, small.length).replies);
    expect(await assembler.finish()).toEqual({ size: small.length, sha256: sha(small) });
    expect(tryAcquire).not.toHaveBeenCalled();

    // One byte more and the first buffer must grow: that takes a part's worth, returned at the end.
    const larger = randomBytes(FIRST_CAPACITY + 1);
    const next = budgeted(new MemorySink(), budget);
    await Promise.all(send(next, larger, 0, larger.length).replies);
    expect(tryAcquire).toHaveBeenCalledTimes(1);
    expect(budget.usedBytes).toBe(partBytes);
    await next.finish();
    expect(budget.usedBytes).toBe(0);
  });

  it("finishes a big upload with a budget smaller than one part, recycling its single buffer", async () => {
    const budget = new MemoryBudget(1);
    const sink = new MemorySink();
    const assembler = budgeted(sink, budget);
    const file = randomBytes(4 * partBytes + 10);
    let peakReserved = 0;
    const replies = send(assembler, file, 0, file.length).replies.map((r) =>
      r.then(() => {
        peakReserved = Math.max(peakReserved, assembler.reservedBytes);
      }),
    );
    await Promise.all(replies);
    expect(await assembler.finish()).toEqual({ size: file.length, sha256: sha(file) });
    expect(partSizes(sink)).toEqual([partBytes, partBytes, partBytes, partBytes, 10]);
    expect(peakReserved).toBe(partBytes);
    expect(budget.usedBytes).toBe(0);
  });
});

/** Lets the sink's part uploads finish as they arrive until `until` settles. */
async function releaseUntil(sink: MemorySink, until: Promise<unknown>): Promise<void> {
  let settled = false;
  void until.finally(() => {
    settled = true;
  });
  for (let i = 0; i < 10_000 && !settled; i++) {
    sink.release();
    await tick();
  }
}
