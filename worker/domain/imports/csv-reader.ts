import Papa from "papaparse";
import { type Dialect, sniffEncoding, sniffLayout } from "./csv-dialect.ts";
import { rejectFile } from "./header.ts";
import { LineEndingNormaliser } from "./line-endings.ts";
import { createDecoder, type Encoding, encodedLength } from "./text-decoding.ts";

/** A CSV record with its number in the file (the header is record 1, as a spreadsheet shows it). */
export interface CsvRecord {
  number: number;
  fields: string[];
  /** Set when papaparse found a malformed quoted field in this record. */
  quoteProblem?: true;
}

/** Where reading resumes: the byte offset of the next record, and its number minus one. */
export interface ReadPosition {
  byteOffset: number;
  recordsRead: number;
}

export interface RecordBatch {
  records: CsvRecord[];
  /** The position just after the batch's last record: the checkpoint to save with it. */
  end: ReadPosition;
  done: boolean;
}

/** A record longer than this means an unclosed quote (or not a CSV): refuse rather than buffer it. */
export const MAX_RECORD_CHARS = 1024 * 1024;
/** Decoded text is handed to the parser in pieces of this size, so each parse call costs a bounded scan. */
const PIECE_CHARS = 64 * 1024;
const SNIFF_BYTES = 4096;

/**
 * The file's bytes from `offset` on; `onSize` learns the object's size before
 * the first chunk. A read resumed at (or past) the end yields nothing and makes
 * no ranged GET: R2 refuses a range that starts at the object's size.
 */
async function* bytesFrom(
  bucket: R2Bucket,
  key: string,
  offset: number,
  onSize: (size: number) => void = () => {},
): AsyncGenerator<Uint8Array> {
  if (offset > 0) {
    const head = await bucket.head(key);
    if (!head) throw new Error("the received file is missing from storage");
    onSize(head.size);
    if (offset >= head.size) return;
  }
  const object = await bucket.get(key, offset > 0 ? { range: { offset } } : undefined);
  if (!object) throw new Error("the received file is missing from storage");
  onSize(object.size);
  const reader = object.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength) yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * Detects the dialect from the start of the file: BOM or UTF-8 (or the encoding
 * forced after UTF-8 failed), then delimiter and line ending from the header.
 * Reads at most a few chunks.
 */
export async function detectDialect(bucket: R2Bucket, key: string, forced?: Encoding): Promise<Dialect> {
  let head: Uint8Array = new Uint8Array(0);
  let text = "";
  let sniffed: { encoding: Encoding; bom: number } | null = null;
  let decoder: ReturnType<typeof createDecoder> | null = null;
  const source = bytesFrom(bucket, key, 0);
  try {
    for (;;) {
      const next = await source.next();
      const chunk = next.done ? new Uint8Array(0) : next.value;
      if (!sniffed) {
        head = concat(head, chunk);
        if (head.length < SNIFF_BYTES && !next.done) continue;
        sniffed = sniffEncoding(head.subarray(0, SNIFF_BYTES));
        if (forced) sniffed = { encoding: forced, bom: sniffed.bom };
        if (head.length === sniffed.bom) throw rejectFile("The file is empty");
        decoder = createDecoder(sniffed.encoding);
        text += decoder.decode(head.subarray(sniffed.bom), !!next.done);
      } else text += (decoder as ReturnType<typeof createDecoder>).decode(chunk, !!next.done);
      const layout = sniffLayout(text, !!next.done);
      if (layout) {
        if (text.trim() === "") throw rejectFile("The file is empty");
        return { ...sniffed, ...layout };
      }
      if (text.length > MAX_RECORD_CHARS)
        throw rejectFile("The header row is longer than 1 MiB: this is not a CSV file");
      if (next.done) throw rejectFile("The file is empty");
    }
  } finally {
    await source.return(undefined);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Streams records from `from`, in batches of `batchSize`, through papaparse's
 * own chunk-parsing entry point (`Parser.parse(text, 0, ignoreLastRow)`, what
 * its streamers use): only one batch and one piece of text are in memory.
 * Records may end with CRLF, LF or CR, mixed (see line-endings.ts). The batch
 * that reaches the last byte of the file is `done`, and so is the (empty) one
 * read from a position at the end.
 */
export async function* readRecords(
  bucket: R2Bucket,
  key: string,
  dialect: Dialect,
  from: ReadPosition,
  batchSize: number,
): AsyncGenerator<RecordBatch> {
  const parser = new Papa.Parser({
    delimiter: dialect.delimiter,
    newline: "\n",
    quoteChar: '"',
    preview: batchSize,
    fastMode: false,
  });
  const decoder = createDecoder(dialect.encoding);
  const endings = new LineEndingNormaliser();
  // A CRLF that became LF lost its CR: one byte, or two in UTF-16.
  const crBytes = encodedLength("\r", dialect.encoding);
  let offset = Math.max(from.byteOffset, dialect.bom);
  let size = Number.POSITIVE_INFINITY;
  let recordsRead = from.recordsRead;
  let pending = "";
  let records: CsvRecord[] = [];
  let ended = false;

  const parsePending = function* (final: boolean): Generator<RecordBatch> {
    // Papaparse's last-row parse reads a line break at the very end as one more, empty record. So
    // terminated records are parsed as if more text followed; only an unterminated rest (or an
    // unclosed quote) is parsed as the last row.
    let lastRow = final && !pending.endsWith("\n");
    for (;;) {
      const res = parser.parse(pending, 0, !lastRow);
      const rows = res.data as string[][];
      const problems = new Set<number>((res.errors as { row?: number }[]).map((e) => e.row ?? -1));
      rows.forEach((fields, i) => {
        const rec: CsvRecord = { number: ++recordsRead, fields };
        if (problems.has(i)) rec.quoteProblem = true;
        if (fields.some((f) => f.includes("\u0000"))) {
          throw rejectFile(`The file is not CSV: row ${rec.number} contains binary data (NUL bytes)`);
        }
        records.push(rec);
      });
      const cursor = res.meta.cursor as number;
      offset += encodedLength(pending.slice(0, cursor), dialect.encoding) + endings.consume(cursor) * crBytes;
      pending = pending.slice(cursor);
      const full = records.length >= batchSize;
      // Every byte consumed and nothing held back: no record can follow, even before the stream says so.
      const atEnd = pending === "" && (final || offset >= size);
      if (full || atEnd) {
        yield { records, end: { byteOffset: offset, recordsRead }, done: atEnd };
        records = [];
        if (atEnd) {
          ended = true;
          return;
        }
        continue;
      }
      if (final && !lastRow) {
        lastRow = true;
        continue;
      }
      if (final) throw new Error("the parser stopped before the end of the file");
      return;
    }
  };

  const source = bytesFrom(bucket, key, offset, (n) => {
    size = n;
  });
  try {
    for (;;) {
      const next = await source.next();
      const decoded = next.done ? decoder.decode(new Uint8Array(0), true) : decoder.decode(next.value, false);
      const text = endings.push(decoded, !!next.done);
      for (let i = 0; i < text.length || (next.done && i === 0); i += PIECE_CHARS) {
        pending += text.slice(i, i + PIECE_CHARS);
        const last = !!next.done && i + PIECE_CHARS >= text.length;
        yield* parsePending(last);
        if (ended) return;
        if (pending.length > MAX_RECORD_CHARS) {
          throw rejectFile(`Row ${recordsRead + 1} is longer than 1 MiB: is a quote left unclosed?`);
        }
        if (last) return;
      }
    }
  } finally {
    await source.return(undefined);
  }
}
