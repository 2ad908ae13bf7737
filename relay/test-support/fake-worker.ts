/**
 * An in-memory Worker speaking contracts/relay.ts over node:http, for the relay's tests. It checks
 * what the real Worker will check (bearer token, session header, part sizes, size and SHA-256 at
 * complete) and records every call so tests can assert what the relay did.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  completeUploadRequest,
  connectionCheckRequest,
  createUploadRequest,
  type DeliveryKind,
  loginRequest,
  MIN_PART_BYTES,
  RELAY_SESSION_HEADER,
} from "../../contracts/relay.ts";

export interface FakeUser {
  password?: string;
  publicKeys?: { algorithm: string; data: string }[];
  deliveryId?: string;
  kind?: DeliveryKind;
  maxFileBytes?: number;
}

export interface StoredFile {
  id: string;
  name: string;
  bytes: Buffer;
  sha256: string;
  receivedAt: number;
  partSizes: number[];
}

export type FakeEvent =
  | { type: "connection"; sourceIp: string; allowed: boolean }
  | { type: "login"; username: string; method: string; sourceIp: string; ok: boolean }
  | { type: "create"; uploadId: string; name: string }
  | { type: "part"; uploadId: string; partNumber: number; size: number; status: number }
  | { type: "complete"; uploadId: string; name: string; size: number }
  | { type: "abort"; uploadId: string }
  | { type: "end-session" };

interface Upload {
  id: string;
  name: string;
  session: string;
  parts: Map<number, Buffer>;
  state: "open" | "completed" | "aborted";
}

export class FakeWorker {
  readonly token = "fake-relay-token-0123456789abcdef0123456789";
  readonly users = new Map<string, FakeUser>();
  readonly bannedIps = new Set<string>();
  readonly files: StoredFile[] = [];
  readonly events: FakeEvent[] = [];
  readonly uploads = new Map<string, Upload>();
  partBytes = MIN_PART_BYTES;
  /** Answer this many part uploads with 503 before accepting them (tests the relay's retries). */
  failParts = 0;
  /** Delay each part upload, to make an upload slow enough to interrupt. */
  partDelayMs = 0;
  private readonly sessions = new Map<string, { username: string; user: FakeUser }>();
  private server: Server | undefined;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => send(res, 500, problemBody(500, "internal", String(err))));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Resolves when an event matching `predicate` has been recorded (polling; tests only). */
  async waitFor(predicate: (e: FakeEvent) => boolean, timeoutMs = 10_000): Promise<FakeEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error("timed out waiting for a fake worker event");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(res, 401, problemBody(401, "unauthorized"));
    }
    const url = new URL(req.url ?? "/", "http://x");
    const body = await readBody(req);
    const path = url.pathname;

    if (req.method === "POST" && path === "/relay/v1/connections") {
      const input = connectionCheckRequest.parse(JSON.parse(body.toString()));
      const allowed = !this.bannedIps.has(input.sourceIp);
      this.events.push({ type: "connection", sourceIp: input.sourceIp, allowed });
      return send(res, 200, { allowed });
    }
    if (req.method === "POST" && path === "/relay/v1/logins") {
      const input = loginRequest.parse(JSON.parse(body.toString()));
      const user = this.users.get(input.username);
      const ok =
        user !== undefined &&
        (input.method === "password"
          ? user.password !== undefined && input.password === user.password
          : (user.publicKeys ?? []).some(
              (k) => k.algorithm === input.publicKey?.algorithm && k.data === input.publicKey?.data,
            ));
      this.events.push({
        type: "login",
        username: input.username,
        method: input.method,
        sourceIp: input.sourceIp,
        ok,
      });
      if (!ok || !user) return send(res, 403, problemBody(403, "login_refused"));
      const session = randomUUID();
      this.sessions.set(session, { username: input.username, user });
      return send(res, 200, {
        session,
        expiresAt: Date.now() + 12 * 60 * 60 * 1000,
        deliveryId: user.deliveryId ?? "dlv_1",
        deliveryName: "Test delivery",
        kind: user.kind ?? "user_sync",
        maxFileBytes: user.maxFileBytes ?? 512 * 1024 * 1024,
        maxSessions: 10,
        partBytes: this.partBytes,
      });
    }

    const session = req.headers[RELAY_SESSION_HEADER];
    if (typeof session !== "string" || !this.sessions.has(session)) {
      return send(res, 401, problemBody(401, "session_invalid"));
    }
    if (req.method === "DELETE" && path === "/relay/v1/sessions/current") {
      this.sessions.delete(session);
      this.events.push({ type: "end-session" });
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && path === "/relay/v1/results") {
      // Results appear once files are imported; the fake Worker imports nothing.
      return send(res, 200, { files: [] });
    }
    if (req.method === "GET" && path.startsWith("/relay/v1/results/")) {
      return send(res, 404, problemBody(404, "not_found"));
    }
    if (req.method === "GET" && path === "/relay/v1/files") {
      return send(res, 200, {
        files: [...this.files].reverse().map((f) => ({
          id: f.id,
          name: f.name,
          size: f.bytes.length,
          receivedAt: f.receivedAt,
          status: "imported",
        })),
      });
    }
    if (req.method === "POST" && path === "/relay/v1/uploads") {
      const input = createUploadRequest.parse(JSON.parse(body.toString()));
      const id = `up_${randomUUID()}`;
      this.uploads.set(id, { id, name: input.name, session, parts: new Map(), state: "open" });
      this.events.push({ type: "create", uploadId: id, name: input.name });
      return send(res, 200, { uploadId: id, partBytes: this.partBytes });
    }
    const match = /^\/relay\/v1\/uploads\/([^/]+)(?:\/(parts)\/(\d+)|\/(complete))?$/.exec(path);
    const upload = match ? this.uploads.get(decodeURIComponent(match[1] as string)) : undefined;
    if (!match || !upload || upload.session !== session) return send(res, 404, problemBody(404, "not_found"));
    if (upload.state !== "open") return send(res, 409, problemBody(409, "upload_closed"));

    if (req.method === "PUT" && match[2] === "parts") {
      const partNumber = Number(match[3]);
      if (req.headers["content-length"] === undefined) return send(res, 411, problemBody(411, "length_required"));
      if (this.partDelayMs) await new Promise((r) => setTimeout(r, this.partDelayMs));
      if (this.failParts > 0) {
        this.failParts--;
        this.events.push({ type: "part", uploadId: upload.id, partNumber, size: body.length, status: 503 });
        return send(res, 503, problemBody(503, "unavailable"));
      }
      upload.parts.set(partNumber, body);
      this.events.push({ type: "part", uploadId: upload.id, partNumber, size: body.length, status: 200 });
      return send(res, 200, { partNumber, etag: `etag-${partNumber}-${body.length}` });
    }
    if (req.method === "POST" && match[4] === "complete") {
      const input = completeUploadRequest.parse(JSON.parse(body.toString()));
      const sizes = input.parts.map((p) => upload.parts.get(p.partNumber)?.length ?? -1);
      const allButLast = sizes.slice(0, -1);
      if (sizes.includes(-1) || allButLast.some((s) => s !== this.partBytes) || (sizes.at(-1) ?? 0) > this.partBytes) {
        return send(res, 400, problemBody(400, "bad_parts"));
      }
      const bytes = Buffer.concat(input.parts.map((p) => upload.parts.get(p.partNumber) as Buffer));
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      if (bytes.length !== input.size || sha256 !== input.sha256) {
        return send(res, 400, problemBody(400, "checksum_mismatch"));
      }
      upload.state = "completed";
      const file = {
        id: `file_${this.files.length + 1}`,
        name: upload.name,
        bytes,
        sha256,
        receivedAt: Date.now(),
        partSizes: sizes,
      };
      this.files.push(file);
      this.events.push({ type: "complete", uploadId: upload.id, name: upload.name, size: bytes.length });
      return send(res, 200, { fileId: file.id, name: file.name, size: bytes.length, sha256 });
    }
    if (req.method === "DELETE" && match[2] === undefined && match[4] === undefined) {
      upload.state = "aborted";
      this.events.push({ type: "abort", uploadId: upload.id });
      res.writeHead(204).end();
      return;
    }
    return send(res, 405, problemBody(405, "method_not_allowed"));
  }
}

function problemBody(status: number, code: string, detail?: string) {
  return { type: "about:blank", title: code.replace(/_/g, " "), status, code, detail };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  res.writeHead(status, { "content-type": type }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
