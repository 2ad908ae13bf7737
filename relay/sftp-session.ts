/**
 * One SFTP session: the handle state machine over ssh2's server-side SFTP stream, with storage
 * behind a DeliveryBackend. Every request gets exactly one reply, errors go through sftp-errors.ts.
 * Temp names and RENAME follow temp-renames.ts: imported once, under the final name, at CLOSE.
 */
import { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import type { Attributes, FileEntry, SFTPWrapper } from "ssh2";
import type { CompleteUploadResponse } from "../contracts/relay.ts";
import { RelayError } from "./errors.ts";
import { errorText, type Logger } from "./log.ts";
import type { MemoryBudget } from "./memory-budget.ts";
import { PartAssembler } from "./part-assembler.ts";
import { STATUS, toSftpStatus } from "./sftp-errors.ts";
import { dirAttrs, entry, fileAttrs, ListingCache, rootEntries } from "./sftp-listing.ts";
import { normalizePath, parseUploadPath, RESULTS_DIR, ROOT, type UploadName } from "./sftp-paths.ts";
import { TempRenames } from "./temp-renames.ts";
import type { DeliveryBackend } from "./worker-backend.ts";

const OPEN = { READ: 0x01, WRITE: 0x02, APPEND: 0x04, CREAT: 0x08, TRUNC: 0x10 } as const;
const MAX_OPEN_UPLOADS = 4;
const READDIR_BATCH = 100;

export interface SftpSessionOptions {
  backend: DeliveryBackend;
  maxFileBytes: number;
  windowBytes: number;
  /** The relay-wide cap on part buffers, shared with every other session of the process. */
  budget?: MemoryBudget;
  log: Logger;
  /** Log context (username, client IP); never secrets. */
  logFields: Record<string, string>;
  isShuttingDown: () => boolean;
  /** Called on every request, so the connection's idle timer can be reset. */
  onActivity: () => void;
  /** Called whenever the number of open uploads drops to zero. */
  onUploadsDrained: () => void;
  /** Called before every reply is written (the server batches replies into fewer socket writes). */
  beforeReply?: () => void;
}

type Handle =
  | { kind: "upload"; name: UploadName; assembler: PartAssembler<CompleteUploadResponse>; mtime: number }
  | { kind: "dir"; entries: FileEntry[] }
  | { kind: "read"; data: Uint8Array; mtime: number };

export class SftpSession {
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  private readonly temps = new TempRenames();
  private readonly listing: ListingCache;
  private closed = false;
  private readonly sftp: SFTPWrapper;
  private readonly options: SftpSessionOptions;

  constructor(sftp: SFTPWrapper, options: SftpSessionOptions) {
    this.sftp = sftp;
    this.options = options;
    this.listing = new ListingCache(() => options.backend.listFiles());
    // ssh2's typings list each request event separately; one generic registration keeps the
    // "every request answered once, errors mapped in one place" rule in a single spot.
    const emitter = sftp as unknown as EventEmitter;
    type Handler = (reqid: number, ...args: any[]) => Promise<void> | void;
    const on = (event: string, handler: Handler) =>
      emitter.on(event, (reqid: number, ...args: unknown[]) => {
        options.onActivity();
        Promise.resolve()
          .then(() => handler(reqid, ...args))
          .catch((err: unknown) => this.fail(reqid, err));
      });
    on("REALPATH", (id, path: string) => this.realpath(id, path));
    on("STAT", (id, path: string) => this.statPath(id, path));
    on("LSTAT", (id, path: string) => this.statPath(id, path));
    on("FSTAT", (id, handle: Buffer) => this.fstat(id, handle));
    on("OPEN", (id, path: string, flags: number) => this.open(id, path, flags));
    on("WRITE", (id, handle: Buffer, offset: number, data: Buffer) => this.write(id, handle, offset, data));
    on("READ", (id, handle: Buffer, offset: number, length: number) => this.read(id, handle, offset, length));
    on("CLOSE", (id, handle: Buffer) => this.close(id, handle));
    on("OPENDIR", (id, path: string) => this.opendir(id, path));
    on("READDIR", (id, handle: Buffer) => this.readdir(id, handle));
    on("SETSTAT", (id) => this.ok(id));
    on("FSETSTAT", (id, handle: Buffer) => {
      this.handle(handle);
      this.ok(id);
    });
    on("RENAME", (id, from: string, to: string) => this.rename(id, from, to));
    on("REMOVE", (id, path: string) => this.remove(id, path));
    on("MKDIR", () => {
      throw new RelayError("permission_denied", "folders cannot be created here");
    });
    on("RMDIR", () => {
      throw new RelayError("permission_denied", "folders cannot be removed");
    });
    on("READLINK", (id) => this.status(id, STATUS.OP_UNSUPPORTED, "links are not supported"));
    on("SYMLINK", (id) => this.status(id, STATUS.OP_UNSUPPORTED, "links are not supported"));
    // Without sftp.end() on the stream's end, OpenSSH's sftp hangs on exit.
    sftp.on("end", () => sftp.end());
    sftp.on("close", () => void this.dispose());
  }

  /** Uploads still open: graceful shutdown waits for these. */
  get openUploads(): number {
    let count = 0;
    for (const handle of this.handles.values()) if (handle.kind === "upload") count++;
    return count;
  }

  /** The client is gone: every unfinished upload is aborted, never imported. */
  dispose(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const aborts: Promise<void>[] = [];
    for (const handle of this.handles.values()) {
      if (handle.kind === "upload") aborts.push(handle.assembler.abort());
    }
    this.handles.clear();
    this.options.onUploadsDrained();
    return Promise.all(aborts).then(() => undefined);
  }

  private realpath(id: number, path: string): void {
    const absolute = normalizePath(path, { clamp: true });
    this.send(() => this.sftp.name(id, [{ filename: absolute, longname: absolute, attrs: dirAttrs() }]));
  }

  private async statPath(id: number, path: string): Promise<void> {
    const attrs = await this.lookup(normalizePath(path));
    if (!attrs) throw new RelayError("no_such_file", "no such file");
    this.send(() => this.sftp.attrs(id, attrs));
  }

  private fstat(id: number, raw: Buffer): void {
    const handle = this.handle(raw);
    const attrs =
      handle.kind === "dir"
        ? dirAttrs()
        : handle.kind === "read"
          ? fileAttrs(handle.data.byteLength, handle.mtime)
          : fileAttrs(handle.assembler.size, handle.mtime);
    this.send(() => this.sftp.attrs(id, attrs));
  }

  private async open(id: number, path: string, flags: number): Promise<void> {
    if (!(flags & OPEN.WRITE)) return this.openResult(id, path);
    const name = parseUploadPath(path);
    if (flags & OPEN.APPEND) throw new RelayError("resume_unsupported", "resuming uploads is not supported");
    if (!(flags & OPEN.TRUNC) && (await this.lookup(`/${name.openedName}`))) {
      throw new RelayError("resume_unsupported", "resuming uploads is not supported");
    }
    if (this.options.isShuttingDown()) {
      throw new RelayError("shutting_down", "the server is restarting, please retry in a moment");
    }
    if (this.openUploads >= MAX_OPEN_UPLOADS) {
      throw new RelayError("too_many_open_files", `at most ${MAX_OPEN_UPLOADS} files can be uploaded at once`);
    }
    const { partBytes, sink } = await this.options.backend.createUpload(name.finalName);
    const assembler = new PartAssembler(sink, {
      partBytes,
      maxBytes: this.options.maxFileBytes,
      windowBytes: this.options.windowBytes,
      budget: this.options.budget,
    });
    if (this.closed) {
      await assembler.abort();
      return;
    }
    const number = this.nextHandle++;
    this.handles.set(number, { kind: "upload", name, assembler, mtime: Math.floor(Date.now() / 1000) });
    this.temps.forget(name.openedName);
    this.send(() => this.sftp.handle(id, handleBuffer(number)));
  }

  private async write(id: number, raw: Buffer, offset: number, data: Buffer): Promise<void> {
    const handle = this.handle(raw);
    if (handle.kind !== "upload") throw new RelayError("bad_handle", "not a file handle");
    // The promise settles when the relay may answer: this held-back reply is the backpressure.
    await handle.assembler.write(offset, data);
    this.ok(id);
  }

  private async close(id: number, raw: Buffer): Promise<void> {
    const number = raw.length === 4 ? raw.readUInt32BE(0) : -1;
    const handle = this.handle(raw);
    if (handle.kind === "dir" || handle.kind === "read") {
      this.handles.delete(number);
      return this.ok(id);
    }
    try {
      const done = await handle.assembler.finish();
      this.listing.invalidate();
      if (handle.name.isTemp) {
        this.temps.completed(handle.name.openedName, {
          name: done.name,
          size: done.size,
          mtime: handle.mtime,
        });
      }
      this.options.log.info("file received", { ...this.options.logFields, name: done.name, size: done.size });
      this.ok(id);
    } catch (err) {
      this.options.log.warn("upload failed", {
        ...this.options.logFields,
        name: handle.name.finalName,
        error: errorText(err),
      });
      throw err;
    } finally {
      this.handles.delete(number);
      if (this.openUploads === 0) this.options.onUploadsDrained();
    }
  }

  private async opendir(id: number, path: string): Promise<void> {
    const absolute = normalizePath(path);
    let entries: FileEntry[];
    if (absolute === ROOT) entries = rootEntries(await this.listing.get());
    else if (absolute === RESULTS_DIR) {
      entries = (await this.options.backend.listResults()).map((f) => entry(f.name, fileAttrs(f.size, f.mtime)));
    } else if (await this.lookup(absolute)) throw new RelayError("no_such_file", "not a folder");
    else throw new RelayError("no_such_file", "no such folder");
    const number = this.nextHandle++;
    this.handles.set(number, {
      kind: "dir",
      entries: [entry(".", dirAttrs()), entry("..", dirAttrs()), ...entries],
    });
    this.send(() => this.sftp.handle(id, handleBuffer(number)));
  }

  private readdir(id: number, raw: Buffer): void {
    const handle = this.handle(raw);
    if (handle.kind !== "dir") throw new RelayError("bad_handle", "not a folder handle");
    if (handle.entries.length === 0) {
      this.status(id, STATUS.EOF);
      return;
    }
    const batch = handle.entries.splice(0, READDIR_BATCH);
    this.send(() => this.sftp.name(id, batch));
  }

  private rename(id: number, from: string, to: string): void {
    this.temps.rename(normalizePath(from).slice(1), normalizePath(to).slice(1));
    this.ok(id);
  }

  private remove(id: number, path: string): void {
    this.temps.remove(normalizePath(path).slice(1));
    this.ok(id);
  }

  /** Attributes of a path, or undefined when there is nothing there. */
  /**
   * `results/<file>.report.json` and `.errors.csv` are read-only: the whole result is fetched at
   * OPEN (they are small) and READ serves slices of it.
   */
  private async openResult(id: number, path: string): Promise<void> {
    const absolute = normalizePath(path);
    if (!absolute.startsWith(`${RESULTS_DIR}/`)) {
      throw new RelayError("permission_denied", "only files in results/ can be read");
    }
    const name = absolute.slice(RESULTS_DIR.length + 1);
    const listed = (await this.options.backend.listResults()).find((f) => f.name === name);
    if (!listed) throw new RelayError("no_such_file", "no such result");
    const data = await this.options.backend.readResult(name);
    const number = this.nextHandle++;
    this.handles.set(number, { kind: "read", data, mtime: listed.mtime });
    this.send(() => this.sftp.handle(id, handleBuffer(number)));
  }

  private read(id: number, raw: Buffer, offset: number, length: number): void {
    const handle = this.handle(raw);
    if (handle.kind !== "read") throw new RelayError("permission_denied", "this file is open for writing");
    if (offset >= handle.data.byteLength) {
      this.status(id, STATUS.EOF);
      return;
    }
    const chunk = handle.data.subarray(offset, Math.min(handle.data.byteLength, offset + length));
    this.send(() => this.sftp.data(id, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }

  private async lookup(absolute: string): Promise<Attributes | undefined> {
    if (absolute === ROOT || absolute === RESULTS_DIR) return dirAttrs();
    if (absolute.startsWith(`${RESULTS_DIR}/`)) {
      const result = (await this.options.backend.listResults()).find(
        (f) => f.name === absolute.slice(RESULTS_DIR.length + 1),
      );
      return result ? fileAttrs(result.size, result.mtime) : undefined;
    }
    const name = absolute.slice(1);
    if (name.includes("/")) return undefined;
    const temp = this.temps.get(name);
    if (temp) return fileAttrs(temp.size, temp.mtime);
    for (const handle of this.handles.values()) {
      if (handle.kind === "upload" && handle.name.openedName === name) {
        return fileAttrs(handle.assembler.size, handle.mtime);
      }
    }
    const file = (await this.listing.get()).find((f) => f.name === name);
    return file ? fileAttrs(file.size, file.mtime) : undefined;
  }

  private handle(raw: Buffer): Handle {
    const handle = raw.length === 4 ? this.handles.get(raw.readUInt32BE(0)) : undefined;
    if (!handle) throw new RelayError("bad_handle", "invalid handle");
    return handle;
  }

  private ok(id: number): void {
    this.status(id, STATUS.OK);
  }

  private fail(id: number, err: unknown): void {
    const { code, message } = toSftpStatus(err);
    this.status(id, code, message);
  }

  private status(id: number, code: number, message?: string): void {
    this.send(() => this.sftp.status(id, code, message));
  }

  /** Replies are dropped once the channel is gone; ssh2 would otherwise write to a closed channel. */
  private send(reply: () => void): void {
    if (this.closed) return;
    this.options.beforeReply?.();
    try {
      reply();
    } catch {
      // The channel closed between the check and the write; nobody is listening any more.
    }
  }
}

function handleBuffer(number: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(number, 0);
  return buf;
}
