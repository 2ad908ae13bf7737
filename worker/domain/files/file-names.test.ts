import { describe, expect, it } from "vitest";
import { fileNameProblem, isTestFileName } from "./file-names.ts";

describe("Test files", () => {
  it.each(["Users Test.csv", "test_users.csv", "users-TEST-2.csv", "test.csv", "projects.test.csv", "TEST users.csv"])(
    "%s is a Test file",
    (name) => expect(isTestFileName(name)).toBe(true),
  );
  it.each(["contest.csv", "users.csv", "testing.csv", "latest.csv", "attestation.csv", "users.test"])(
    "%s is not a Test file",
    (name) => expect(isTestFileName(name)).toBe(false),
  );
});

describe("received file names", () => {
  it.each([
    ["users.csv", null],
    ["Users 2026-11-23.CSV", null],
    ["", /empty/],
    ["../etc/passwd.csv", /path/],
    ["a\\b.csv", /path/],
    ["bad\u0000name.csv", /control/],
    ["line\nbreak.csv", /control/],
    ["report.xlsx", /only \.csv/],
    [`${"a".repeat(300)}.csv`, /longer than 255 bytes/],
    // Counted in UTF-8 bytes, as the relay and file systems count: 252 + 4 bytes is one too many.
    [`${"é".repeat(126)}.csv`, /longer than 255 bytes/],
    [`${"é".repeat(125)}.csv`, null],
    ["c1control.csv", /control/],
    ["del.csv", /control/],
    [".csv", /nothing before \.csv/],
    [".CSV", /nothing before \.csv/],
    ["a.csv", null],
  ])("%j → %s", (name, problem) => {
    const result = fileNameProblem(name);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });
});
