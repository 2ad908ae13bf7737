/**
 * PROXY protocol v1 (text) and v2 (binary) headers, as sent by HAProxy, AWS NLB, and other TCP
 * load balancers in front of the relay. Without it every login would come from the balancer's
 * address, and the Worker's IP allow-lists and bans would be useless.
 * Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
 */
import { Buffer } from "node:buffer";
import { isIPv4, isIPv6, type Socket } from "node:net";
import { RelayError } from "./errors.ts";

export type ProxyMode = "off" | "v1" | "v2" | "any";

export interface ProxyHeader {
  /** The real client address, or undefined for LOCAL/UNKNOWN (health checks): use the socket's. */
  sourceIp: string | undefined;
  sourcePort: number | undefined;
}

export type ParseResult = { done: false } | { done: true; header: ProxyHeader; consumed: number };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from("PROXY ");
const V1_MAX = 107;

/** `::ffff:10.0.0.1` → `10.0.0.1`, so one client has one address whichever socket family it used. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return (mapped?.[1] ?? ip).toLowerCase();
}

function bad(message: string): RelayError {
  return new RelayError("bad_proxy_header", `PROXY protocol: ${message}`);
}

/** Parses a header at the start of `buf`; `{done:false}` means "need more bytes". */
export function parseProxyHeader(buf: Buffer, mode: Exclude<ProxyMode, "off">): ParseResult {
  const isPrefixOf = (sig: Buffer) =>
    buf.subarray(0, sig.length).equals(sig.subarray(0, Math.min(buf.length, sig.length)));
  if (mode !== "v1" && isPrefixOf(V2_SIGNATURE)) {
    return buf.length < V2_SIGNATURE.length ? { done: false } : parseV2(buf);
  }
  if (mode !== "v2" && isPrefixOf(V1_PREFIX)) return parseV1(buf);
  throw bad(`expected a ${mode === "any" ? "v1 or v2" : mode} header`);
}

function parseV1(buf: Buffer): ParseResult {
  const end = buf.indexOf("\r\n");
  if (end === -1) {
    if (buf.length >= V1_MAX) throw bad("v1 header too long");
    return { done: false };
  }
  if (end + 2 > V1_MAX) throw bad("v1 header too long");
  const fields = buf.subarray(0, end).toString("latin1").split(" ");
  const consumed = end + 2;
  if (fields[1] === "UNKNOWN") return { done: true, header: { sourceIp: undefined, sourcePort: undefined }, consumed };
  const [, proto, src, dst, srcPort, dstPort] = fields;
  const validIp = proto === "TCP4" ? isIPv4 : proto === "TCP6" ? isIPv6 : undefined;
  if (fields.length !== 6 || !validIp || !validIp(src ?? "") || !validIp(dst ?? "")) throw bad("malformed v1 header");
  const port = Number(srcPort);
  if (!/^\d{1,5}$/.test(srcPort ?? "") || !/^\d{1,5}$/.test(dstPort ?? "") || port > 65535) throw bad("bad v1 port");
  return { done: true, header: { sourceIp: normalizeIp(src as string), sourcePort: port }, consumed };
}

function parseV2(buf: Buffer): ParseResult {
  if (buf.length < 16) return { done: false };
  const versionCommand = buf[12] as number;
  const family = buf[13] as number;
  const length = buf.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) throw bad("unsupported v2 version");
  if (buf.length < 16 + length) return { done: false };
  const consumed = 16 + length;
  const command = versionCommand & 0x0f;
  const unknown = { done: true as const, header: { sourceIp: undefined, sourcePort: undefined }, consumed };
  if (command === 0) return unknown; // LOCAL: the balancer's own health check
  if (command !== 1) throw bad("unsupported v2 command");
  const body = buf.subarray(16, consumed);
  const addressFamily = family >> 4;
  if (addressFamily === 1 && length >= 12) {
    const ip = `${body[0]}.${body[1]}.${body[2]}.${body[3]}`;
    return { done: true, header: { sourceIp: ip, sourcePort: body.readUInt16BE(8) }, consumed };
  }
  if (addressFamily === 2 && length >= 36) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(i).toString(16));
    const ip = normalizeIp(compressIpv6(groups));
    return { done: true, header: { sourceIp: ip, sourcePort: body.readUInt16BE(32) }, consumed };
  }
  return unknown; // AF_UNSPEC or AF_UNIX: no usable address
}

function compressIpv6(groups: string[]): string {
  const full = groups.join(":");
  // Replace the longest run of zero groups with "::", as the canonical text form does.
  let best = "";
  for (const match of `:${full}:`.matchAll(/(?::0)+:/g)) if (match[0].length > best.length) best = match[0];
  return best.length > 3 ? `:${full}:`.replace(best, "::").replace(/^:(?!:)|(?<!:):$/g, "") : full;
}

/**
 * Reads the PROXY header from a fresh socket, then puts any bytes after it back so the SSH layer
 * sees the stream exactly as the client sent it. Rejects on a malformed header or timeout.
 */
export function readProxyHeader(
  socket: Socket,
  mode: Exclude<ProxyMode, "off">,
  timeoutMs: number,
): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.pause();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(bad("timed out waiting for the header"));
    }, timeoutMs);
    const onClose = () => {
      cleanup();
      reject(bad("connection closed before the header"));
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let result: ParseResult;
      try {
        result = parseProxyHeader(buffered, mode);
      } catch (err) {
        cleanup();
        reject(err);
        return;
      }
      if (!result.done) {
        if (buffered.length > 16 + 65535) onClose();
        return;
      }
      cleanup();
      const rest = buffered.subarray(result.consumed);
      if (rest.length > 0) socket.unshift(rest);
      resolve(result.header);
    };
    socket.on("data", onData);
    socket.once("close", onClose);
  });
}
