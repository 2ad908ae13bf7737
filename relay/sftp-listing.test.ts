import { describe, expect, it } from "vitest";
import { fileAttrs, longname, rootEntries } from "./sftp-listing.ts";

describe("longname", () => {
  const noon = Date.UTC(2026, 10, 23, 12, 5) / 1000;

  it("looks like ls -l with the time for recent files", () => {
    expect(longname("users.csv", fileAttrs(1234, noon), noon + 60)).toBe(
      "-rw-r--r--    1 sftp     sftp         1234 Nov 23 12:05 users.csv",
    );
  });

  it("shows the year for files older than six months", () => {
    expect(longname("old.csv", fileAttrs(1, noon), noon + 365 * 86400)).toMatch(/ Nov 23 {2}2026 old\.csv$/);
  });
});

describe("rootEntries", () => {
  it("lists the results folder and each name once, keeping the newest", () => {
    const entries = rootEntries([
      { name: "a.csv", size: 2, mtime: 200 },
      { name: "a.csv", size: 1, mtime: 100 },
      { name: "b.csv", size: 3, mtime: 50 },
    ]);
    expect(entries.map((e) => [e.filename, e.attrs.size])).toEqual([
      ["results", 0],
      ["a.csv", 2],
      ["b.csv", 3],
    ]);
    expect(entries[0]?.longname.startsWith("d")).toBe(true);
  });
});
