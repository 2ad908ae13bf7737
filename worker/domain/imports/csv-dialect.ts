import { rejectFile } from "./header.ts";
import type { Encoding } from "./text-decoding.ts";

/** What was detected about a file, kept on the run so later slices read it the same way. */
export interface Dialect {
  encoding: Encoding;
  /** Bytes of byte-order mark skipped at the start. */
  bom: number;
  delimiter: "," | ";" | "\t" | "|";
  /** The header's line ending, or "mixed" when the first rows end differently. Reporting only: any is read. */
  newline: LineEnding | "mixed";
}

type LineEnding = "\r\n" | "\n" | "\r";

const signatures: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], "a zip archive or Excel workbook (.xlsx), not CSV: save it as CSV"],
  [[0xd0, 0xcf, 0x11, 0xe0], "a legacy Excel workbook (.xls), not CSV: save it as CSV"],
  [[0x25, 0x50, 0x44, 0x46], "a PDF document, not CSV"],
  [[0x1f, 0x8b], "a gzip archive, not CSV: send it uncompressed"],
];

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

/**
 * Encoding from the first bytes: a BOM decides; without one, UTF-8 is tried
 * (and Windows-1252 used if the bytes turn out not to be UTF-8). Binary files
 * are refused here, with what they look like when that is recognisable.
 */
export function sniffEncoding(head: Uint8Array): { encoding: Encoding; bom: number } {
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { encoding: "utf-8", bom: 3 };
  if (startsWith(head, [0xff, 0xfe])) return { encoding: "utf-16le", bom: 2 };
  if (startsWith(head, [0xfe, 0xff])) return { encoding: "utf-16be", bom: 2 };
  for (const [sig, what] of signatures) if (startsWith(head, sig)) throw rejectFile(`The file is ${what}`);
  const window = head.subarray(0, 4096);
  if (window.includes(0)) {
    let evenNuls = 0;
    let oddNuls = 0;
    for (let i = 0; i < window.length; i++) if (window[i] === 0) i % 2 ? oddNuls++ : evenNuls++;
    // UTF-16 text without a BOM has a NUL beside nearly every ASCII character, always at the same
    // parity; binary data (zero padding, small integers) has them at both.
    const most = Math.max(evenNuls, oddNuls);
    const least = Math.min(evenNuls, oddNuls);
    if (most > window.length / 4 && least * 8 <= most) {
      throw rejectFile("The file looks like UTF-16 without a byte order mark: save it as UTF-8 or UTF-16 with a BOM");
    }
    throw rejectFile("The file is not CSV: it contains binary data (NUL bytes)");
  }
  return { encoding: "utf-8", bom: 0 };
}

/** The first record's end (outside quotes), to read the header line and the line ending. */
function firstLineEnd(text: string): { end: number; newline: LineEnding | null } {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) {
      if (ch === "\n") return { end: i, newline: "\n" };
      return { end: i, newline: text[i + 1] === "\n" ? "\r\n" : text[i + 1] === undefined ? null : "\r" };
    }
  }
  return { end: text.length, newline: null };
}

/** How far into the sniffed text record endings are compared, to report a file that mixes them. */
const MIXED_SCAN_CHARS = 64 * 1024;

/** Whether records in `text` (outside quotes) end in more than one way. */
function mixesLineEndings(text: string, final: boolean): boolean {
  const seen = new Set<LineEnding>();
  const end = Math.min(text.length, MIXED_SCAN_CHARS);
  let quoted = false;
  for (let i = 0; i < end; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    if (quoted || (ch !== "\n" && ch !== "\r")) continue;
    if (ch === "\n") seen.add("\n");
    else if (text[i + 1] === "\n") {
      seen.add("\r\n");
      i++;
    } else if (i + 1 < text.length || final) seen.add("\r");
    if (seen.size > 1) return true;
  }
  return false;
}

const DELIMITERS: Dialect["delimiter"][] = [",", ";", "\t", "|"];

/**
 * Delimiter and line ending from the start of the decoded text. The header
 * decides the delimiter: names rarely contain one, so the candidate that
 * appears most often outside quotes wins (`,` when there is a single column).
 * The line ending is the header's, or "mixed" when the rows read so far end
 * differently (the reader accepts any of them; this is for the report).
 */
export function sniffLayout(text: string, final: boolean): Pick<Dialect, "delimiter" | "newline"> | null {
  const { end, newline } = firstLineEnd(text);
  if (newline === null && !final) return null;
  const header = text.slice(0, end);
  const counts = new Map(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch as Dialect["delimiter"])) {
      counts.set(ch as Dialect["delimiter"], (counts.get(ch as Dialect["delimiter"]) ?? 0) + 1);
    }
  }
  let delimiter: Dialect["delimiter"] = ",";
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(delimiter) ?? 0)) delimiter = d;
  return { delimiter, newline: mixesLineEndings(text, final) ? "mixed" : (newline ?? "\n") };
}

export function describeDialect(d: Dialect) {
  const names = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe" } as const;
  return {
    encoding: d.encoding,
    bom: d.bom > 0,
    delimiter: names[d.delimiter],
    lineEnding: d.newline === "mixed" ? "mixed" : { "\r\n": "CRLF", "\n": "LF", "\r": "CR" }[d.newline],
  };
}
