/**
 * An HTTP proxy between the relay and the Worker for end-to-end fault tests. The relay is pointed
 * at it (WORKER_URL) and cannot tell it from the Worker; the tests decide, per call, whether a
 * request reaches the Worker and whether the Worker's answer reaches the relay. Faults happen where
 * they would in production, on the wire, so the relay binary carries no test switches.
 *
 * Every `/relay/v1` call is recorded (kind, upload id, part number, what the Worker answered and
 * what the relay was told), which is how the tests see retries, aborts and completes.
 */
import { Buffer } from "node:buffer";
import { once } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type CallKind = "create" | "part" | "complete" | "abort" | "other";

/**
 * What happens to one call:
 * - `{ status }`: answered by the proxy with that status (problem+json); the Worker never sees it;
 * - `hang`: the body is read and then nothing, ever: the relay's own timeout has to fire;
 * - `lose-answer`: forwarded, the Worker does its work, and its answer is never passed on;
 * - `reset`: the connection is dropped as soon as the request arrives.
 */
export type Fault = { status: number } | "hang" | "lose-answer" | "reset";

export interface Call {
  kind: CallKind;
  method: string;
  path: string;
  uploadId?: string;
  partNumber?: number;
  /** The relay session the call was made for (X-Relay-Session). */
  session?: string;
  /** Body bytes received from the relay. */
  bytes: number;
  /** When the call arrived and when the relay was answered (epoch ms). */
  at: number;
  answeredAt?: number;
  fault?: Fault;
  /** What the Worker answered, when the call was forwarded and answered. */
  workerStatus?: number;
  /** What the relay was told; undefined when it was told nothing. */
  relayStatus?: number;
  /** The Worker's answer body (small JSON), when there was one. */
  workerBody?: string;
}

export interface ProxyHooks {
  /** Called for every chunk of part bodies, with the running total over all parts so far. */
  partBytes?: (total: number) => void;
  /** Before a call is forwarded; answering "drop" swallows it (never forwarded, never answered). */
  beforeForward?: (call: Call) => Promise<"forward" | "drop"> | "forward" | "drop";
  /** After the Worker answered, before the relay hears it; "drop" withholds the answer. */
  beforeAnswer?: (call: Call) => Promise<"answer" | "drop"> | "answer" | "drop";
}

interface Rule {
  match: (call: Call) => boolean;
  fault: Fault;
  times: number;
  partNumber?: number;
}

function classify(method: string, path: string): Pick<Call, "kind" | "uploadId" | "partNumber"> {
  const m = /^\/relay\/v1\/uploads(?:\/([^/]+)(?:\/parts\/(\d+)|\/(complete))?)?$/.exec(path);
  if (!m) return { kind: "other" };
  const uploadId = m[1] ? decodeURIComponent(m[1]) : undefined;
  if (method === "POST" && !uploadId) return { kind: "create" };
  if (method === "PUT" && m[2]) return { kind: "part", uploadId, partNumber: Number(m[2]) };
  if (method === "POST" && m[3]) return { kind: "complete", uploadId };
  if (method === "DELETE" && uploadId && !m[2] && !m[3]) return { kind: "abort", uploadId };
  return { kind: "other" };
}

export class WorkerProxy {
  readonly calls: Call[] = [];
  hooks: ProxyHooks = {};
  private rules: Rule[] = [];
  private partTotal = 0;
  private readonly target: URL;
  private readonly server: http.Server;
  private readonly upstream = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly sockets = new Set<Socket>();
  private port = 0;
  /** Calls forwarded to the Worker whose answer has not arrived yet. */
  private inFlight = 0;

