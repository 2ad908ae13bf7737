/**
 * A light, as-you-type check of one Allowed IP Addresses entry, with the same
 * grammar as the Worker's (worker/domain/deliveries/ip-allowlist.ts): a single
 * IPv4/IPv6 address, a hyphen range within one family, or CIDR. The Worker's
 * answer on Update is the one that counts.
 */
import ipaddr from "ipaddr.js";

export type EntryCheck = { ok: true; description: string } | { ok: false; message: string };

function address(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const t = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (!ipaddr.isValid(t)) return null;
  if (!t.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(t)) return null;
  return ipaddr.process(t);
}

const family = (a: ipaddr.IPv4 | ipaddr.IPv6) => (a.kind() === "ipv4" ? "IPv4" : "IPv6");

export function checkEntry(entry: string): EntryCheck {
  const text = entry.trim();
  if (text === "") return { ok: false, message: "Enter an address, a range or a CIDR block" };
  if (text.includes("/")) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(text);
      return { ok: true, description: `${family(addr)} block (/${bits})` };
    } catch {
      return { ok: false, message: "Not a valid CIDR block, e.g. 203.0.113.0/24" };
    }
  }
  const dash = text.indexOf("-");
  if (dash !== -1) {
    const from = address(text.slice(0, dash));
    const to = address(text.slice(dash + 1));
    if (!from || !to) return { ok: false, message: "A range is two addresses joined by a hyphen" };
    if (from.kind() !== to.kind()) return { ok: false, message: "A range must stay within IPv4 or IPv6" };
    const a = from.toByteArray();
    const b = to.toByteArray();
    const i = a.findIndex((byte, k) => byte !== b[k]);
    if (i !== -1 && (a[i] ?? 0) > (b[i] ?? 0)) return { ok: false, message: "The first address is after the last" };
    return { ok: true, description: `${family(from)} range` };
  }
  const single = address(text);
  if (!single) return { ok: false, message: "Not an IP address, range or CIDR block" };
  return { ok: true, description: `${family(single)} address` };
}

interface Range {
  kind: "ipv4" | "ipv6";
  first: number[];
  last: number[];
}

const compare = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

/** The addresses one valid entry covers, as the Worker reads it (IPv4-mapped IPv6 blocks count as IPv4); null when invalid. */
function rangeOf(entry: string): Range | null {
  const text = entry.trim();
  if (!checkEntry(text).ok) return null;
  if (text.includes("/")) {
    let [addr, bits] = ipaddr.parseCIDR(text);
    if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    const cidr = `${addr.toString()}/${bits}`;
    const net = addr.kind() === "ipv4" ? ipaddr.IPv4 : ipaddr.IPv6;
    return {
      kind: addr.kind(),
      first: net.networkAddressFromCIDR(cidr).toByteArray(),
      last: net.broadcastAddressFromCIDR(cidr).toByteArray(),
    };
  }
  const dash = text.indexOf("-");
  const from = address(dash === -1 ? text : text.slice(0, dash));
  const to = address(dash === -1 ? text : text.slice(dash + 1));
  if (!from || !to) return null;
  return { kind: from.kind(), first: from.toByteArray(), last: to.toByteArray() };
}

/**
 * Whether a login from `ip` would pass this (possibly unsaved) Allowed IP list.
 * Invalid entries are ignored (the Worker refuses to save them); a list with no
 * valid entry allows everyone, as an empty list does. `::ffff:1.2.3.4` is 1.2.3.4.
 */
export function makeIpMatcher(entries: readonly string[]): (ip: string) => boolean {
  const ranges = entries.map(rangeOf).filter((r): r is Range => r !== null);
  if (ranges.length === 0) return () => true;
  return (ip) => {
    const addr = address(ip);
    if (!addr) return false;
    const bytes = addr.toByteArray();
    return ranges.some((r) => r.kind === addr.kind() && compare(bytes, r.first) >= 0 && compare(bytes, r.last) <= 0);
  };
}
