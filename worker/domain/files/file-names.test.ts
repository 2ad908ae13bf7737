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
    [`${"a".repeat(300)}.csv`, /longer than 255/],
  ])("%j → %s", (name, problem) => {
    const result = fileNameProblem(name);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });
});
