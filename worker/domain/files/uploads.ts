import { and, desc, eq, inArray, lt } from "drizzle-orm";
import type { CompleteUploadRequest } from "../../../contracts/relay.ts";
import { schema } from "../../db/client.ts";
import { AppError, notFound } from "../../errors.ts";
import { noteFileReceived } from "../alerts/monitor.ts";
import type { Deps } from "../deps.ts";
import { newId } from "../ids.ts";
import { fileReceivedEvent } from "../webhooks/cause-events.ts";
import { enqueueEvent, eventBatchItems, eventUndoItems } from "../webhooks/events.ts";
import { fileNameProblem, isTestFileName } from "./file-names.ts";

/** Who is uploading: one delivery of one account, from one address. */
export interface UploadOwner {
  accountId: string;
  deliveryId: string;
  sourceIp: string | null;
  via: "sftp" | "http";
  /** HTTP uploads may ask for Test mode explicitly (`?test=true`) besides the file-name rule. */
  test?: boolean;
}

type UploadRow = typeof schema.uploads.$inferSelect;

function r2KeyFor(owner: UploadOwner, uploadId: string, name: string, now: number) {
  const day = new Date(now).toISOString().slice(0, 10);
  return `accounts/${owner.accountId}/deliveries/${owner.deliveryId}/${day}/${uploadId}/${name}`;
}

/** Starts an R2 multipart upload for a file of this delivery. */
export async function createUpload(deps: Deps, owner: UploadOwner, name: string, id = newId("upl")) {
  const problem = fileNameProblem(name);
  if (problem) throw new AppError("validation_failed", problem, [{ field: "name", message: problem }]);
  const now = deps.now();
  const key = r2KeyFor(owner, id, name, now);
  const mpu = await deps.bucket.createMultipartUpload(key, {
    httpMetadata: { contentType: "text/csv" },
    customMetadata: { accountId: owner.accountId, deliveryId: owner.deliveryId, name },
  });
  await deps.db.insert(schema.uploads).values({
    id,
    accountId: owner.accountId,
    deliveryId: owner.deliveryId,
    name,
    r2Key: key,
    r2UploadId: mpu.uploadId,
    sourceIp: owner.sourceIp,
    status: "open",
    fileId: null,
    createdAt: now,
    updatedAt: now,
  });
  return { uploadId: id };
}

async function findUpload(deps: Deps, owner: UploadOwner, id: string): Promise<UploadRow> {
  const [row] = await deps.db
    .select()
    .from(schema.uploads)
    .where(
      and(
        eq(schema.uploads.id, id),
        eq(schema.uploads.accountId, owner.accountId),
        eq(schema.uploads.deliveryId, owner.deliveryId),
      ),
    )
    .limit(1);
  if (!row) throw notFound("Upload");
  return row;
}

function openUpload(row: UploadRow) {
  if (row.status !== "open") throw new AppError("conflict", `The upload is already ${row.status}`);
  return row;
}

/**
 * Streams one part into R2. The body must have a known length (R2 refuses
 * streams of unknown length); every part but the last has the same size.
 */
export async function uploadPart(
  deps: Deps,
  owner: UploadOwner,
  id: string,
  partNumber: number,
  body: ReadableStream<Uint8Array> | ArrayBuffer,
) {
  const row = openUpload(await findUpload(deps, owner, id));
  const mpu = deps.bucket.resumeMultipartUpload(row.r2Key, row.r2UploadId);
  const part = await mpu.uploadPart(partNumber, body);
  return { partNumber: part.partNumber, etag: part.etag };
}

/** How long a second complete of the same upload waits for the first one to finish. */
export const COMPLETE_WAIT_MS = 20_000;

/**
 * Completes the multipart upload, checks the size, records the received file
 * and enqueues its import. Only when all of that succeeded does the caller
 * acknowledge the file to the client: an acknowledged file is durable. If the
 * enqueue fails the file is un-recorded again, so nothing is half-received.
 * Completing an already completed upload answers the same file (safe retries).
 *
 * One request at a time completes an upload: it claims it in D1 first (`open`
 * → `completing`). A retry that arrives while the first request is still at
 * work (the relay retries a complete whose answer was slow) waits for its
 * outcome instead of completing the R2 upload a second time and recording
 * the file twice.
 */
