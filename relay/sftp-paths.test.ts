import { describe, expect, it } from "vitest";
import { normalizePath, parseUploadPath } from "./sftp-paths.ts";

describe("normalizePath", () => {
  it("resolves '.', relative paths and inner '..' against the root", () => {
    expect(normalizePath(".")).toBe("/");
    expect(normalizePath("")).toBe("/");
    expect(normalizePath("a.csv")).toBe("/a.csv");
    expect(normalizePath("/results/../x//./y.csv")).toBe("/x/y.csv");
  });

  it("refuses to climb above the root, except when clamping like a chroot", () => {
    expect(() => normalizePath("../etc/passwd")).toThrow(/leaves the root/);
    expect(normalizePath("/..", { clamp: true })).toBe("/");
  });

  it("refuses NUL and control characters", () => {
    expect(() => normalizePath("a\u0000.csv")).toThrow(/control/);
    expect(() => normalizePath("a\n.csv")).toThrow(/control/);
  });
});

describe("parseUploadPath", () => {
  it("accepts .csv in any case at the top folder", () => {
    expect(parseUploadPath("/Users.CSV")).toEqual({
      openedName: "Users.CSV",
      finalName: "Users.CSV",
      isTemp: false,
    });
  });

  it.each([
    ["users.csv.filepart", "users.csv"],
    ["users.csv.part", "users.csv"],
    ["users.csv.tmp", "users.csv"],
    ["users.csv~", "users.csv"],
    ["users.csv.hG3k9a.partial", "users.csv"],
    [".in.users.csv.", "users.csv"],
  ])("imports the temp name %s under %s", (opened, final) => {
    expect(parseUploadPath(`/${opened}`)).toEqual({ openedName: opened, finalName: final, isTemp: true });
  });

  it("refuses other extensions with the message clients show", () => {
    expect(() => parseUploadPath("/users.xlsx")).toThrow("only .csv files are accepted");
    expect(() => parseUploadPath("/users.txt.part")).toThrow("only .csv files are accepted");
  });

  it("refuses uploads into folders", () => {
    expect(() => parseUploadPath("/results/a.csv")).toThrow(/top folder/);
  });

  it("refuses Windows-style folders, which the Worker would refuse as a path", () => {
    expect(() => parseUploadPath("..\\win.csv")).toThrow("files can only be uploaded to the top folder");
    expect(() => parseUploadPath("/sub\\file.csv.part")).toThrow(/top folder/);
  });
});
