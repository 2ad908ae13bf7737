import { Buffer } from "node:buffer";
import { connect, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { normalizeIp, parseProxyHeader, readProxyHeader } from "./proxy-protocol.ts";

function v2(family: number, command: number, address: Buffer): Buffer {
  const head = Buffer.from([
    0x0d,
    0x0a,
    0x0d,
    0x0a,
    0x00,
    0x0d,
    0x0a,
    0x51,
    0x55,
    0x49,
    0x54,
    0x0a,
    0x20 | command,
    family,
    0,
    0,
  ]);
  head.writeUInt16BE(address.length, 14);
  return Buffer.concat([head, address]);
}

describe("parseProxyHeader", () => {
  it("reads the client address from a v1 TCP4 header", () => {
    const buf = Buffer.from("PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\nSSH-2.0-x");
    expect(parseProxyHeader(buf, "v1")).toEqual({
      done: true,
      header: { sourceIp: "203.0.113.7", sourcePort: 51234 },
      consumed: 44,
    });
  });

  it("reads v1 TCP6 and normalises an IPv4-mapped address", () => {
    const result = parseProxyHeader(Buffer.from("PROXY TCP6 ::ffff:198.51.100.2 ::1 1 2\r\n"), "any");
    expect(result).toMatchObject({ header: { sourceIp: "198.51.100.2" } });
  });

  it("asks for more bytes until the v1 line ends, and treats UNKNOWN as no address", () => {
    expect(parseProxyHeader(Buffer.from("PROXY TCP4 1.2"), "v1")).toEqual({ done: false });
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"), "v1")).toMatchObject({
      header: { sourceIp: undefined },
    });
  });

  it("reads v2 IPv4 and IPv6 addresses and skips TLVs", () => {
    const ipv4 = Buffer.from([192, 0, 2, 9, 10, 0, 0, 1, 0x1f, 0x90, 0x08, 0xae, 0x03, 0x00, 0x01, 0xff]);
    expect(parseProxyHeader(v2(0x11, 1, ipv4), "v2")).toEqual({
      done: true,
      header: { sourceIp: "192.0.2.9", sourcePort: 8080 },
      consumed: 32,
    });
    const ipv6 = Buffer.alloc(36);
    Buffer.from("20010db8000000000000000000000005", "hex").copy(ipv6, 0);
    ipv6.writeUInt16BE(4000, 32);
    expect(parseProxyHeader(v2(0x21, 1, ipv6), "any")).toMatchObject({
      header: { sourceIp: "2001:db8::5", sourcePort: 4000 },
    });
  });

  it("treats a v2 LOCAL command (health check) as no address", () => {
    expect(parseProxyHeader(v2(0x00, 0, Buffer.alloc(0)), "v2")).toMatchObject({
      header: { sourceIp: undefined },
    });
  });

  it("refuses a connection without the expected header", () => {
    expect(() => parseProxyHeader(Buffer.from("SSH-2.0-OpenSSH_9.2\r\n"), "any")).toThrow(/PROXY protocol/);
    expect(() => parseProxyHeader(Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "v2")).toThrow(/v2/);
    expect(() => parseProxyHeader(Buffer.from("PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n"), "v1")).toThrow(/malformed/);
  });
});

describe("normalizeIp", () => {
  it("unwraps IPv4-mapped IPv6", () => {
    expect(normalizeIp("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normalizeIp("2001:DB8::1")).toBe("2001:db8::1");
  });
});

describe("readProxyHeader", () => {
  it("consumes the header from a socket split across packets and leaves the rest readable", async () => {
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((socket) => {
        server.close();
        resolve(socket);
      }).listen(0, "127.0.0.1", () => {
        const port = (server.address() as { port: number }).port;
        const client = connect(port, "127.0.0.1", () => {
          client.write("PROXY TCP4 203.0.113.7 10.0.0.1 5");
          setTimeout(() => client.end("1234 2222\r\nSSH-2.0-test\r\n"), 20);
        });
      });
    });
    const socket = await accepted;
    const header = await readProxyHeader(socket, "v1", 2000);
    expect(header).toEqual({ sourceIp: "203.0.113.7", sourcePort: 51234 });
    const rest: Buffer[] = [];
    for await (const chunk of socket) rest.push(chunk as Buffer);
    expect(Buffer.concat(rest).toString()).toBe("SSH-2.0-test\r\n");
  });
});
