import { describe, expect, it } from "vitest";
import { type CsvRecord, detectDialect, type ReadPosition, type RecordBatch, readRecords } from "./csv-reader.ts";

/**
 * A bucket holding one object, streamed in chunks of `chunk` bytes, that
 * refuses a range starting at the object's size as R2 does, and records the
 * offset of every GET.
 */
function bucketOf(bytes: Uint8Array, chunk = Math.max(1, bytes.length)) {
  const gets: number[] = [];
  const bucket = {
    async head() {
      return { size: bytes.length };
    },
    async get(_key: string, options?: { range?: { offset: number } }) {
      const offset = options?.range?.offset ?? 0;
      if (offset > 0 && offset >= bytes.length) throw new Error("get: The requested range is not satisfiable (10039)");
      gets.push(offset);
      const rest = bytes.slice(offset);
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= rest.length) return controller.close();
          controller.enqueue(rest.slice(at, at + chunk));
          at += chunk;
        },
      });
      return { size: bytes.length, body };
    },
  } as unknown as R2Bucket;
  return { bucket, gets };
}

async function readAll(bucket: R2Bucket, from: ReadPosition, batchSize: number) {
  const dialect = await detectDialect(bucket, "f");
  const batches: RecordBatch[] = [];
  for await (const batch of readRecords(bucket, "f", dialect, from, batchSize)) batches.push(batch);
  return batches;
}

const fieldsOf = (records: CsvRecord[]) => records.map((r) => r.fields);
const utf8 = (text: string) => new TextEncoder().encode(text);
function utf16le(text: string) {
  const out = new Uint8Array(2 + text.length * 2);
  out.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    out[2 + i * 2] = text.charCodeAt(i) & 0xff;
    out[3 + i * 2] = text.charCodeAt(i) >> 8;
  }
  return out;
}

const START = { byteOffset: 0, recordsRead: 0 };

describe("reading records", () => {
  it("ends the read with the batch that reaches the file's last byte", async () => {
    const bytes = utf8("Email\na@example.com\nb@example.com\nc@example.com\n");
    const batches = await readAll(bucketOf(bytes).bucket, START, 2);
    expect(batches.map((b) => [b.records.length, b.done])).toEqual([
      [2, false],
      [2, true],
    ]);
    expect(batches[1]?.end).toEqual({ byteOffset: bytes.length, recordsRead: 4 });
  });

  it("yields one empty, done batch without a ranged GET when resumed at the end of the file", async () => {
    const bytes = utf8("Email\na@example.com\n");
    const { bucket, gets } = bucketOf(bytes);
    const end = { byteOffset: bytes.length, recordsRead: 2 };
    expect(await readAll(bucket, end, 2)).toEqual([{ records: [], end, done: true }]);
    expect(gets).toEqual([0]); // the dialect's read from the start, nothing more
  });

  it("ends records at CRLF, LF or CR, mixed, and stores line breaks inside quoted cells as LF", async () => {
    const text = 'Email,Note\r\na@x.org,"one\r\ntwo"\nb@x.org,"three\rfour"\rc@x.org,five\r\nd@x.org,"six\nseven"\r';
    const expected = [
      ["Email", "Note"],
      ["a@x.org", "one\ntwo"],
      ["b@x.org", "three\nfour"],
      ["c@x.org", "five"],
      ["d@x.org", "six\nseven"],
    ];
    for (const bytes of [utf8(text), utf16le(text)]) {
      for (const chunk of [1, 2, 3, 7, bytes.length]) {
        const batches = await readAll(bucketOf(bytes, chunk).bucket, START, 100);
        expect(fieldsOf(batches.flatMap((b) => b.records))).toEqual(expected);
        expect(batches.at(-1)?.end.byteOffset).toBe(bytes.length);
      }
    }
  });

  it("resumes exactly after every record, whatever line endings came before", async () => {
    const text = 'Email,Note\r\na@x.org,"one\r\ntwo"\nb@x.org,"Zoë\r🦄"\rc@x.org,five\r\n\r\nd@x.org,six';
    for (const bytes of [utf8(text), utf16le(text)]) {
      const { bucket } = bucketOf(bytes, 5);
      const all = (await readAll(bucket, START, 100)).flatMap((b) => b.records);
      for (const batch of await readAll(bucket, START, 1)) {
        const rest = (await readAll(bucket, batch.end, 100)).flatMap((b) => b.records);
        expect(rest).toEqual(all.slice(batch.end.recordsRead));
      }
    }
  });

  it("reports a file whose rows end differently as mixed, and the header's line ending otherwise", async () => {
    const dialect = (text: string) => detectDialect(bucketOf(utf8(text)).bucket, "f");
    expect((await dialect("Email\r\na@x.org\nb@x.org\r\n")).newline).toBe("mixed");
    expect((await dialect('Email\r\n"a@x.org\n"\r\nb@x.org\r\n')).newline).toBe("\r\n");
    expect((await dialect("Email\rb@x.org\r")).newline).toBe("\r");
  });
});
