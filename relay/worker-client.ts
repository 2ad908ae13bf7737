/**
 * The relay's only way to talk to the Worker: one method per `/relay/v1` call in contracts/relay.ts.
 * Every answer is validated with the contract's zod schemas (a Worker speaking another version of
 * the contract fails loudly here, not deep inside an upload), and every error becomes a RelayError.
 *
 * Part uploads (8 MiB bodies) go through `node:http`/`node:https` rather than `fetch`: undici copies
 * an ArrayBufferView request body, so every part was held twice until a GC came round, which cost
 * the relay ~40 MB of RSS during a large upload. `request().end(bytes)` with an explicit
 * Content-Length writes the caller's buffer to the socket as is. Small JSON calls keep `fetch`.
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import { clearTimeout, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import {
  type CompleteUploadRequest,
  type CompleteUploadResponse,
  type CreateUploadResponse,
  completeUploadResponse,
  connectionCheckResponse,
  createUploadResponse,
  type ListFilesResponse,
  type LoginRequest,
  type LoginResponse,
  listFilesResponse,
  loginResponse,
  problem,
  RELAY_SESSION_HEADER,
  type UploadPartResponse,
  uploadPartResponse,
} from "../contracts/relay.ts";
import { RelayError } from "./errors.ts";

/** A sanity cap on one result file held in memory while a client reads it. */
const MAX_RESULT_BYTES = 8 * 1024 * 1024;

export type WorkerOperation =
  | "checkConnection"
  | "login"
  | "createUpload"
  | "uploadPart"
  | "completeUpload"
  | "abortUpload"
  | "listFiles"
  | "listResults"
  | "readResult"
  | "endSession";

/**
 * Test hook called before every attempt: return a Response to answer instead of the network,
 * throw (or return an Error) to simulate a network failure, or return undefined to go ahead.
 */
export type FaultInjector = (attempt: {
  op: WorkerOperation;
  method: string;
  path: string;
  attempt: number;
}) => Response | Error | undefined | Promise<Response | Error | undefined>;

export interface WorkerClientOptions {
  baseUrl: string;
  token: string;
  relayId: string;
  /**
   * Replaces the network for every call, part uploads included (tests, bench/discard-relay.ts).
   * Without it, JSON calls use the global `fetch` and part uploads use `node:http(s)`.
   */
  fetch?: typeof fetch;
  inject?: FaultInjector;
  /**
   * Tries per retried call (connection check, parts, complete, create, abort, end of session), first
   * included. A part number sent again overwrites; a completed upload completed again answers the same file.
   */
  partAttempts?: number;
  /** First retry delay; doubles per retry, with jitter. */
  retryBaseMs?: number;
  /** Per-request timeout; part uploads get four times as long. */
  timeoutMs?: number;
}

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;
/** A Worker's answer to a part is a few hundred bytes of JSON; anything far larger is not one. */
const MAX_PART_RESPONSE_BYTES = 1024 * 1024;

export class WorkerClient {
  readonly relayId: string;
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly fetchFn: typeof fetch;
  /** Part uploads go through fetchFn only when a replacement was given; else through this agent. */
  private readonly partsViaFetch: boolean;
  private agent: http.Agent | undefined;
  private readonly inject: FaultInjector | undefined;
  private readonly partAttempts: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;

