/**
 * Byte → text decoding for the encodings the specification accepts. Windows-1252
 * and UTF-16BE are decoded here rather than by TextDecoder because workerd's
 * TextDecoder does not promise either label; UTF-8 is decoded fatally so that
 * invalid bytes are noticed (and the file re-read as Windows-1252).
 */

export type Encoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface Decoder {
  /** Decodes the next chunk; `final` flushes bytes held back from the previous chunk. */
  decode(bytes: Uint8Array, final: boolean): string;
}

/** Thrown when bytes are not valid UTF-8: the caller switches to Windows-1252. */
export class InvalidUtf8 extends Error {}

// 0x80–0x9F in Windows-1252; undefined bytes map to the C1 control of the same value, as browsers do.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function decode1252(bytes: Uint8Array) {
  const parts: string[] = [];
  const step = 8192;
  for (let start = 0; start < bytes.length; start += step) {
    const codes = new Array<number>(Math.min(step, bytes.length - start));
    for (let i = 0; i < codes.length; i++) {
      const b = bytes[start + i] as number;
      codes[i] = b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] as number) : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join("");
}

export function createDecoder(encoding: Encoding): Decoder {
  switch (encoding) {
    case "windows-1252":
      return { decode: (bytes) => decode1252(bytes) };
    case "utf-8": {
      const d = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      return {
        decode(bytes, final) {
          try {
            return d.decode(bytes, { stream: !final });
          } catch {
            throw new InvalidUtf8("not valid UTF-8");
          }
        },
      };
    }
    case "utf-16le": {
      const d = new TextDecoder("utf-16le", { fatal: false, ignoreBOM: true });
      return { decode: (bytes, final) => d.decode(bytes, { stream: !final }) };
    }
    case "utf-16be": {
      const d = new TextDecoder("utf-16le", { fatal: false, ignoreBOM: true });
      let carry: number | null = null;
      return {
        decode(bytes, final) {
          const joined = carry === null ? bytes : new Uint8Array([carry, ...bytes]);
          const even = joined.length - (joined.length % 2);
          carry = even < joined.length ? (joined[even] as number) : null;
          const swapped = new Uint8Array(even);
          for (let i = 0; i < even; i += 2) {
            swapped[i] = joined[i + 1] as number;
            swapped[i + 1] = joined[i] as number;
          }
          return d.decode(swapped, { stream: !final });
        },
      };
    }
  }
}

/** How many bytes `text` occupied in `encoding`: turns a parser's character cursor into a byte checkpoint. */
export function encodedLength(text: string, encoding: Encoding): number {
  if (encoding === "windows-1252") return text.length;
  if (encoding !== "utf-8") return text.length * 2;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