  constructor(workerUrl: string) {
    this.target = new URL(workerUrl);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.upstream.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /**
   * The next `times` calls of `kind` meet `fault`: only those of one part number if `partNumber`
   * is given, only those `kind` accepts if it is a predicate.
   */
  fail(kind: CallKind | ((call: Call) => boolean), fault: Fault, times = 1, partNumber?: number): void {
    const match = typeof kind === "function" ? kind : (call: Call) => call.kind === kind;
    this.rules.push({ match, fault, times, partNumber });
  }

  /** The relay session the Worker granted for a delivery (from the recorded login answers). */
  sessionOf(deliveryId: string): string | undefined {
    for (const call of this.calls) {
      if (call.path !== "/relay/v1/logins" || !call.workerBody?.includes(deliveryId)) continue;
      return (JSON.parse(call.workerBody) as { session?: string }).session;
    }
    return undefined;
  }

  /** Forget faults, hooks and the call record (between tests). */
  reset(): void {
    this.rules = [];
    this.hooks = {};
    this.calls.length = 0;
    this.partTotal = 0;
  }

  /**
   * Resolves once every call already forwarded has its Worker answer: a request the relay sent
   * just before it died still reaches the Worker, and a test must look after it has landed.
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** The most uploads open at once: created (answered) and not yet completed or aborted. */
  peakOpenUploads(): number {
    const steps: [number, number][] = [];
    for (const c of this.calls) {
      if (c.answeredAt === undefined || (c.relayStatus ?? 500) >= 300) continue;
      if (c.kind === "create") steps.push([c.answeredAt, 1]);
      if (c.kind === "complete" || c.kind === "abort") steps.push([c.answeredAt, -1]);
    }
    steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, step] of steps) {
      open += step;
      peak = Math.max(peak, open);
    }
    return peak;
  }

  callsOf(kind: CallKind, uploadId?: string): Call[] {
    return this.calls.filter((c) => c.kind === kind && (uploadId === undefined || c.uploadId === uploadId));
  }

  private takeFault(call: Call): Fault | undefined {
    const rule = this.rules.find(
      (r) => r.times > 0 && r.match(call) && (r.partNumber === undefined || r.partNumber === call.partNumber),
    );
    if (!rule) return undefined;
    rule.times--;
    return rule.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const session = req.headers["x-relay-session"];
    const call: Call = { method, path, bytes: 0, at: Date.now(), ...classify(method, path) };
    if (typeof session === "string") call.session = session;
    this.calls.push(call);
    call.fault = this.takeFault(call);
    if (call.fault === "reset") return void req.socket.destroy();
    // Counting starts the body flowing, so it is attached only where the body is consumed.
    const count = () =>
      req.on("data", (chunk: Buffer) => {
        call.bytes += chunk.length;
        if (call.kind !== "part") return;
        this.partTotal += chunk.length;
        this.hooks.partBytes?.(this.partTotal);
      });

    const fault = call.fault;
    if (fault === "hang") return void count();
    if (fault !== undefined && typeof fault === "object") {
      count();
      await once(req, "end").catch(() => undefined);
      if (res.destroyed) return;
      call.relayStatus = fault.status;
      call.answeredAt = Date.now();
      const body = JSON.stringify({ title: "Injected fault", status: fault.status, code: "injected" });
      res.writeHead(fault.status, { "content-type": "application/problem+json" }).end(body);
      return;
    }
    if ((await this.hooks.beforeForward?.(call)) === "drop") return void count();

    let answer: Awaited<ReturnType<WorkerProxy["forward"]>>;
    this.inFlight++;
    try {
      answer = await this.forward(req, count);
    } catch {
      return void res.destroy();
    } finally {
      this.inFlight--;
    }
    call.workerStatus = answer.status;
    if (answer.body.length < 64 * 1024) call.workerBody = answer.body.toString("utf8");
    if (fault === "lose-answer") return;
    if ((await this.hooks.beforeAnswer?.(call)) === "drop") return;
    if (res.destroyed) return;
    call.relayStatus = answer.status;
    call.answeredAt = Date.now();
    const headers: http.OutgoingHttpHeaders = { ...answer.headers, "content-length": String(answer.body.length) };
    for (const hop of ["connection", "keep-alive", "transfer-encoding"]) delete headers[hop];
    res.writeHead(answer.status, headers).end(answer.body);
  }

  /**
   * Streams the request on to the Worker as it arrives, as a load balancer would: if the relay
   * dies mid-body, the Worker sees the same truncated request it would see in production.
   */
  private forward(req: IncomingMessage, count: () => void) {
    // Uncompressed answers, so that the record of each call holds readable JSON.
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: this.target.host, "accept-encoding": "identity" };
    delete headers.connection;
    delete headers["keep-alive"];
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const out = http.request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.upstream,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (d: Buffer) => parts.push(d));
          answer.on("error", reject);
          answer.on("end", () =>
            resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(parts) }),
          );
        },
      );
      out.on("error", reject);
      req.on("close", () => {
        if (!req.complete) {
          out.destroy(new Error("the relay went away mid-request"));
          reject(new Error("the relay went away mid-request"));
        }
      });
      count();
      req.pipe(out);
    });
  }
}
