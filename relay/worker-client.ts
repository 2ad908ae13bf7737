/**
 * The relay's only way to talk to the Worker: one method per `/relay/v1` call in contracts/relay.ts.
 * Every answer is validated with the contract's zod schemas (a Worker speaking another version of
 * the contract fails loudly here, not deep inside an upload), and every error becomes a RelayError.
 */
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

export type WorkerOperation =
  | "checkConnection"
  | "login"
  | "createUpload"
  | "uploadPart"
  | "completeUpload"
  | "abortUpload"
  | "listFiles"
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
  fetch?: typeof fetch;
  inject?: FaultInjector;
  /** Tries per part upload, first included. Parts are idempotent (same number overwrites). */
  partAttempts?: number;
  /** First retry delay; doubles per retry, with jitter. */
  retryBaseMs?: number;
  /** Per-request timeout; part uploads get four times as long. */
  timeoutMs?: number;
}

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;

export class WorkerClient {
  readonly relayId: string;
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly fetchFn: typeof fetch;
  private readonly inject: FaultInjector | undefined;
  private readonly partAttempts: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;

  constructor(options: WorkerClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.authorization = `Bearer ${options.token}`;
    this.relayId = options.relayId;
    this.fetchFn = options.fetch ?? fetch;
    this.inject = options.inject;
    this.partAttempts = Math.max(1, options.partAttempts ?? 4);
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Asked once per TCP connection, before authentication. */
  async checkConnection(sourceIp: string): Promise<boolean> {
    const body = { sourceIp, relayId: this.relayId };
    const answer = await this.call("checkConnection", "POST", "/relay/v1/connections", connectionCheckResponse, {
      json: body,
    });
    return answer.allowed;
  }

  /** A refusal is RelayError `login_refused`; the Worker never says why, and neither do we. */
  login(request: Omit<LoginRequest, "relayId">): Promise<LoginResponse> {
    return this.call("login", "POST", "/relay/v1/logins", loginResponse, {
      json: { ...request, relayId: this.relayId },
    });
  }

  createUpload(session: string, name: string): Promise<CreateUploadResponse> {
    return this.call("createUpload", "POST", "/relay/v1/uploads", createUploadResponse, {
      session,
      json: { name },
    });
  }

  /** Retried on network errors, 408/429 and 5xx with exponential backoff; other 4xx are final. */
  async uploadPart(
    session: string,
    uploadId: string,
    partNumber: number,
    bytes: Uint8Array,
  ): Promise<UploadPartResponse> {
    const path = `/relay/v1/uploads/${encodeURIComponent(uploadId)}/parts/${partNumber}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call("uploadPart", "PUT", path, uploadPartResponse, {
          session,
          body: bytes,
          attempt,
          timeoutMs: this.timeoutMs * 4,
        });
      } catch (err) {
        const transient = err instanceof RelayError && err.code === "worker_unavailable";
        if (!transient || attempt >= this.partAttempts) throw err;
        const delay = this.retryBaseMs * 2 ** (attempt - 1);
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  completeUpload(session: string, uploadId: string, request: CompleteUploadRequest): Promise<CompleteUploadResponse> {
    const path = `/relay/v1/uploads/${encodeURIComponent(uploadId)}/complete`;
    return this.call("completeUpload", "POST", path, completeUploadResponse, { session, json: request });
  }

  async abortUpload(session: string, uploadId: string): Promise<void> {
    const path = `/relay/v1/uploads/${encodeURIComponent(uploadId)}`;
    await this.call("abortUpload", "DELETE", path, null, { session });
  }

  /** Tells the Worker the SSH connection closed, so the session stops counting against the delivery's limit. */
  async endSession(session: string): Promise<void> {
    await this.call("endSession", "DELETE", "/relay/v1/sessions/current", null, { session });
  }

  listFiles(session: string): Promise<ListFilesResponse> {
    return this.call("listFiles", "GET", "/relay/v1/files", listFilesResponse, { session });
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
      response =
        injected ??
        (await this.fetchFn(`${this.baseUrl}${path}`, {
          method,
          headers,
          body: body as RequestInit["body"],
          signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
        }));
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
