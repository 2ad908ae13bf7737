import { describe, expect, it } from "vitest";
import { LineEndingNormaliser } from "./line-endings.ts";

/** Feeds `pieces` in order and returns the normalised text. */
function normalise(n: LineEndingNormaliser, pieces: string[]) {
  return pieces.map((p, i) => n.push(p, i === pieces.length - 1)).join("");
}

describe("line ending normalisation", () => {
  it("turns CRLF, LF and lone CR into LF", () => {
    expect(normalise(new LineEndingNormaliser(), ["a\r\nb\nc\rd\r"])).toBe("a\nb\nc\nd\n");
  });

  it("keeps a CRLF split between two pieces as one line break", () => {
    const n = new LineEndingNormaliser();
    expect(n.push("a\r", false)).toBe("a");
    expect(n.push("\nb\r", false)).toBe("\nb");
    expect(n.push("", true)).toBe("\n");
  });

  it("holds a lone CR back until the next piece decides it", () => {
    expect(normalise(new LineEndingNormaliser(), ["a\r", "\r", "b"])).toBe("a\n\nb");
  });

  it("maps consumed normalised characters back to the original text", () => {
    const original = "ab\r\ncd\ne\r\r\nf\r\n";
    for (let size = 1; size <= original.length; size++) {
      const n = new LineEndingNormaliser();
      const pieces = Array.from({ length: Math.ceil(original.length / size) }, (_, i) =>
        original.slice(i * size, (i + 1) * size),
      );
      const text = normalise(n, pieces);
      expect(text).toBe("ab\ncd\ne\n\nf\n");
      // Consume one record at a time: the original length of each must add up exactly.
      let at = 0;
      let originalAt = 0;
      for (const record of text.split(/(?<=\n)/)) {
        originalAt += record.length + n.consume(record.length);
        at += record.length;
        expect(original.slice(0, originalAt).replace(/\r\n?/g, "\n")).toBe(text.slice(0, at));
      }
      expect(originalAt).toBe(original.length);
    }
  });
});
