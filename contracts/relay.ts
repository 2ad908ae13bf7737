/**
 * The relay ↔ Worker contract (`/relay/v1`). Every request carries
 * `Authorization: Bearer <RELAY_TOKEN>`; calls made on behalf of a logged-in
 * SFTP session also carry `X-Relay-Session: <session>` from the login answer.
 * The relay validates every response it reads with these schemas.
 */
import { z } from "zod";

export const RELAY_SESSION_HEADER = "x-relay-session";

/** R2 needs every part but the last to be the same size, at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export const deliveryKind = z.enum(["user_sync", "project_sync"]);
export type DeliveryKind = z.infer<typeof deliveryKind>;

/** Asked once per TCP connection, before any authentication: is this address banned? */
export const connectionCheckRequest = z.strictObject({
  sourceIp: z.string().min(1).max(64),
  relayId: z.string().min(1).max(128),
});
export const connectionCheckResponse = z.object({
  allowed: z.boolean(),
});

export const loginRequest = z.strictObject({
  username: z.string().min(1).max(128),
  method: z.enum(["password", "publickey"]),
  password: z.string().max(1024).optional(),
  /** OpenSSH wire form: algorithm name and base64 of the key blob. */
  publicKey: z.strictObject({ algorithm: z.string().min(1).max(64), data: z.string().min(1).max(8192) }).optional(),
  sourceIp: z.string().min(1).max(64),
  relayId: z.string().min(1).max(128),
});
export type LoginRequest = z.infer<typeof loginRequest>;

/**
 * A granted login. A refusal is `403 application/problem+json` with code
 * `login_refused` and no reason: the real reason is recorded for admins only.
 */
export const loginResponse = z.object({
  session: z.string().min(1),
  /** Epoch milliseconds; the relay should end the connection before then. */
  expiresAt: z.number().int(),
  deliveryId: z.string(),
  deliveryName: z.string(),
  kind: deliveryKind,
  maxFileBytes: z.number().int().positive(),
  maxSessions: z.number().int().positive(),
  partBytes: z.number().int().min(MIN_PART_BYTES),
});
export type LoginResponse = z.infer<typeof loginResponse>;

export const createUploadRequest = z.strictObject({
  name: z.string().min(1).max(255),
});
export const createUploadResponse = z.object({
  uploadId: z.string(),
  partBytes: z.number().int().min(MIN_PART_BYTES),
});
export type CreateUploadResponse = z.infer<typeof createUploadResponse>;

/** `PUT /relay/v1/uploads/:uploadId/parts/:partNumber` with a Content-Length body. */
export const uploadPartResponse = z.object({
  partNumber: z.number().int().positive(),
  etag: z.string(),
});
export type UploadPartResponse = z.infer<typeof uploadPartResponse>;

export const completeUploadRequest = z.strictObject({
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  parts: z.array(z.strictObject({ partNumber: z.number().int().positive(), etag: z.string() })).max(10000),
});
export type CompleteUploadRequest = z.infer<typeof completeUploadRequest>;

export const completeUploadResponse = z.object({
  fileId: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type CompleteUploadResponse = z.infer<typeof completeUploadResponse>;

/** `GET /relay/v1/files`: this delivery's recent files, newest first. */
export const listFilesResponse = z.object({
  files: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      size: z.number().int().nonnegative(),
      /** Epoch milliseconds. */
      receivedAt: z.number().int(),
      status: z.string(),
    }),
  ),
});
export type ListFilesResponse = z.infer<typeof listFilesResponse>;

/**
 * `GET /relay/v1/results`: the read-only `results/` folder, in the same shape as
 * `listFilesResponse` (`<file>.report.json`, `<file>.errors.csv` for each of the
 * delivery's latest finished files, one per name). `GET /relay/v1/results/:name`
 * answers one result's bytes.
 */

/**
 * `DELETE /relay/v1/sessions/current` (with the session header) ends a session
 * when its SSH connection closes, so it stops counting against the delivery's
 * concurrent-session limit at once. Answers 204.
 */

/** Every error from the Worker is `application/problem+json` of this shape. */
export const problem = z.object({
  type: z.string().optional(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
});
export type Problem = z.infer<typeof problem>;
