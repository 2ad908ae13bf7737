import { describe, expect, it } from "vitest";
import { BudgetShare, MemoryBudget } from "./memory-budget.ts";

describe("MemoryBudget", () => {
  it("grants reservations while they fit and refuses the one that would pass the limit", () => {
    const budget = new MemoryBudget(100);
    expect(budget.tryAcquire(60)).toBe(true);
    expect(budget.tryAcquire(40)).toBe(true);
    expect(budget.usedBytes).toBe(100);
    expect(budget.tryAcquire(1)).toBe(false);
    expect(budget.usedBytes).toBe(100);
    budget.release(40);
    expect(budget.tryAcquire(41)).toBe(false);
    expect(budget.tryAcquire(40)).toBe(true);
  });

  it("grants anything while nothing is held, so a limit below one part cannot stall every upload", () => {
    const budget = new MemoryBudget(10);
    expect(budget.tryAcquire(1000)).toBe(true);
    expect(budget.usedBytes).toBe(1000);
    expect(budget.tryAcquire(1)).toBe(false);
    budget.release(1000);
    expect(budget.usedBytes).toBe(0);
    expect(budget.tryAcquire(1000)).toBe(true);
  });

  it("wakes every waiter on a release, once, and forgets them afterwards", () => {
    const budget = new MemoryBudget(100);
    budget.tryAcquire(100);
    const woken: string[] = [];
    budget.onRelease(() => woken.push("a"));
    budget.onRelease(() => woken.push("b"));
    expect(woken).toEqual([]);
    budget.release(50);
    expect(woken).toEqual(["a", "b"]);
    budget.release(50);
    expect(woken).toEqual(["a", "b"]);
  });

  it("does not call a cancelled waiter, nor one registered while waking, until the next release", () => {
    const budget = new MemoryBudget(100);
    budget.tryAcquire(100);
    const woken: string[] = [];
    const cancel = budget.onRelease(() => woken.push("cancelled"));
    budget.onRelease(() => {
      woken.push("first");
      budget.onRelease(() => woken.push("again"));
    });
    cancel();
    budget.release(10);
    expect(woken).toEqual(["first"]);
    budget.release(10);
    expect(woken).toEqual(["first", "again"]);
  });

  it("refuses to release more than is held, which would silently raise the cap", () => {
    const budget = new MemoryBudget(100);
    budget.tryAcquire(30);
    expect(() => budget.release(31)).toThrow(RangeError);
    expect(budget.usedBytes).toBe(30);
  });
});

describe("BudgetShare", () => {
  it("counts its units, calls back once after a refusal when memory frees up, and gives back", () => {
    const budget = new MemoryBudget(100);
    let woken = 0;
    const share = new BudgetShare(budget, 50, () => woken++);
    const other = new BudgetShare(budget, 50, () => undefined);
    expect(share.take()).toBe(true);
    expect(other.take()).toBe(true);
    expect(share.take()).toBe(false);
    expect(share.take()).toBe(false);
    expect(share.bytes).toBe(50);
    other.give(1);
    expect(woken).toBe(1);
    expect(share.take()).toBe(true);
    expect(share.bytes).toBe(100);
    expect(() => share.give(3)).toThrow(RangeError);
    share.give(2);
    expect(budget.usedBytes).toBe(0);
    expect(woken).toBe(1);
  });

  it("is not woken once it stopped waiting", () => {
    const budget = new MemoryBudget(50);
    let woken = 0;
    const holder = new BudgetShare(budget, 50, () => undefined);
    const share = new BudgetShare(budget, 50, () => woken++);
    holder.take();
    expect(share.take()).toBe(false);
    share.stopWaiting();
    holder.give(1);
    expect(woken).toBe(0);
  });

  it("always succeeds and counts nothing without a budget", () => {
    const share = new BudgetShare(undefined, 50, () => undefined);
    expect(share.take()).toBe(true);
    expect(share.take()).toBe(true);
    expect(share.bytes).toBe(0);
    share.give(2);
  });
});
