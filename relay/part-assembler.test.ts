import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PartAssembler } from "./part-assembler.ts";
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
