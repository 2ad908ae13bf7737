import { afterEach, describe, expect, it, vi } from "vitest";
import { consoleLogger, logValue } from "./log.ts";

describe("logValue", () => {
  it("prints plain values bare and quotes values with spaces, quotes or '='", () => {
    expect(logValue("users.csv")).toBe("users.csv");
    expect(logValue("Users 2026.csv")).toBe('"Users 2026.csv"');
    expect(logValue('a"b=c')).toBe('"a\\"b=c"');
  });

  it.each([
    ["an ANSI escape", "\x1b[31mroot", '"\\u001b[31mroot"'],
    ["CR and LF", "a\r\nb", '"a\\r\\nb"'],
    ["NUL", "a\0b", '"a\\u0000b"'],
    ["DEL", "a\x7fb", '"a\\u007fb"'],
    ["a C1 CSI", "a\x9b31mb", '"a\\u009b31mb"'],
    ["a right-to-left override", "invoice\u202egpj.csv", '"invoice\\u202egpj.csv"'],
    ["a zero-width space", "us\u200bers.csv", '"us\\u200bers.csv"'],
    ["a line separator", "a\u2028b", '"a\\u2028b"'],
    ["an astral format character", "a\u{e0001}b", '"a\\udb40\\udc01b"'],
  ])("escapes %s", (_, raw, printed) => {
    expect(logValue(raw)).toBe(printed);
    expect(JSON.parse(printed)).toBe(raw);
  });

  it("leaves printable non-ASCII names readable", () => {
    expect(logValue("café-名前.csv")).toBe("café-名前.csv");
    expect(logValue("us\u0435rs.csv")).toBe("us\u0435rs.csv");
  });
});

describe("consoleLogger", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("writes no raw control character a client put in a field", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    consoleLogger.info("login refused", { user: "\x1b]0;pwned\x07\x1b[2J", ip: "127.0.0.1" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ info login refused user="\\u001b\]0;pwned\\u0007\\u001b\[2J" ip=127\.0\.0\.1$/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw controls is the point
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
