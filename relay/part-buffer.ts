/**
 * The part being filled. The first part grows by doubling up to `partBytes`, so a 2 KB CSV costs
 * kilobytes rather than a whole 5+ MiB part; later parts reuse the buffer of a part already
 * uploaded (`recycled`), so a large file costs two allocations, not one per part plus growth.
 */
import { Buffer } from "node:buffer";

/** The first part's starting size: a file smaller than this never holds more. */
export const FIRST_CAPACITY = 256 * 1024;

export class PartBuffer {
  private readonly partBytes: number;
  private buf: Buffer;
  private used = 0;

  constructor(partBytes: number, recycled?: Buffer) {
    this.partBytes = partBytes;
    this.buf = recycled ?? Buffer.allocUnsafe(Math.min(partBytes, FIRST_CAPACITY));
  }

  get length(): number {
    return this.used;
  }

  /** Bytes of memory held, which is what the assembler's bound counts. */
  get capacity(): number {
    return this.buf.length;
  }

  get room(): number {
    return this.partBytes - this.used;
  }

  /** Appends `chunk`, which must fit in `room`. */
  append(chunk: Uint8Array): void {
    const needed = this.used + chunk.length;
    if (needed > this.partBytes) throw new RangeError("part overflow");
    if (needed > this.buf.length) {
      let capacity = this.buf.length;
      while (capacity < needed) capacity = Math.min(this.partBytes, capacity * 2);
      const grown = Buffer.allocUnsafe(capacity);
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    this.buf.set(chunk, this.used);
    this.used = needed;
  }

  /** The part's bytes (a view, no copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.used);
  }

  /** The whole backing buffer, for reuse once the part's upload has settled. */
  get backing(): Buffer {
    return this.buf;
  }
}
