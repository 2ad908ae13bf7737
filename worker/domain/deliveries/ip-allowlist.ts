/**
 * Allowed IP Addresses: each entry is a single IPv4/IPv6 address, a
 * hyphen-separated range of one family (`10.0.0.1-10.0.0.50`), or CIDR
 * (`10.0.0.0/24`, `2001:db8::/32`). Parsed with ipaddr.js; an empty list allows all.
 */
import ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";

export interface IpRange {
  family: IpFamily;
  /** Inclusive bounds as big-endian byte arrays of the family's length. */
  first: number[];
  last: number[];
  /** The entry in canonical form, as it is stored. */
  canonical: string;
}

export type ParsedEntry = { ok: true; range: IpRange } | { ok: false; error: string };

/** Converts IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to IPv4 so both spellings match the same rules. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const trimmed = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (!ipaddr.isValid(trimmed)) return null;
  // ipaddr.isValid accepts legacy IPv4 forms ("10", "0x0a.1"): only dotted quads are accepted here.
  if (!trimmed.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return null;
  return ipaddr.process(trimmed);
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function parseEntry(entry: string): ParsedEntry {
  const text = entry.trim();
  if (text === "") return { ok: false, error: "empty entry" };
  if (text.length > 100) return { ok: false, error: `"${text.slice(0, 40)}…" is too long` };

  if (text.includes("/")) {
    let cidr: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      cidr = ipaddr.parseCIDR(text);
    } catch {
      return { ok: false, error: `"${text}" is not a valid CIDR block` };
    }
    let [addr, bits] = cidr;
    if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    const family = addr.kind();
    const first = ipaddr.fromByteArray(
      family === "ipv4"
        ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toByteArray()
        : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`).toByteArray(),
    );
    const last =
      family === "ipv4"
        ? ipaddr.IPv4.broadcastAddressFromCIDR(`${addr.toString()}/${bits}`)
        : ipaddr.IPv6.broadcastAddressFromCIDR(`${addr.toString()}/${bits}`);
    return {
      ok: true,
      range: {
        family,
        first: first.toByteArray(),
        last: last.toByteArray(),
        canonical: `${first.toString()}/${bits}`,
      },
    };
  }

  const dash = text.indexOf("-");
  if (dash !== -1) {
    const fromText = text.slice(0, dash).trim();
    const toText = text.slice(dash + 1).trim();
    const from = parseAddress(fromText);
    const to = parseAddress(toText);
    if (!from) return { ok: false, error: `"${fromText}" in "${text}" is not an IP address` };
    if (!to) return { ok: false, error: `"${toText}" in "${text}" is not an IP address` };
    if (from.kind() !== to.kind()) {
      return { ok: false, error: `"${text}" mixes IPv4 and IPv6: a range must stay within one family` };
    }
    const first = from.toByteArray();
    const last = to.toByteArray();
    if (compare(first, last) > 0) {
      return { ok: false, error: `"${text}" is reversed: the first address is after the last` };
    }
    return {
      ok: true,
      range: { family: from.kind(), first, last, canonical: `${from.toString()}-${to.toString()}` },
    };
  }

  const addr = parseAddress(text);
  if (!addr) return { ok: false, error: `"${text}" is not an IP address, range or CIDR block` };
  const bytes = addr.toByteArray();
  return { ok: true, range: { family: addr.kind(), first: bytes, last: bytes, canonical: addr.toString() } };
}

export interface AllowListResult {
  ranges: IpRange[];
  errors: { index: number; entry: string; error: string }[];
}

export function parseAllowList(entries: readonly string[]): AllowListResult {
  const ranges: IpRange[] = [];
  const errors: AllowListResult["errors"] = [];
  entries.forEach((entry, index) => {
    const parsed = parseEntry(entry);
    if (parsed.ok) ranges.push(parsed.range);
    else errors.push({ index, entry, error: parsed.error });
  });
  return { ranges, errors };
}

/** Canonical address for logs and bans (`::ffff:1.2.3.4` → `1.2.3.4`), or null when not an IP. */
export function normalizeIp(ip: string): string | null {
  return parseAddress(ip)?.toString() ?? null;
}

/** True when `ip` falls inside any entry; an empty list allows every address. */
export function isIpAllowed(entries: readonly string[], ip: string): boolean {
  if (entries.length === 0) return true;
  const addr = parseAddress(ip);
  if (!addr) return false;
  const bytes = addr.toByteArray();
  const family = addr.kind();
  return parseAllowList(entries).ranges.some(
    (r) => r.family === family && compare(bytes, r.first) >= 0 && compare(bytes, r.last) <= 0,
  );
}
