/**
 * Where webhooks may be sent. Production: public `https` hosts only, never a
 * private, loopback, link-local or otherwise reserved address (SSRF). In
 * development, `localhost`/loopback is also allowed, over `http` too, so a
 * local receiver works. Checked when an endpoint is saved and again before
 * every send. Host names are not resolved here: Cloudflare's own fetch refuses
 * to connect to private addresses a public name points at.
 */
export function webhookUrlProblem(raw: string, env: "production" | "development"): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (raw.length > 2048) return "must be at most 2048 characters";
  if (url.username || url.password) return "must not contain a user name or password";
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const loopback = isLoopback(host);
  if (loopback) {
    if (env !== "development") return "must not point at a loopback address";
    if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https";
    return null;
  }
  if (url.protocol !== "https:") {
    return env === "development" ? "must use https (http only for localhost in development)" : "must use https";
  }
  if (isReservedHost(host)) return "must point at a public host, not a private or reserved address";
  return null;
}

function isLoopback(host: string) {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = ipv4(host);
  if (v4) return v4[0] === 127;
  const v6 = ipv6(host);
  if (!v6) return false;
  if (v6.every((w, i) => w === (i === 7 ? 1 : 0))) return true;
  const mapped = mappedIpv4(v6);
  return mapped !== null && mapped[0] === 127;
}

function isReservedHost(host: string) {
  const v4 = ipv4(host);
  if (v4) return isReservedIpv4(v4);
  const v6 = ipv6(host);
  if (v6) return isReservedIpv6(v6);
  // Names that only resolve inside a network.
  if (!host.includes(".")) return true;
  return [".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp"].some((s) => host.endsWith(s));
}

/** The WHATWG URL parser already normalised odd forms (`0x7f.1`, `2130706433`) to dotted quads. */
function ipv4(host: string): number[] | null {
  const m = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isReservedIpv4([a = 0, b = 0, c = 0]: number[]) {
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a >= 224 // multicast, reserved, broadcast
  );
}

/** Eight 16-bit words, or null when `host` is not an IPv6 literal. */
function ipv6(host: string): number[] | null {
  if (!host.includes(":")) return null;
  let text = host;
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail?.[1]) {
    const v4 = ipv4(tail[1]);
    if (!v4) return null;
    text = `${text.slice(0, -tail[1].length)}${((v4[0] ?? 0) * 256 + (v4[1] ?? 0)).toString(16)}:${((v4[2] ?? 0) * 256 + (v4[3] ?? 0)).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const words = (s: string | undefined) => (s ? s.split(":").map((w) => Number.parseInt(w, 16)) : []);
  const head = words(halves[0]);
  const rest = words(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const all = [...head, ...Array<number>(Math.max(fill, 0)).fill(0), ...rest];
  if (all.length !== 8 || all.some((w) => Number.isNaN(w) || w < 0 || w > 0xffff)) return null;
  return all;
}

function mappedIpv4(w: number[]): number[] | null {
  const prefixZero = w.slice(0, 5).every((x) => x === 0);
  if (!prefixZero || (w[5] !== 0xffff && w[5] !== 0)) return null;
  const hi = w[6] ?? 0;
  const lo = w[7] ?? 0;
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

function isReservedIpv6(w: number[]) {
  const first = w[0] ?? 0;
  if (w.every((x) => x === 0)) return true; // unspecified
  const mapped = mappedIpv4(w);
  if (mapped) return true; // IPv4-mapped/compatible: no reason to use them for a webhook
  if (first === 0x64 && w[1] === 0xff9b) return true; // NAT64
  return (
    (first & 0xfe00) === 0xfc00 || // unique local
    (first & 0xffc0) === 0xfe80 || // link-local
    (first & 0xffc0) === 0xfec0 || // site-local (deprecated)
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x2001 && w[1] === 0x0db8) // documentation
  );
}
