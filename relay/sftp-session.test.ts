import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import type { SFTPWrapper } from "ssh2";
import { describe, expect, it } from "vitest";
import type { CompleteUploadResponse } from "../contracts/relay.ts";
import { silentLogger } from "./log.ts";
import { MemoryBudget } from "./memory-budget.ts";
import { STATUS } from "./sftp-errors.ts";
import type { ListedFile } from "./sftp-listing.ts";
import { SftpSession } from "./sftp-session.ts";
import type { DeliveryBackend, StartedUpload } from "./worker-backend.ts";

const WRITE_CREATE_TRUNC = 0x02 | 0x08 | 0x10;

type Reply =
  | { type: "status"; code: number; message?: string }
  | { type: "handle"; handle: Buffer }
  | { type: "name"; names: { filename: string }[] }
  | { type: "attrs"; attrs: { size: number; mode: number } }
  | { type: "data"; data: Buffer };

/** Stands in for ssh2's server SFTP stream: requests are emitted, replies recorded by id. */
class FakeSftp extends EventEmitter {
  replies = new Map<number, Reply>();
  private nextId = 1;
  status(id: number, code: number, message?: string) {
    this.replies.set(id, { type: "status", code, message });
  }
  handle(id: number, handle: Buffer) {
    this.replies.set(id, { type: "handle", handle });
  }
  name(id: number, names: { filename: string }[]) {
    this.replies.set(id, { type: "name", names });
  }
  attrs(id: number, attrs: { size: number; mode: number }) {
    this.replies.set(id, { type: "attrs", attrs });
  }
  data(id: number, data: Buffer) {
    this.replies.set(id, { type: "data", data: Buffer.from(data) });
  }
  end() {}

  async request(event: string, ...args: unknown[]): Promise<Reply> {
    const id = this.nextId++;
    this.emit(event, id, ...args);
    for (let i = 0; i < 200; i++) {
      const reply = this.replies.get(id);
      if (reply) return reply;
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error(`no reply to ${event}`);
  }
}

class MemoryBackend implements DeliveryBackend {
  files: ListedFile[] = [{ name: "users.csv", size: 10, mtime: 1_700_000_000 }];
  created: string[] = [];
  completed: { name: string; bytes: Buffer }[] = [];
  aborted = 0;
  failComplete = false;

  async listFiles() {
    return this.files;
  }

  async end() {}

  results: ListedFile[] = [{ name: "users.csv.report.json", size: 11, mtime: 1_700_000_000 }];

  async listResults() {
    return this.results;
  }

  async readResult(name: string) {
    if (name !== "users.csv.report.json") throw new Error("no such result");
    return new TextEncoder().encode('{"ok":true}');
  }

