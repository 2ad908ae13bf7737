import { describe, expect, it } from "vitest";
import { jsonArrays } from "./d1-bulk.ts";

describe("jsonArrays", () => {
  const rows = Array.from({ length: 1000 }, (_, i) => [i, `user${i}@example.com`, ["Zoë", null, true]]);

  it("keeps every item, in order, in arrays within the limit", () => {
    for (const max of [50, 999, 4_000, 10_000, 1_000_000]) {
      const arrays = jsonArrays(rows, max);
      expect(arrays.flatMap((a) => JSON.parse(a))).toEqual(rows);
      for (const a of arrays) expect(a.length).toBeLessThanOrEqual(Math.max(max, JSON.stringify([rows[999]]).length));
      if (max === 1_000_000) expect(arrays).toHaveLength(1);
      if (max === 4_000) expect(arrays.length).toBeGreaterThan(JSON.stringify(rows).length / 4_000);
    }
  });

  it("gives an item longer than the limit an array of its own", () => {
    const long = "x".repeat(100);
    expect(jsonArrays(["a", long, "b"], 20)).toEqual(['["a"]', `["${long}"]`, '["b"]']);
    expect(jsonArrays([], 20)).toEqual([]);
  });
});