export async function completeUpload(deps: Deps, owner: UploadOwner, id: string, req: CompleteUploadRequest) {
  const row = await findUpload(deps, owner, id);
  const claimed = row.status === "open" && (await setStatus(deps, row, "open", "completing"));
  if (!claimed) return completedElsewhere(deps, owner, id);
  const mpu = deps.bucket.resumeMultipartUpload(row.r2Key, row.r2UploadId);
  const parts = [...req.parts].sort((a, b) => a.partNumber - b.partNumber);
  let object: R2Object;
  try {
    object = await mpu.complete(parts);
  } catch (err) {
    // Released, so that the caller's abort finds the upload open and drops its parts.
    await setStatus(deps, row, "completing", "open");
    throw new AppError("bad_request", `R2 refused to complete the upload: ${(err as Error).message}`);
  }
  if (object.size !== req.size) {
    await deps.bucket.delete(row.r2Key);
    await setStatus(deps, row, "completing", "aborted");
    throw new AppError("bad_request", `The stored file has ${object.size} bytes, not the ${req.size} sent`);
  }
  const now = deps.now();
  const fileId = newId("fil");
  const isTest = owner.test === true || isTestFileName(row.name);
  const received = await fileReceivedEvent(deps, {
    accountId: owner.accountId,
    deliveryId: owner.deliveryId,
    fileId,
    name: row.name,
    size: req.size,
    sha256: req.sha256,
    via: owner.via,
    test: isTest,
    receivedAt: now,
  });
  await deps.db.batch([
    deps.db.insert(schema.receivedFiles).values({
      id: fileId,
      accountId: owner.accountId,
      deliveryId: owner.deliveryId,
      name: row.name,
      size: req.size,
      sha256: req.sha256,
      r2Key: row.r2Key,
      sourceIp: row.sourceIp,
      via: owner.via,
      isTest,
      status: "queued",
      receivedAt: now,
    }),
    deps.db
      .update(schema.uploads)
      .set({ status: "completed", fileId, updatedAt: now })
      .where(and(eq(schema.uploads.id, row.id), eq(schema.uploads.status, "completing"))),
    ...eventBatchItems(received),
  ]);
  try {
    await deps.queue.send({ type: "import", accountId: owner.accountId, fileId });
  } catch (err) {
    console.error(`enqueue of file ${fileId} failed; un-recording it`, err);
    await deps.db.batch([
      deps.db.delete(schema.receivedFiles).where(eq(schema.receivedFiles.id, fileId)),
      ...eventUndoItems(deps, received),
      deps.db
        .update(schema.uploads)
        .set({ status: "aborted", fileId: null, updatedAt: now })
        .where(eq(schema.uploads.id, row.id)),
    ]);
    await deps.bucket.delete(row.r2Key);
    throw new AppError("unavailable", "The file could not be queued for import; send it again");
  }
  await enqueueEvent(deps, received);
  // The file is durable and queued; clearing an overdue state must not fail the upload.
  await noteFileReceived(deps, owner.accountId, owner.deliveryId, now).catch((err) =>
    console.error(`clearing the overdue state of delivery ${owner.deliveryId} failed`, err),
  );
  return { fileId, name: row.name, size: req.size, sha256: req.sha256 };
}

/** Moves the upload from one status to another; false when it was not in `from` any more. */
async function setStatus(deps: Deps, row: UploadRow, from: UploadRow["status"], to: UploadRow["status"]) {
  const result = await deps.db
    .update(schema.uploads)
    .set({ status: to, updatedAt: deps.now() })
    .where(and(eq(schema.uploads.id, row.id), eq(schema.uploads.status, from)));
  return result.meta.changes === 1;
}

const markAborted = (deps: Deps, row: UploadRow) => setStatus(deps, row, "open", "aborted");

/**
 * The answer for a complete that did not get the claim: the file another
 * request recorded (waiting while that request is still at work), or a
 * conflict when the upload ended without one.
 */
async function completedElsewhere(deps: Deps, owner: UploadOwner, id: string) {
  const deadline = Date.now() + COMPLETE_WAIT_MS;
  for (;;) {
    const row = await findUpload(deps, owner, id);
    if (row.status === "completed" && row.fileId) {
      const [file] = await deps.db.select().from(schema.receivedFiles).where(eq(schema.receivedFiles.id, row.fileId));
      if (file) return { fileId: file.id, name: file.name, size: file.size, sha256: file.sha256 };
    }
    if (row.status !== "completing") throw new AppError("conflict", `The upload is already ${row.status}`);
    if (Date.now() >= deadline) {
      throw new AppError("unavailable", "The upload is still being completed by an earlier request; try again");
    }
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** Abandons an upload: R2 drops its parts; nothing is recorded as received. Idempotent. */
export async function abortUpload(deps: Deps, owner: UploadOwner, id: string) {
  const row = await findUpload(deps, owner, id);
  if (row.status !== "open") return;
  await deps.bucket
    .resumeMultipartUpload(row.r2Key, row.r2UploadId)
    .abort()
    .catch(() => {});
  await markAborted(deps, row);
}

/** This delivery's most recent files, newest first (for SFTP `ls`). */
export async function listRecentFiles(deps: Deps, owner: Pick<UploadOwner, "accountId" | "deliveryId">, limit = 200) {
  const rows = await deps.db
    .select({
      id: schema.receivedFiles.id,
      name: schema.receivedFiles.name,
      size: schema.receivedFiles.size,
      receivedAt: schema.receivedFiles.receivedAt,
      status: schema.receivedFiles.status,
    })
    .from(schema.receivedFiles)
    .where(
      and(eq(schema.receivedFiles.accountId, owner.accountId), eq(schema.receivedFiles.deliveryId, owner.deliveryId)),
    )
    .orderBy(desc(schema.receivedFiles.receivedAt))
    .limit(limit);
  return rows;
}

/** Uploads left open longer than this (a relay that died mid-file) are aborted by the cron. */
export const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/**
 * Aborts uploads abandoned by a relay that died before it could abort them,
 * and completes that never finished (the Worker stopped between claiming and
 * recording the file: an object R2 may hold is deleted, as nothing refers to
 * it). R2 would expire their parts after a week anyway; this frees them sooner
 * and marks them aborted. Idempotent: a repeated cron run finds nothing more to do.
 */
export async function sweepStaleUploads(deps: Deps, limit = 100) {
  const stale = await deps.db
    .select()
    .from(schema.uploads)
    .where(
      and(
        inArray(schema.uploads.status, ["open", "completing"]),
        lt(schema.uploads.createdAt, deps.now() - STALE_UPLOAD_MS),
      ),
    )
    .limit(limit);
  for (const row of stale) {
    await deps.bucket
      .resumeMultipartUpload(row.r2Key, row.r2UploadId)
      .abort()
      .catch(() => {});
    if (row.status === "completing") {
      await deps.bucket.delete(row.r2Key);
      await setStatus(deps, row, "completing", "aborted");
    } else await markAborted(deps, row);
  }
  return stale.length;
}
