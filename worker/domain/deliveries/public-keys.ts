import { and, desc, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError, notFound, validationFailed } from "../../errors.ts";
import { auditInsert } from "../audit.ts";
import { fromBase64, toBase64 } from "../crypto/encoding.ts";
import type { Deps, Principal } from "../deps.ts";
import { newId } from "../ids.ts";
import { findDelivery } from "./deliveries.ts";

/** Key types a modern OpenSSH client offers; DSA and RSA-SHA1-only setups are not accepted. */
const ALGORITHMS = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

export interface ParsedPublicKey {
  algorithm: string;
  data: string;
  comment: string | null;
  fingerprint: string;
}

/** Parses one `authorized_keys`-style line (`ssh-ed25519 AAAA… comment`) and checks the blob names the same type. */
export async function parsePublicKey(line: string): Promise<ParsedPublicKey> {
  const invalid = (why: string) =>
    validationFailed([{ field: "publicKey", message: why }], `The public key is not valid: ${why}`);
  const [algorithm, data, ...rest] = line.trim().split(/\s+/);
  if (!algorithm || !data) throw invalid("expected `<type> <base64> [comment]`, as in a .pub file");
  if (!ALGORITHMS.has(algorithm)) throw invalid(`key type ${algorithm.slice(0, 40)} is not accepted`);
  let blob: Uint8Array;
  try {
    blob = fromBase64(data);
  } catch {
    throw invalid("the key data is not base64");
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const nameLength = blob.byteLength >= 4 ? view.getUint32(0) : -1;
  const name =
    nameLength > 0 && nameLength <= blob.byteLength - 4 ? new TextDecoder().decode(blob.slice(4, 4 + nameLength)) : "";
  if (name !== algorithm) throw invalid(`the key data is not a ${algorithm} key`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
  return {
    algorithm,
    data: toBase64(blob),
    comment: rest.join(" ").slice(0, 200) || null,
    fingerprint: `SHA256:${toBase64(digest).replace(/=+$/, "")}`,
  };
}

function view(row: typeof schema.deliveryPublicKeys.$inferSelect) {
  return {
    id: row.id,
    algorithm: row.algorithm,
    fingerprint: row.fingerprint,
    comment: row.comment,
    createdAt: row.createdAt,
  };
}

export async function listPublicKeys(deps: Deps, actor: Principal, deliveryId: string) {
  await findDelivery(deps, actor, deliveryId);
  const rows = await deps.db
    .select()
    .from(schema.deliveryPublicKeys)
    .where(
      and(
        eq(schema.deliveryPublicKeys.accountId, actor.accountId),
        eq(schema.deliveryPublicKeys.deliveryId, deliveryId),
      ),
    )
    .orderBy(desc(schema.deliveryPublicKeys.createdAt));
  return rows.map(view);
}

export async function addPublicKey(deps: Deps, actor: Principal, deliveryId: string, line: string) {
  await findDelivery(deps, actor, deliveryId);
  const key = await parsePublicKey(line);
  const row = {
    id: newId("pk"),
    accountId: actor.accountId,
    deliveryId,
    algorithm: key.algorithm,
    keyData: key.data,
    fingerprint: key.fingerprint,
    comment: key.comment,
    createdAt: deps.now(),
  };
  try {
    await deps.db.batch([
      deps.db.insert(schema.deliveryPublicKeys).values(row),
      auditInsert(
        deps,
        actor,
        "delivery.updated",
        { type: "delivery", id: deliveryId },
        { publicKeyAdded: key.fingerprint },
      ),
    ]);
  } catch (err) {
    if (String(err).includes("UNIQUE"))
      throw new AppError("conflict", "This key is already registered on the delivery");
    throw err;
  }
  return view(row);
}

export async function removePublicKey(deps: Deps, actor: Principal, deliveryId: string, keyId: string) {
  await findDelivery(deps, actor, deliveryId);
  const removed = await deps.db
    .delete(schema.deliveryPublicKeys)
    .where(
      and(
        eq(schema.deliveryPublicKeys.id, keyId),
        eq(schema.deliveryPublicKeys.deliveryId, deliveryId),
        eq(schema.deliveryPublicKeys.accountId, actor.accountId),
      ),
    )
    .returning({ fingerprint: schema.deliveryPublicKeys.fingerprint });
  if (removed.length === 0) throw notFound("Public key");
  await auditInsert(
    deps,
    actor,
    "delivery.updated",
    { type: "delivery", id: deliveryId },
    {
      publicKeyRemoved: removed[0]?.fingerprint,
    },
  );
}
