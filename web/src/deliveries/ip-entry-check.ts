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