  constructor(options: WorkerClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.authorization = `Bearer ${options.token}`;
    this.relayId = options.relayId;
    this.fetchFn = options.fetch ?? fetch;
    this.partsViaFetch = options.fetch !== undefined;
    this.inject = options.inject;
    this.partAttempts = Math.max(1, options.partAttempts ?? 4);
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Asked once per TCP connection, before authentication. A read, so retried on transient failures. */
  async checkConnection(sourceIp: string): Promise<boolean> {
    const body = { sourceIp, relayId: this.relayId };
    const answer = await this.retrying((attempt) =>
      this.call("checkConnection", "POST", "/relay/v1/connections", connectionCheckResponse, { json: body, attempt }),
    );
    return answer.allowed;
  }

  /** A refusal is RelayError `login_refused`; the Worker never says why, and neither do we. */
  login(request: Omit<LoginRequest, "relayId">): Promise<LoginResponse> {
    return this.call("login", "POST", "/relay/v1/logins", loginResponse, {
      json: { ...request, relayId: this.relayId },
    });
  }

  /**
   * Retried on transient failures: if the Worker created an upload whose answer was lost, that
   * upload stays empty and open until the Worker's stale-upload sweep aborts it; nothing is recorded.
   */
  createUpload(session: string, name: string): Promise<CreateUploadResponse> {
    return this.retrying((attempt) =>
      this.call("createUpload", "POST", "/relay/v1/uploads", createUploadResponse, {
        session,
        json: { name },
        attempt,
      }),
    );
  }

  /** Retried on network errors, 408/429 and 5xx with exponential backoff; other 4xx are final. */
  uploadPart(session: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<UploadPartResponse> {
    const path = `/relay/v1/uploads/${encodeURIComponent(uploadId)}/parts/${partNumber}`;
    return this.retrying((attempt) =>
      this.call("uploadPart", "PUT", path, uploadPartResponse, {
        session,
        body: bytes,
        attempt,
        timeoutMs: this.timeoutMs * 4,
      }),
    );
  }

  /**
   * Retried like a part. The Worker answers a repeated complete of a completed upload with the
   * same file, so when an answer is lost (a timeout, a reset after the Worker had recorded the
   * file) the retry learns the outcome instead of failing the CLOSE of a file that was stored,
   * which would lead the client to send it a second time.
   */
  completeUpload(session: string, uploadId: string, request: CompleteUploadRequest): Promise<CompleteUploadResponse> {
    const path = `/relay/v1/uploads/${encodeURIComponent(uploadId)}/complete`;
    return this.retrying((attempt) =>
      this.call("completeUpload", "POST", path, completeUploadResponse, { session, json: request, attempt }),
    );
  }

  /**
   * Up to `partAttempts` tries while the failure is transient (`worker_unavailable`: network
   * errors, timeouts, 408, 429, 5xx), with jittered exponential backoff. Only for calls that are
   * safe to repeat; a login is not (each grant opens a session that counts against the limit).
   */
  private async retrying<T>(send: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(attempt);
      } catch (err) {
        const transient = err instanceof RelayError && err.code === "worker_unavailable";
        if (!transient || attempt >= this.partAttempts) throw err;
        const delay = this.retryBaseMs * 2 ** (attempt - 1);
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  /** Idempotent on the Worker, so retried on transient failures. */
  async abortUpload(session: string, uploadId: string): Promise<void> {
    const path = `/relay/v1/uploads/${encodeURIComponent(uploadId)}`;
    await this.retrying((attempt) => this.call("abortUpload", "DELETE", path, null, { session, attempt }));
  }

  /**
   * Tells the Worker the SSH connection closed, so the session stops counting against the
   * delivery's limit at once rather than when it goes stale (15 minutes). Idempotent, so retried.
   */
  async endSession(session: string): Promise<void> {
    await this.retrying((attempt) =>
      this.call("endSession", "DELETE", "/relay/v1/sessions/current", null, { session, attempt }),
    );
  }

  /** `results/`: each finished file's report and errors, in the same shape as the file listing. */
  listResults(session: string): Promise<ListFilesResponse> {
    return this.call("listResults", "GET", "/relay/v1/results", listFilesResponse, { session });
  }

  /** One result file's bytes (reports are small: at most 1,000 row errors are kept per import). */
  async readResult(session: string, name: string): Promise<Uint8Array> {
    const path = `/relay/v1/results/${encodeURIComponent(name)}`;
    let response: Response;
    try {
      const injected = await this.inject?.({ op: "readResult", method: "GET", path, attempt: 1 });
      if (injected instanceof Error) throw injected;
      response =
        injected ??
        (await this.fetchFn(`${this.baseUrl}${path}`, {
          headers: { authorization: this.authorization, [RELAY_SESSION_HEADER]: session },
          signal: AbortSignal.timeout(this.timeoutMs),
        }));
    } catch (err) {
      throw new RelayError("worker_unavailable", "readResult: Worker unreachable", { cause: err });
    }
    if (!response.ok) throw await toRelayError("readResult", response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > MAX_RESULT_BYTES) {
      throw new RelayError("invalid_worker_response", "readResult: result is unexpectedly large");
    }
    return bytes;
  }

  listFiles(session: string): Promise<ListFilesResponse> {
    return this.call("listFiles", "GET", "/relay/v1/files", listFilesResponse, { session });
  }

  /** Closes the kept-alive connections of part uploads (they would otherwise idle until the server drops them). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async call<S extends z.ZodType | null>(
    op: WorkerOperation,
    method: string,
    path: string,
    schema: S,
    options: { session?: string; json?: unknown; body?: Uint8Array; attempt?: number; timeoutMs?: number },
  ): Promise<S extends z.ZodType ? z.infer<S> : undefined> {
    const headers: Record<string, string> = { authorization: this.authorization, accept: "application/json" };
    if (options.session !== undefined) headers[RELAY_SESSION_HEADER] = options.session;
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers["content-type"] = "application/octet-stream";
      // A Uint8Array body gives the request a Content-Length, which R2's uploadPart requires.
      body = options.body;
    }

    let response: Response;
    try {
      const injected = await this.inject?.({ op, method, path, attempt: options.attempt ?? 1 });
      if (injected instanceof Error) throw injected;
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      if (injected) response = injected;
      else if (options.body !== undefined && !this.partsViaFetch) {
        response = await this.sendBytes(method, path, headers, options.body, timeoutMs);
      } else {
        response = await this.fetchFn(`${this.baseUrl}${path}`, {
          method,
          headers,
          body: body as RequestInit["body"],
          signal: AbortSignal.timeout(timeoutMs),
        });
      }
    } catch (err) {
      throw new RelayError("worker_unavailable", `${op}: Worker unreachable`, { cause: err });
    }

    if (!response.ok) throw await toRelayError(op, response);
    if (schema === null) {
      await response.body?.cancel();
      return undefined as never;
    }
    let payload: unknown;
    try {
      payload = await response.json();
    } catch (err) {
      throw new RelayError("invalid_worker_response", `${op}: response is not JSON`, { cause: err });
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      throw new RelayError("invalid_worker_response", `${op}: response does not match the contract`, {
        status: response.status,
      });
    }
    return parsed.data as never;
  }

  /**
   * One request with a binary body through `node:http(s)`, with no copy of `bytes`: the buffer is
   * handed to the socket and referenced only until the request settles. The answer (small JSON)
   * is read whole and wrapped in a Response so that `call` treats it like a fetch answer. Rejects
   * on network errors and when `timeoutMs` passes before the whole answer has arrived.
   */
  private sendBytes(
    method: string,
    path: string,
    headers: Record<string, string>,
    bytes: Uint8Array,
    timeoutMs: number,
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    const secure = url.protocol === "https:";
    // One keep-alive agent per client: consecutive parts reuse a connection instead of a new
    // TCP (and TLS) handshake each. A reused connection the server has just closed fails with
    // ECONNRESET, which is a network error and so is retried like any other. Idle connections are
    // dropped after 15 s (or sooner if the server's Keep-Alive header says so).
    this.agent ??= new (secure ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 8, timeout: 15_000 });
    const agent = this.agent;
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, response?: Response) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(response as Response);
      };
      const req = (secure ? https : http).request(url, {
        method,
        agent,
        headers: { ...headers, "content-length": String(bytes.byteLength) },
      });
      // Nagle would hold the body's last short segment back until the server ACKs, per part.
      req.setNoDelay(true);
      const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on("error", (err) => finish(err));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_PART_RESPONSE_BYTES) return finish(new Error("the answer to a part is too large"));
          chunks.push(chunk);
        });
        res.on("error", (err) => finish(err));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 599) return finish(new Error(`unexpected HTTP status ${status}`));
          const text = Buffer.concat(chunks).toString("utf8");
          const noBody = status === 204 || status === 205 || status === 304;
          const contentType = res.headers["content-type"];
          const init: ResponseInit = { status, headers: contentType ? { "content-type": contentType } : {} };
          finish(undefined, new Response(noBody ? null : text, init));
        });
      });
      req.end(bytes);
    });
  }
}

async function toRelayError(op: WorkerOperation, response: Response): Promise<RelayError> {
  const status = response.status;
  let details: z.infer<typeof problem> | undefined;
  try {
    details = problem.safeParse(await response.json()).data;
  } catch {
    // Not problem+json (a proxy's HTML error page, say): the status alone decides.
  }
  const workerCode = details?.code;
  const message = `${op}: ${details?.title ?? `HTTP ${status}`}`;
  if (RETRYABLE_STATUS(status)) return new RelayError("worker_unavailable", message, { status, workerCode });
  if (workerCode === "login_refused" || (op === "login" && (status === 401 || status === 403))) {
    return new RelayError("login_refused", message, { status, workerCode });
  }
  return new RelayError("worker_rejected", message, { status, workerCode });
}
