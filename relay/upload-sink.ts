/**
 * The seam between assembling an upload and storing it: the Worker's multipart upload in
 * production (worker-backend.ts), memory in tests.
 */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

export interface UploadSink<Result = unknown> {
  /** Parts arrive numbered from 1, all `partBytes` long but the last; the same number may be retried. */
  uploadPart(partNumber: number, bytes: Uint8Array): Promise<UploadedPart>;
  /** Called once, after every part succeeded; the upload is durable when this resolves. */
  complete(size: number, sha256: string, parts: UploadedPart[]): Promise<Result>;
  /** Called at most once, on any failure or disconnect; must be safe while parts are in flight. */
  abort(): Promise<void>;
}
