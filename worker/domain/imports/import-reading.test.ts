import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { depsFromEnv } from "../../deps-from-env.ts";
import { errorsOf, peopleOf, receive, runOf, runToEnd, setup } from "../../test/imports.ts";
import { purgeStaging } from "./reprocess.ts";
import { MAX_FILE_BYTES } from "./run-import.ts";

function utf16(text: string, bigEndian: boolean) {
  const out = new Uint8Array(2 + text.length * 2);
  out.set(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + i * 2] = bigEndian ? c >> 8 : c & 0xff;
    out[3 + i * 2] = bigEndian ? c & 0xff : c >> 8;
  }
  return out;
}

/** Latin-1 subset of Windows-1252 is enough for names like Zoë Müller; € is 0x80. */
function cp1252(text: string) {
  return Uint8Array.from([...text].map((ch) => (ch === "€" ? 0x80 : ch.charCodeAt(0))));
}

async function importOne(name: string, content: string | Uint8Array) {
  const s = await setup();
  const fileId = await receive(s, name, content);
  await runToEnd(s, fileId);
  return { s, fileId, run: await runOf(fileId), people: await peopleOf(s.t.accountId) };
}

const zoe = (people: Record<string, unknown>[]) => people.find((p) => p.email === "zoe@example.com");

describe("reading CSV files", () => {
  it("reads an Excel export: UTF-8 BOM, semicolons and CRLF", async () => {
    const { run, people } = await importOne(
      "excel.csv",
      "\ufeffEmail;First Name;Last Name\r\nzoe@example.com;Zoë;Müller\r\n",
    );
    expect(run.status).toBe("applied");
    expect(run.dialect).toMatchObject({ encoding: "utf-8", bom: true, delimiter: "semicolon", lineEnding: "CRLF" });
    expect(zoe(people)).toMatchObject({ first_name: "Zoë", last_name: "Müller" });
  });

  it("reads Windows-1252 when the bytes are not UTF-8", async () => {
    const { run, people } = await importOne(
      "ansi.csv",
      cp1252("Email,First Name,Last Name,Department\r\nzoe@example.com,Zoë,Müller,R€D\r\n"),
    );
    expect(run.dialect).toMatchObject({ encoding: "windows-1252" });
    expect(zoe(people)).toMatchObject({ first_name: "Zoë", last_name: "Müller", department: "R€D" });
  });

  it("re-reads from the start as Windows-1252 when an invalid byte follows committed UTF-8 text", async () => {
    const utf8 = new TextEncoder().encode("Email,First Name,Last Name\nana@example.com,Ana,Ñúñez\n");
    const ansi = cp1252("zoe@example.com,Zoë,Müller\n");
    const bytes = new Uint8Array([...utf8, ...ansi]);
    const s = await setup();
    const fileId = await receive(s, "mixed.csv", bytes);
    await runToEnd(s, fileId, { batchRows: 1, sliceRows: 100 });
    const run = await runOf(fileId);
    expect(run.status).toBe("applied");
    expect(run.dialect.encoding).toBe("windows-1252");
    expect(run.counts).toMatchObject({ rows: 2, created: 2 });
    expect(zoe(await peopleOf(s.t.accountId))).toMatchObject({ first_name: "Zoë" });
  });

  it("reads UTF-16 LE and BE with a BOM, tab-delimited", async () => {
    for (const be of [false, true]) {
      const { run, people } = await importOne(
        "u16.csv",
        utf16("Email\tFirst Name\tLast Name\r\nzoe@example.com\tZoë\tMüller\r\n", be),
      );
      expect(run.dialect).toMatchObject({ encoding: be ? "utf-16be" : "utf-16le", delimiter: "tab" });
      expect(zoe(people)).toMatchObject({ first_name: "Zoë", last_name: "Müller" });
    }
  });

  it("detects pipe delimiters", async () => {
    const { run, people } = await importOne("pipe.csv", "Email|First Name|Last Name\nzoe@example.com|Zoë|Müller");
    expect(run.dialect.delimiter).toBe("pipe");
    expect(zoe(people)).toMatchObject({ last_name: "Müller" });
  });

  it("reads quoted fields with delimiters, doubled quotes and line breaks, and numbers rows as a spreadsheet does", async () => {
    const { fileId, run, people } = await importOne(
      "quoted.csv",
      'Email,First Name,Last Name,Department\n"zoe@example.com","Zoë","Müller, Jr.","R&D\nLab ""North"""\nbad-email,A,B,C\n\n\n',
    );
    expect(run.counts).toMatchObject({ rows: 2, created: 1, skipped: 1 });
    expect(zoe(people)).toMatchObject({ last_name: "Müller, Jr.", department: 'R&D\nLab "North"' });
    expect(await errorsOf(fileId)).toEqual([
      { row_number: 3, column: "Email", reason: "is not an email address", value: "bad-email" },
    ]);
  });

  it("accepts a file with only a header and applies nothing", async () => {
    const { run } = await importOne("header.csv", "Email,First Name\r\n");
    expect(run.status).toBe("applied");
    expect(run.counts).toMatchObject({ rows: 0, created: 0 });
  });

  it("matches headers ignoring case, spaces and punctuation", async () => {
    const { run, people } = await importOne(
      "h.csv",
      "EMAIL,first_name,LASTNAME,cost-centre\nzoe@example.com,Zoë,Müller,CC1\n",
    );
    expect(run.status).toBe("applied");
    expect(zoe(people)).toMatchObject({ first_name: "Zoë" });
  });
});

