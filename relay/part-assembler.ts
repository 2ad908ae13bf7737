/**
 * Turns SFTP WRITEs (offset, bytes) into the fixed-size parts of a multipart upload.
 *
 * Clients pipeline writes (OpenSSH keeps up to 64 × 32 KiB in flight) and may send them out of
 * order, while R2 wants parts of exactly `partBytes` (all but the last) in number order. ssh2 has
 * no SFTP flow control, so the only brake is the WRITE reply: each `write()` returns a promise that
 * settles when the relay may answer, and it stays pending while its bytes cannot be placed yet.
 *
 * Memory per upload is bounded by `(maxInFlightParts + 1) × partBytes + windowBytes`:
 * - bytes become "placed" once contiguous: copied into the part being filled and hashed;
 * - writes ahead of the contiguous offset wait, copied, in a window of at most `windowBytes`;
 *   a write beyond the window fails the upload rather than growing memory;
 * - a filled part is sealed and uploaded; at most `maxInFlightParts` upload at once, and no new
 *   part is started while that many sealed parts are still waiting, so placement (and with it
 *   every WRITE reply) pauses until the sink catches up.
 *
 * With a `budget` (memory-budget.ts), that per-upload bound also counts against a relay-wide one:
 * every part buffer larger than the first part's small start (FIRST_CAPACITY) is covered by a
 * reservation of `partBytes`, taken before the buffer is created or grown. When the budget refuses,
 * placement waits exactly as it waits for a part upload, and resumes when another upload releases.
 * An upload never needs the budget for the buffer it already holds, only for a second one, and it
 * recycles its spare when a part lands, so it keeps moving while the budget is exhausted. A small
 * file stays in its first buffer and never touches the budget.
 */
import { Buffer } from "node:buffer";
import { createHash, type Hash } from "node:crypto";
import { RelayError } from "./errors.ts";
import { BudgetShare, type MemoryBudget } from "./memory-budget.ts";
import { FIRST_CAPACITY, PartBuffer } from "./part-buffer.ts";
import type { UploadedPart, UploadSink } from "./upload-sink.ts";

export interface PartAssemblerOptions {
  /** Size of every part but the last. */
  partBytes: number;
  /** Largest file accepted; a write past it fails the upload with `file_too_large`. */
  maxBytes: number;
  /** How far past the contiguous offset a write may land. */
  windowBytes: number;
  /** Parts uploading at once. Default 1: one part uploads while the next fills. */
  maxInFlightParts?: number;
  /** Out-of-order writes held at once; bounds bookkeeping when a client sends tiny writes. */
  maxPendingWrites?: number;
  /** The relay-wide cap on part buffers, shared by every upload of the process. */
  budget?: MemoryBudget;
}

interface PendingWrite {
  offset: number;
  data: Uint8Array;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface SealedPart {
  partNumber: number;
  bytes: Uint8Array;
  /** The full-size buffer behind `bytes`, reusable once the upload succeeded. */
  backing: Buffer | undefined;
  /** The buffer behind `bytes` is covered by a budget reservation. */
  reserved: boolean;
  uploading: boolean;
}

export class PartAssembler<Result = unknown> {
  private readonly opts: Required<Omit<PartAssemblerOptions, "budget">>;
  /** Covers every part buffer above FIRST_CAPACITY, one `partBytes` reservation each. */
  private readonly budget: BudgetShare;
  private readonly hash: Hash = createHash("sha256");

  /** Everything below this offset is placed: copied into a part and hashed. */
  private placedEnd = 0;
  private pending: PendingWrite[] = [];
  private pendingBytes = 0;
  private fill: PartBuffer | undefined;
  /** A full-size buffer whose part is uploaded, ready for the next part. */
  private spare: Buffer | undefined;
  /** Whether `fill` and `spare` are covered by budget reservations (sealed parts carry their own). */
  private fillReserved = false;
  private spareReserved = false;
  private readonly sealed: SealedPart[] = [];
  private readonly uploaded: UploadedPart[] = [];
  private partCount = 0;
  private failure: unknown;
  private state: "open" | "finishing" | "done" | "aborted" = "open";
  private abortPromise: Promise<void> | undefined;
  private progressWaiters: (() => void)[] = [];
  private peak = 0;
  private readonly sink: UploadSink<Result>;

  constructor(sink: UploadSink<Result>, options: PartAssemblerOptions) {
    this.sink = sink;
    if (options.partBytes < 1 || options.windowBytes < 1) throw new RangeError("partBytes and windowBytes must be ≥ 1");
    const { budget, ...rest } = options;
    this.opts = { maxInFlightParts: 1, maxPendingWrites: 4096, ...rest };
    // A refused reservation waits like a part upload: placement resumes when memory is released.
    this.budget = new BudgetShare(budget, this.opts.partBytes, () => {
      this.pump();
      this.signalProgress();
    });
    if (this.opts.maxInFlightParts < 1) throw new RangeError("maxInFlightParts must be ≥ 1");
  }