  async createUpload(name: string): Promise<StartedUpload> {
    this.created.push(name);
    const parts = new Map<number, Buffer>();
    return {
      partBytes: 5 * 1024 * 1024,
      sink: {
        uploadPart: async (partNumber, bytes) => {
          parts.set(partNumber, Buffer.from(bytes));
          return { partNumber, etag: `e${partNumber}` };
        },
        complete: async (size, sha256): Promise<CompleteUploadResponse> => {
          if (this.failComplete) throw new Error("R2 down");
          this.completed.push({ name, bytes: Buffer.concat([...parts.values()]) });
          return { fileId: "f1", name, size, sha256 };
        },
        abort: async () => {
          this.aborted++;
        },
      },
    };
  }
}

function setup(budget?: MemoryBudget) {
  const sftp = new FakeSftp();
  const backend = new MemoryBackend();
  const session = new SftpSession(sftp as unknown as SFTPWrapper, {
    backend,
    maxFileBytes: 1024 * 1024,
    windowBytes: 1024 * 1024,
    budget,
    log: silentLogger,
    logFields: {},
    isShuttingDown: () => false,
    onActivity: () => undefined,
    onUploadsDrained: () => undefined,
  });
  return { sftp, backend, session };
}

async function upload(sftp: FakeSftp, path: string, content: string): Promise<Reply> {
  const opened = await sftp.request("OPEN", path, WRITE_CREATE_TRUNC, {});
  if (opened.type !== "handle") throw new Error(`open failed: ${JSON.stringify(opened)}`);
  expect(await sftp.request("WRITE", opened.handle, 0, Buffer.from(content))).toMatchObject({
    code: STATUS.OK,
  });
  return sftp.request("CLOSE", opened.handle);
}

describe("SftpSession", () => {
  it("follows WinSCP's overwrite: temp upload, delete target, rename onto it — imported once", async () => {
    const { sftp, backend } = setup();
    expect(await upload(sftp, "/users.csv.filepart", "email\na@b.c\n")).toMatchObject({ code: STATUS.OK });
    expect(await sftp.request("STAT", "/users.csv.filepart")).toMatchObject({ attrs: { size: 12 } });
    expect(await sftp.request("REMOVE", "/users.csv")).toMatchObject({ code: STATUS.OK });
    expect(await sftp.request("RENAME", "/users.csv.filepart", "/users.csv")).toMatchObject({
      code: STATUS.OK,
    });
    expect(backend.created).toEqual(["users.csv"]);
    expect(backend.completed.map((c) => [c.name, c.bytes.toString()])).toEqual([["users.csv", "email\na@b.c\n"]]);
    expect(await sftp.request("STAT", "/users.csv.filepart")).toMatchObject({ code: STATUS.NO_SUCH_FILE });
  });

  it("refuses to rename a temp file to another name, or any received file", async () => {
    const { sftp } = setup();
    await upload(sftp, "/a.csv.part", "x");
    expect(await sftp.request("RENAME", "/a.csv.part", "/b.csv")).toMatchObject({
      code: STATUS.PERMISSION_DENIED,
      message: "the file was received as a.csv and cannot be renamed",
    });
    expect(await sftp.request("RENAME", "/users.csv", "/old.csv")).toMatchObject({
      code: STATUS.PERMISSION_DENIED,
    });
  });

  it("refuses to resume (reput) an existing file", async () => {
    const { sftp, backend } = setup();
    expect(await sftp.request("OPEN", "/users.csv", 0x02, {})).toMatchObject({
      code: STATUS.OP_UNSUPPORTED,
      message: "resuming uploads is not supported",
    });
    expect(await sftp.request("OPEN", "/users.csv", 0x02 | 0x04 | 0x08, {})).toMatchObject({
      code: STATUS.OP_UNSUPPORTED,
    });
    expect(backend.created).toEqual([]);
  });

  it("refuses reading outside results/, non-CSV names and paths that climb out of the root", async () => {
    const { sftp } = setup();
    expect(await sftp.request("OPEN", "/users.csv", 0x01, {})).toMatchObject({
      code: STATUS.PERMISSION_DENIED,
    });
    expect(await sftp.request("OPEN", "/a.txt", WRITE_CREATE_TRUNC, {})).toMatchObject({
      code: STATUS.PERMISSION_DENIED,
      message: "only .csv files are accepted",
    });
    expect(await sftp.request("OPEN", "/../a.csv", WRITE_CREATE_TRUNC, {})).toMatchObject({
      code: STATUS.NO_SUCH_FILE,
    });
    expect(await sftp.request("STAT", "/a\u0000.csv")).toMatchObject({ code: STATUS.NO_SUCH_FILE });
  });

  it("lists results/ and serves a result file read-only, in slices, then EOF", async () => {
    const { sftp } = setup();
    const dir = await sftp.request("OPENDIR", "/results");
    if (dir.type !== "handle") throw new Error("no handle");
    const page = await sftp.request("READDIR", dir.handle);
    expect(page.type === "name" && page.names.map((n) => n.filename)).toEqual([".", "..", "users.csv.report.json"]);
    expect(await sftp.request("STAT", "/results/users.csv.report.json")).toMatchObject({ attrs: { size: 11 } });
    const file = await sftp.request("OPEN", "/results/users.csv.report.json", 0x01, {});
    if (file.type !== "handle") throw new Error("no handle");
    expect(await sftp.request("READ", file.handle, 0, 6)).toMatchObject({ type: "data" });
    const rest = await sftp.request("READ", file.handle, 6, 100);
    expect(rest.type === "data" && Buffer.from(rest.data).toString()).toBe("true}");
    expect(await sftp.request("READ", file.handle, 11, 100)).toMatchObject({ code: STATUS.EOF });
    expect(await sftp.request("WRITE", file.handle, 0, Buffer.from("x"))).toMatchObject({ code: STATUS.FAILURE });
    expect(await sftp.request("CLOSE", file.handle)).toMatchObject({ code: STATUS.OK });
    expect(await sftp.request("OPEN", "/results/other.report.json", 0x01, {})).toMatchObject({
      code: STATUS.NO_SUCH_FILE,
    });
  });

  it("answers REALPATH and STAT for the virtual folders and listed files", async () => {
    const { sftp } = setup();
    expect(await sftp.request("REALPATH", ".")).toMatchObject({ names: [{ filename: "/" }] });
    expect(await sftp.request("REALPATH", "../..")).toMatchObject({ names: [{ filename: "/" }] });
    expect(await sftp.request("REALPATH", "sub/../x.csv")).toMatchObject({ names: [{ filename: "/x.csv" }] });
    expect(await sftp.request("STAT", "/results")).toMatchObject({ attrs: { mode: 0o40755 } });
    expect(await sftp.request("LSTAT", "users.csv")).toMatchObject({ attrs: { size: 10, mode: 0o100644 } });
    expect(await sftp.request("STAT", "/nope.csv")).toMatchObject({ code: STATUS.NO_SUCH_FILE });
  });

  it("lists the root once and then reports EOF", async () => {
    const { sftp } = setup();
    const dir = await sftp.request("OPENDIR", "/");
    if (dir.type !== "handle") throw new Error("no handle");
    const page = await sftp.request("READDIR", dir.handle);
    expect(page.type === "name" && page.names.map((n) => n.filename)).toEqual([".", "..", "results", "users.csv"]);
    expect(await sftp.request("READDIR", dir.handle)).toMatchObject({ code: STATUS.EOF });
    expect(await sftp.request("CLOSE", dir.handle)).toMatchObject({ code: STATUS.OK });
  });

  it("accepts SETSTAT/FSETSTAT and refuses MKDIR, RMDIR and REMOVE", async () => {
    const { sftp } = setup();
    expect(await sftp.request("SETSTAT", "/users.csv", {})).toMatchObject({ code: STATUS.OK });
    expect(await sftp.request("MKDIR", "/x", {})).toMatchObject({ code: STATUS.PERMISSION_DENIED });
    expect(await sftp.request("RMDIR", "/results")).toMatchObject({ code: STATUS.PERMISSION_DENIED });
    expect(await sftp.request("REMOVE", "/users.csv")).toMatchObject({
      code: STATUS.PERMISSION_DENIED,
      message: "received files cannot be deleted",
    });
  });

  it("fails CLOSE when complete fails, and aborts the upload", async () => {
    const { sftp, backend } = setup();
    backend.failComplete = true;
    expect(await upload(sftp, "/x.csv", "abc")).toMatchObject({ code: STATUS.FAILURE });
    expect(backend.aborted).toBe(1);
  });

  it("reserves an upload's part buffer from the shared budget and returns it at CLOSE", async () => {
    const budget = new MemoryBudget(64 * 1024 * 1024);
    const { sftp, backend } = setup(budget);
    const opened = await sftp.request("OPEN", "/big.csv", WRITE_CREATE_TRUNC, {});
    if (opened.type !== "handle") throw new Error("no handle");
    const content = Buffer.alloc(300 * 1024, 0x61);
    expect(await sftp.request("WRITE", opened.handle, 0, content)).toMatchObject({ code: STATUS.OK });
    expect(budget.usedBytes).toBe(5 * 1024 * 1024);
    expect(await sftp.request("CLOSE", opened.handle)).toMatchObject({ code: STATUS.OK });
    expect(budget.usedBytes).toBe(0);
    expect(backend.completed.map((c) => c.bytes.length)).toEqual([content.length]);
  });

  it("aborts open uploads when the client goes away", async () => {
    const { sftp, backend, session } = setup();
    const opened = await sftp.request("OPEN", "/x.csv", WRITE_CREATE_TRUNC, {});
    if (opened.type !== "handle") throw new Error("no handle");
    await sftp.request("WRITE", opened.handle, 0, Buffer.from("abc"));
    expect(await sftp.request("FSTAT", opened.handle)).toMatchObject({ attrs: { size: 3 } });
    await session.dispose();
    expect(backend.aborted).toBe(1);
    expect(backend.completed).toEqual([]);
  });
});