describe("whole-file rejects apply nothing", () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["rejects an empty file", "", /empty/],
    ["rejects a file with only blank space", "\r\n\r\n", /empty|no header/],
    ["rejects binary data", new Uint8Array([0x45, 0x6d, 0x00, 0x01, 0x02, 0x0a]), /not CSV: it contains binary/],
    ["rejects an Excel workbook", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), /Excel workbook/],
    ["rejects a file without a header row", "zoe@example.com,Zoë,Müller\n", /no header row/],
    [
      "rejects an unknown header naming the nearest one",
      "Email,Frist Name\nzoe@example.com,Zoë\n",
      /Unknown column "Frist Name" \(did you mean "First Name"\?\)/,
    ],
    [
      "rejects a duplicated header",
      "Email,First Name,first_name\nzoe@example.com,A,B\n",
      /Duplicated column: "First Name" and "first_name"/,
    ],
    ["rejects a missing key column", "First Name,Last Name\nZoë,Müller\n", /required column "Email" is missing/],
    [
      "rejects duplicate keys naming the rows",
      "Email\nzoe@example.com\nsam@example.com\nZOE@example.com\n",
      /Duplicate Email in the file: "zoe@example.com" on rows 2, 4/,
    ],
    [
      "rejects ragged rows beyond the tolerance",
      `Email,First Name,Last Name\n${Array.from({ length: 12 }, (_, i) => `u${i}@example.com,A`).join("\n")}\n`,
      /12 rows have a different number of fields/,
    ],
  ];
  for (const [name, content, message] of cases) {
    it(name, async () => {
      const { run, people } = await importOne("users.csv", content);
      expect(run.status).toBe("rejected");
      expect(run.message).toMatch(message);
      expect(people.filter((p) => p.email !== undefined && !String(p.email).startsWith("admin-"))).toEqual([]);
      // What was staged goes with the cron's retention sweep.
      await purgeStaging(depsFromEnv(env));
      const staged = await env.DB.prepare("SELECT count(*) AS n FROM import_rows WHERE run_id = ?")
        .bind(run.id)
        .first<{ n: number }>();
      expect(staged?.n).toBe(0);
    });
  }

  it("rejects a file over the size limit before reading it", async () => {
    const s = await setup();
    const fileId = await receive(s, "big.csv", "Email\nzoe@example.com\n");
    await env.DB.prepare("UPDATE received_files SET size = ? WHERE id = ?")
      .bind(MAX_FILE_BYTES + 1, fileId)
      .run();
    await runToEnd(s, fileId);
    const run = await runOf(fileId);
    expect(run.status).toBe("rejected");
    expect(run.message).toMatch(/larger than the 512 MiB limit/);
  });

  it("tolerates a few ragged rows as row errors", async () => {
    const { fileId, run } = await importOne(
      "r.csv",
      "Email,First Name,Last Name\nzoe@example.com,Zoë\nsam@example.com,Sam,Lee\n",
    );
    expect(run.status).toBe("applied");
    expect(run.counts).toMatchObject({ created: 1, skipped: 1 });
    expect((await errorsOf(fileId))[0]).toMatchObject({
      row_number: 2,
      column: "(row)",
      reason: "has 2 fields; the header has 3",
    });
  });
});
