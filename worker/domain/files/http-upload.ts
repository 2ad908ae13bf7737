import { and, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { toHex } from "../crypto/encoding.ts";
import { sha256Hex } from "../crypto/secrets.ts";
import { findDelivery } from "../deliveries/deliveries.ts";
import type { Deps, Principal } from "../deps.ts";
import { RELAY_LIMITS } from "../relay/logins.ts";
import { fileView, findFile } from "./received-files.ts";
import { abortUpload, completeUpload, createUpload, type UploadOwner, uploadPart } from "./uploads.ts";

export interface HttpUploadInput {
  name: string;
  test: boolean;
  idempotencyKey: string | undefined;
  sourceIp: string | null;
  body: ReadableStream<Uint8Array>;
}

/**
 * Uploads a file over HTTPS into R2, then the same queue and import as SFTP.
 * The body is streamed in fixed-size multipart parts (memory stays at one
 * part) while SHA-256 is computed on the way. With an Idempotency-Key the
 * upload's id is derived from the key, so a retry finds the first attempt:
 * a completed one answers the same file, nothing is stored twice.
 */
export async function uploadOverHttp(deps: Deps, actor: Principal, deliveryId: string, input: HttpUploadInput) {
  const delivery = await findDelivery(deps, actor, deliveryId);
  if (delivery.status !== "enabled")
    throw new AppError("conflict", "The delivery is disabled: enable it to receive files");
  const owner: UploadOwner = {
    accountId: actor.accountId,
    deliveryId,
    sourceIp: input.sourceIp,
    via: "http",
    test: input.test,
  };

  let uploadId: string | undefined;
  if (input.idempotencyKey !== undefined) {
    uploadId = `upl_${(await sha256Hex(`${actor.accountId}:${deliveryId}:${input.idempotencyKey}`)).slice(0, 32)}`;
    const [previous] = await deps.db
      .select()
      .from(schema.uploads)
      .where(and(eq(schema.uploads.id, uploadId), eq(schema.uploads.accountId, actor.accountId)));
    if (previous?.status === "completed" && previous.fileId) {
      return { replayed: true, file: fileView(await findFile(deps, actor, previous.fileId)) };
    }
    if (previous?.status === "open" || previous?.status === "completing") {
      throw new AppError("conflict", "An upload with this Idempotency-Key is still in progress");
    }
    // An earlier attempt failed: start again under the same key.
    if (previous) await deps.db.delete(schema.uploads).where(eq(schema.uploads.id, uploadId));
  }

  const { uploadId: id } = await createUpload(deps, owner, input.name, uploadId);
  try {
    const { size, sha256, parts } = await streamParts(deps, owner, id, input.body);
    const done = await completeUpload(deps, owner, id, { size, sha256, parts });
    return { replayed: false, file: fileView(await findFile(deps, actor, done.fileId)) };
  } catch (err) {
    await abortUpload(deps, owner, id).catch(() => {});
    throw err;
  }
}

async function streamParts(deps: Deps, owner: UploadOwner, uploadId: string, body: ReadableStream<Uint8Array>) {
  const partBytes = RELAY_LIMITS.partBytes;
  const digest = new crypto.DigestStream("SHA-256");
  const hashWriter = digest.getWriter();
  const parts: { partNumber: number; etag: string }[] = [];
  let buffer = new Uint8Array(partBytes);
  let filled = 0;
  let size = 0;
  const flush = async () => {
    const part = await uploadPart(deps, owner, uploadId, parts.length + 1, buffer.slice(0, filled).buffer);
    parts.push(part);
    buffer = new Uint8Array(partBytes);
    filled = 0;
  };
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > RELAY_LIMITS.maxFileBytes) {
      await reader.cancel();
      throw new AppError("payload_too_large", `Files are limited to ${RELAY_LIMITS.maxFileBytes / 1024 / 1024} MiB`);
    }
    await hashWriter.write(value);
    let offset = 0;
    while (offset < value.byteLength) {
      const take = Math.min(partBytes - filled, value.byteLength - offset);
      buffer.set(value.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === partBytes) await flush();
    }
  }
  if (size === 0) throw new AppError("bad_request", "The request body is empty: send the CSV file as the body");
  if (filled > 0) await flush();
  await hashWriter.close();
  return { size, sha256: toHex(await digest.digest), parts };
}
