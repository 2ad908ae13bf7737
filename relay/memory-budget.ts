/**
 * A relay-wide cap on the memory uploads hold in part buffers (MAX_BUFFER_BYTES).
 *
 * Each upload's PartAssembler is bounded on its own, but nothing bounded their sum: 50 concurrent
 * uploads of 8 MiB parts took the process to ~700 MB. One budget per relay process is shared by
 * every upload; an assembler reserves a whole part before it creates or grows a large part buffer,
 * and when the budget refuses, it holds its WRITE replies (the same backpressure as waiting for a
 * part upload) until some other upload releases bytes.
 *
 * The budget lets an acquisition through whenever nothing is held, however large: a limit smaller
 * than one part then still lets one upload run at a time instead of stalling every one of them.
 */
export class MemoryBudget {
  readonly limitBytes: number;
  private used = 0;
  /** Replaced, not cleared, on every release: callbacks registered while waking wait for the next one. */
  private waiters = new Set<() => void>();

  constructor(limitBytes: number) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) throw new RangeError("limitBytes must be an integer ≥ 0");
    this.limitBytes = limitBytes;
  }

  /** Bytes reserved right now. May exceed `limitBytes` by the one acquisition made while empty. */
  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `bytes` if they fit under the limit, or if nothing is reserved at all. */
  tryAcquire(bytes: number): boolean {
    if (bytes < 0) throw new RangeError("cannot acquire a negative number of bytes");
    if (this.used > 0 && this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  /**
   * Returns bytes reserved earlier and wakes every waiter. Releasing more than is held is a
   * bookkeeping bug (a double release would silently raise the cap), so it throws.
   */
  release(bytes: number): void {
    if (bytes < 0 || bytes > this.used) throw new RangeError(`cannot release ${bytes} of ${this.used} reserved bytes`);
    if (bytes === 0) return;
    this.used -= bytes;
    const waiters = this.waiters;
    this.waiters = new Set();
    // Iterating the live set: a waiter cancelled by an earlier one in this pass is skipped.
    for (const wake of waiters) {
      waiters.delete(wake);
      wake();
    }
  }

  /**
   * Calls `wake` once, on the next release, then forgets it; a waiter that still does not fit
   * registers again. Every waiter is woken, not just the first, because each wants a different
   * amount and the budget cannot know which of them will fit. Returns a function that cancels.
   * `wake` runs inside `release()`, so it must not throw.
   */
  onRelease(wake: () => void): () => void {
    const waiters = this.waiters;
    const entry = () => wake();
    waiters.add(entry);
    return () => {
      waiters.delete(entry);
    };
  }
}

/**
 * One upload's reservations from a budget, counted in units (a part each). Without a budget every
 * `take()` succeeds and nothing is counted, so its user needs no second code path.
 */
export class BudgetShare {
  private readonly budget: MemoryBudget | undefined;
  private readonly unitBytes: number;
  private readonly onRelease: () => void;
  private units = 0;
  private cancelWait: (() => void) | undefined;

  /** `onRelease` runs once after a refused `take()`, on the budget's next release. */
  constructor(budget: MemoryBudget | undefined, unitBytes: number, onRelease: () => void) {
    this.budget = budget;
    this.unitBytes = unitBytes;
    this.onRelease = onRelease;
  }

  /** Bytes reserved and not yet given back. */
  get bytes(): number {
    return this.units * this.unitBytes;
  }

  /** Reserves one unit, or arranges to be told when trying again is worth it. */
  take(): boolean {
    const budget = this.budget;
    if (budget === undefined) return true;
    if (budget.tryAcquire(this.unitBytes)) {
      this.units++;
      return true;
    }
    this.cancelWait ??= budget.onRelease(() => {
      this.cancelWait = undefined;
      this.onRelease();
    });
    return false;
  }

  /** Returns `units` taken earlier. */
  give(units: number): void {
    if (this.budget === undefined || units === 0) return;
    if (units > this.units) throw new RangeError(`cannot give back ${units} of ${this.units} units`);
    this.units -= units;
    this.budget.release(units * this.unitBytes);
  }

  /** The holder is done: a refused `take()` no longer wants waking. */
  stopWaiting(): void {
    this.cancelWait?.();
    this.cancelWait = undefined;
  }
}
