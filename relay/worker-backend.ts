/**
 * The storage seam of an SFTP session (the sftpgo shape: protocol code on one side, storage on the
 * other). The production backend speaks to the Worker on behalf of one logged-in session; tests
 * can substitute memory.
 */
import type { CompleteUploadResponse } from "../contracts/relay.ts";
import type { ListedFile } from "./sftp-listing.ts";
import type { UploadedPart, UploadSink } from "./upload-sink.ts";
import type { WorkerClient } from "./worker-client.ts";

export interface StartedUpload {
  partBytes: number;
  sink: UploadSink<CompleteUploadResponse>;
}

export interface DeliveryBackend {
  listFiles(): Promise<ListedFile[]>;
  createUpload(name: string): Promise<StartedUpload>;
  /** The connection closed: release the session. */
  end(): Promise<void>;
  /** The read-only `results/` folder. */
  listResults(): Promise<ListedFile[]>;
  readResult(name: string): Promise<Uint8Array>;
}

/**
 * `receivedAt` has no unit in the contract; the Worker is expected to send epoch milliseconds,
 * and anything below 1e11 is taken as seconds so either reading yields a sane date.
 */
export function toSeconds(receivedAt: number): number {
  return receivedAt < 1e11 ? receivedAt : Math.floor(receivedAt / 1000);
}

export class WorkerBackend implements DeliveryBackend {
  private readonly client: WorkerClient;
  private readonly session: string;

  constructor(client: WorkerClient, session: string) {
    this.client = client;
    this.session = session;
  }

  async listFiles(): Promise<ListedFile[]> {
    const { files } = await this.client.listFiles(this.session);
    return files.map((f) => ({ name: f.name, size: f.size, mtime: toSeconds(f.receivedAt) }));
  }

  async listResults(): Promise<ListedFile[]> {
    const { files } = await this.client.listResults(this.session);
    return files.map((f) => ({ name: f.name, size: f.size, mtime: toSeconds(f.receivedAt) }));
  }

  readResult(name: string): Promise<Uint8Array> {
    return this.client.readResult(this.session, name);
  }

  async end(): Promise<void> {
    await this.client.endSession(this.session);
  }

  async createUpload(name: string): Promise<StartedUpload> {
    const { client, session } = this;
    const { uploadId, partBytes } = await client.createUpload(session, name);
    const sink: UploadSink<CompleteUploadResponse> = {
      uploadPart: (partNumber: number, bytes: Uint8Array): Promise<UploadedPart> =>
        client.uploadPart(session, uploadId, partNumber, bytes),
      complete: (size, sha256, parts) => client.completeUpload(session, uploadId, { size, sha256, parts }),
      abort: () => client.abortUpload(session, uploadId),
    };
    return { partBytes, sink };
  }
}