  /** Bytes received contiguously from offset 0 so far (what FSTAT reports). */
  get size(): number {
    return this.placedEnd;
  }

  /** Bytes this upload holds right now: part buffers, parts in flight and the reorder window. */
  get memoryBytes(): number {
    let bytes = this.pendingBytes + (this.fill?.capacity ?? 0) + (this.spare?.length ?? 0);
    for (const part of this.sealed) bytes += part.backing?.length ?? part.bytes.length;
    return bytes;
  }

  /** Bytes this upload has reserved from the shared budget; 0 without one. */
  get reservedBytes(): number {
    return this.budget.bytes;
  }

  /** The most `memoryBytes` has ever been, for tests and metrics. */
  get peakMemoryBytes(): number {
    return this.peak;
  }

  /**
   * Accepts one WRITE. Resolves when the client may be told OK; rejects (and fails the whole
   * upload) when the write cannot be accepted. `data` may be reused by the caller afterwards.
   */
  write(offset: number, data: Uint8Array): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.state !== "open") return Promise.reject(new RelayError("upload_aborted", "the file is already closed"));
    const end = offset + data.length;
    if (!Number.isSafeInteger(offset) || offset < 0 || end > this.opts.maxBytes) {
      const tooLarge = new RelayError("file_too_large", `file exceeds the ${this.opts.maxBytes} byte limit`);
      return Promise.reject(this.fail(tooLarge));
    }
    // Bytes already placed were hashed and may be in flight: a rewrite of them is ignored (clients
    // only resend identical data there); placeFrom() skips the placed head of a partial overlap.
    if (end <= this.placedEnd || data.length === 0) return Promise.resolve();
    // Fast path: in order and room to place it now, so no copy into the window is needed.
    if (offset <= this.placedEnd && this.pending.length === 0 && this.placeFrom(offset, data)) {
      return Promise.resolve();
    }
    const windowFull =
      this.pendingBytes + data.length > this.opts.windowBytes || this.pending.length >= this.opts.maxPendingWrites;
    if (windowFull || end > this.placedEnd + this.opts.windowBytes) {
      return Promise.reject(this.fail(outOfWindow(offset)));
    }
    return new Promise<void>((resolve, reject) => {
      const entry: PendingWrite = { offset, data: new Uint8Array(data), resolve, reject };
      this.insertPending(entry);
      this.pendingBytes += entry.data.length;
      this.notePeak();
      this.pump();
    });
  }

  /**
   * Called at CLOSE: waits for every byte to be placed and every part uploaded, then completes.
   * A hole in the file (a write never sent) fails with `incomplete_file`. Any failure aborts.
   */
  async finish(): Promise<Result> {
    if (this.failure !== undefined) throw this.failure;
    if (this.state !== "open") throw new RelayError("upload_aborted", "the file is already closed");
    this.state = "finishing";
    try {
      let lastSealed = false;
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        this.pump();
        const head = this.pending[0];
        if (head !== undefined && head.offset > this.placedEnd) {
          throw new RelayError("incomplete_file", `the file has a gap at byte ${this.placedEnd}`);
        }
        if (head === undefined && !lastSealed) {
          // R2 needs at least one part, so an empty file is one empty part.
          if ((this.fill?.length ?? 0) > 0 || this.partCount === 0) this.seal();
          lastSealed = true;
        }
        if (head === undefined && this.sealed.length === 0) break;
        await this.nextProgress();
      }
      // Every part is uploaded: the spare is not needed while complete() runs, others may use it.
      this.dropBuffers();
      const sha256 = this.hash.digest("hex");
      const parts = [...this.uploaded].sort((a, b) => a.partNumber - b.partNumber);
      const result = await this.sink.complete(this.placedEnd, sha256, parts);
      this.state = "done";
      return result;
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Gives up on the upload (client gone, handle closed in error): the sink is aborted once. */
  abort(reason: unknown = new RelayError("upload_aborted", "upload aborted")): Promise<void> {
    if (this.state === "done") return Promise.resolve();
    this.fail(reason);
    return this.abortPromise ?? Promise.resolve();
  }

  private fail(err: unknown): unknown {
    if (this.failure !== undefined || this.state === "done") return this.failure ?? err;
    this.failure = err;
    this.state = "aborted";
    for (const entry of this.pending) entry.reject(err);
    this.pending = [];
    this.pendingBytes = 0;
    this.dropBuffers();
    this.signalProgress();
    // The sink decides what abort means; a failing abort must not hide the original error.
    this.abortPromise = this.sink.abort().catch(() => undefined);
    return err;
  }

  private insertPending(entry: PendingWrite): void {
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.pending[mid] as PendingWrite).offset <= entry.offset) lo = mid + 1;
      else hi = mid;
    }
    this.pending.splice(lo, 0, entry);
  }

  /** Places waiting writes while they are contiguous and there is a part to put them in. */
  private pump(): void {
    while (this.failure === undefined) {
      const head = this.pending[0];
      if (head === undefined || head.offset > this.placedEnd) return;
      const unplaced = head.offset + head.data.length > this.placedEnd;
      if (unplaced && !this.placeFrom(head.offset, head.data)) return;
      this.pending.shift();
      this.pendingBytes -= head.data.length;
      head.resolve();
    }
  }

  /**
   * Copies the not-yet-placed tail of a write (which starts at or before `placedEnd`) into parts.
   * Returns false, having placed what fit, when it must wait for a part upload to finish or for the
   * budget; the caller keeps the write and retries, and already-placed bytes are then skipped.
   */
  private placeFrom(offset: number, data: Uint8Array): boolean {
    let from = this.placedEnd - offset;
    while (from < data.length) {
      if (!this.ensureFill()) return false;
      const fill = this.fill as PartBuffer;
      const size = Math.min(data.length - from, fill.room);
      // Growing the first part's buffer past its small start makes it a large buffer.
      if (!this.fillReserved && fill.length + size > FIRST_CAPACITY) {
        if (!this.budget.take()) return false;
        this.fillReserved = true;
      }
      const chunk = data.subarray(from, from + size);
      fill.append(chunk);
      this.hash.update(chunk);
      this.placedEnd += chunk.length;
      from += chunk.length;
      if (fill.room === 0) this.seal();
    }
    this.notePeak();
    return true;
  }

  /**
   * A new part may start while at most maxInFlightParts sealed parts are outstanding: one part
   * fills while the others upload, and once it is full too, placement waits for the sink.
   */
  private ensureFill(): boolean {
    if (this.fill !== undefined) return true;
    if (this.sealed.length > this.opts.maxInFlightParts) return false;
    const { partBytes } = this.opts;
    if (this.spare !== undefined) {
      this.fill = new PartBuffer(partBytes, this.spare);
      this.fillReserved = this.spareReserved;
      this.spare = undefined;
      this.spareReserved = false;
    } else if (this.partCount > 0) {
      // Once a file has filled a part it is a big one: go straight to a full-size buffer.
      const large = partBytes > FIRST_CAPACITY;
      if (large && !this.budget.take()) return false;
      this.fill = new PartBuffer(partBytes, Buffer.allocUnsafe(partBytes));
      this.fillReserved = large;
    } else {
      this.fill = new PartBuffer(partBytes);
    }
    return true;
  }

  /**
   * Lets go of every part buffer and returns their reservations at once. Parts still uploading are
   * let go too: the sink is aborted right after, and a reservation left to a hung request would
   * hold memory the other uploads are waiting for.
   */
  private dropBuffers(): void {
    let reserved = Number(this.fillReserved) + Number(this.spareReserved);
    for (const part of this.sealed) if (part.reserved) reserved++;
    this.fill = undefined;
    this.spare = undefined;
    this.sealed.length = 0;
    this.fillReserved = false;
    this.spareReserved = false;
    this.budget.stopWaiting();
    this.budget.give(reserved);
  }

  private seal(): void {
    const bytes = this.fill?.bytes() ?? new Uint8Array(0);
    const backing = this.fill?.backing.length === this.opts.partBytes ? this.fill.backing : undefined;
    const reserved = this.fillReserved;
    this.fill = undefined;
    this.fillReserved = false;
    this.sealed.push({ partNumber: ++this.partCount, bytes, backing, reserved, uploading: false });
    this.startUploads();
  }

  private startUploads(): void {
    let uploading = this.sealed.filter((p) => p.uploading).length;
    for (const part of this.sealed) {
      if (uploading >= this.opts.maxInFlightParts) return;
      if (part.uploading) continue;
      part.uploading = true;
      uploading++;
      this.sink.uploadPart(part.partNumber, part.bytes).then(
        (uploaded) => this.partDone(part, uploaded),
        (err: unknown) => this.fail(err),
      );
    }
  }

  private partDone(part: SealedPart, uploaded: UploadedPart): void {
    if (this.failure !== undefined) return;
    this.uploaded.push({ partNumber: part.partNumber, etag: uploaded.etag });
    const index = this.sealed.indexOf(part);
    if (index !== -1) this.sealed.splice(index, 1);
    // The sink has resolved, so it no longer reads these bytes (retries happen before it resolves).
    // One full-size buffer is kept for the next part; any other is dropped and its memory returned.
    if (this.spare === undefined && part.backing !== undefined) {
      this.spare = part.backing;
      this.spareReserved = part.reserved;
    } else if (part.reserved) {
      this.budget.give(1);
    }
    this.startUploads();
    this.pump();
    this.signalProgress();
  }

  private nextProgress(): Promise<void> {
    return new Promise((resolve) => this.progressWaiters.push(resolve));
  }

  private signalProgress(): void {
    const waiters = this.progressWaiters;
    this.progressWaiters = [];
    for (const wake of waiters) wake();
  }

  private notePeak(): void {
    const now = this.memoryBytes;
    if (now > this.peak) this.peak = now;
  }
}

function outOfWindow(offset: number): RelayError {
  return new RelayError("write_out_of_window", `write at byte ${offset} is too far ahead of the data received`);
}
