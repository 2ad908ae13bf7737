import { describe, expect, it } from "vitest";
import { newSortableId } from "./ids.ts";

describe("newSortableId", () => {
  it("sorts by the time it was made, and ids of the same millisecond differ", () => {
    const t = Date.UTC(2026, 10, 24, 5, 0, 0);
    const ids = [
      newSortableId("per", t + 1000),
      newSortableId("per", t),
      newSortableId("per", t + 1),
      newSortableId("per", t),
      newSortableId("per", t + 32 ** 3),
    ];
    expect([...ids].sort()).toEqual([ids[1], ids[3], ids[2], ids[0], ids[4]].sort());
    expect(ids[1]! < ids[2]!).toBe(true);
    expect(ids[2]! < ids[0]!).toBe(true);
    expect(ids[0]! < ids[4]!).toBe(true);
    expect(ids[1]!.slice(0, 14)).toBe(ids[3]!.slice(0, 14));
    expect(ids[1]).not.toBe(ids[3]);
    for (const id of ids) expect(id).toMatch(/^per_[2-9a-km-np-z]{20}$/);
  });

  it("makes no duplicate among a million-row import's worth of ids in one millisecond", () => {
    const now = Date.now();
    const seen = new Set<string>();
    // Several times the random pool's size, so refills are crossed many times.
    for (let i = 0; i < 200_000; i++) seen.add(newSortableId("prj", now));
    expect(seen.size).toBe(200_000);
    const chars = new Set([...seen].flatMap((id) => [...id.slice(14)]));
    expect(chars.size).toBe(32);
  });
});
