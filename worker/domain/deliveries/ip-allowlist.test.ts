import { describe, expect, it } from "vitest";
import { isIpAllowed, normalizeIp, parseEntry } from "./ip-allowlist.ts";

describe("parsing Allowed IP Addresses entries", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["10.0.0.1-10.0.0.50", "10.0.0.1-10.0.0.50"],
    ["10.0.0.1 - 10.0.0.50", "10.0.0.1-10.0.0.50"],
    ["10.0.0.7-10.0.0.7", "10.0.0.7-10.0.0.7"],
    ["10.0.0.0/24", "10.0.0.0/24"],
    ["10.0.0.99/24", "10.0.0.0/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.0/120", "192.0.2.0/24"],
    ["::/0", "::/0"],
  ])("accepts %j as %j", (entry, canonical) => {
    const parsed = parseEntry(entry);
    expect(parsed).toMatchObject({ ok: true, range: { canonical } });
  });

  it.each([
    ["", /empty/],
    ["banana", /not an IP address/],
    ["10.0.0", /not an IP address/],
    ["10", /not an IP address/],
    ["256.1.1.1", /not an IP address/],
    ["10.0.0.50-10.0.0.1", /reversed/],
    ["2001:db8::ff-2001:db8::1", /reversed/],
    ["10.0.0.1-2001:db8::1", /mixes IPv4 and IPv6/],
    ["10.0.0.1-", /not an IP address/],
    ["10.0.0.0/33", /not a valid CIDR/],
    ["2001:db8::/129", /not a valid CIDR/],
    ["10.0.0.0/abc", /not a valid CIDR/],
    ["1.2.3.4; drop table", /not an IP address/],
  ])("rejects %j naming the problem", (entry, message) => {
    const parsed = parseEntry(entry);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe("matching a login's source address", () => {
  const list = ["203.0.113.7", "10.0.0.1-10.0.0.50", "192.168.1.0/24", "2001:db8::1-2001:db8::ff", "2001:db8:1::/48"];

  it.each([
    ["203.0.113.7", true],
    ["203.0.113.8", false],
    ["10.0.0.1", true],
    ["10.0.0.50", true],
    ["10.0.0.51", false],
    ["192.168.1.254", true],
    ["192.168.2.1", false],
    ["::ffff:10.0.0.20", true],
    ["::ffff:203.0.113.8", false],
    ["2001:db8::80", true],
    ["2001:db8::100", false],
    ["2001:db8:1:ffff::1", true],
    ["2001:db8:2::1", false],
    ["not-an-ip", false],
  ])("%s allowed: %s", (ip, allowed) => {
    expect(isIpAllowed(list, ip)).toBe(allowed);
  });

  it("allows every address when the list is empty", () => {
    expect(isIpAllowed([], "198.51.100.1")).toBe(true);
    expect(isIpAllowed([], "2001:db8::1")).toBe(true);
  });

  it("normalises IPv4-mapped IPv6 for logs and bans", () => {
    expect(normalizeIp("::ffff:198.51.100.1")).toBe("198.51.100.1");
    expect(normalizeIp("2001:0db8::0001")).toBe("2001:db8::1");
    expect(normalizeIp("nope")).toBeNull();
  });
});
