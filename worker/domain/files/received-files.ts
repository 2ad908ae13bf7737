import { and, desc, eq, lt, or } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { notFound } from "../../errors.ts";
import { findDelivery } from "../deliveries/deliveries.ts";
import type { Deps, Principal } from "../deps.ts";

type Row = typeof schema.receivedFiles.$inferSelect;

export function fileView(row: Row) {
  return {
    id: row.id,
    deliveryId: row.deliveryId,
    name: row.name,
    size: row.size,
    sha256: row.sha256,
    sourceIp: row.sourceIp,
    via: row.via,
    isTest: row.isTest,
    status: row.status,
    receivedAt: row.receivedAt,
  };
}

export type FileView = ReturnType<typeof fileView>;

/** A delivery's received files, newest first, paged by an opaque `receivedAt:id` cursor. */
export async function listFiles(
  deps: Deps,
  actor: Principal,
  deliveryId: string,
  opts: { limit: number; cursor?: string | undefined },
) {
  await findDelivery(deps, actor, deliveryId);
  const [cursorAt, cursorId] = (opts.cursor ?? "").split(":");
  const after =
    cursorAt && cursorId
      ? or(
          lt(schema.receivedFiles.receivedAt, Number(cursorAt)),
          and(eq(schema.receivedFiles.receivedAt, Number(cursorAt)), lt(schema.receivedFiles.id, cursorId)),
        )
      : undefined;
  const rows = await deps.db
    .select()
    .from(schema.receivedFiles)
    .where(
      and(eq(schema.receivedFiles.accountId, actor.accountId), eq(schema.receivedFiles.deliveryId, deliveryId), after),
    )
    .orderBy(desc(schema.receivedFiles.receivedAt), desc(schema.receivedFiles.id))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    files: page.map(fileView),
    nextCursor: rows.length > opts.limit && last ? `${last.receivedAt}:${last.id}` : null,
  };
}

export async function findFile(deps: Pick<Deps, "db">, actor: Principal, id: string): Promise<Row> {
  const [row] = await deps.db
    .select()
    .from(schema.receivedFiles)
    .where(and(eq(schema.receivedFiles.id, id), eq(schema.receivedFiles.accountId, actor.accountId)))
    .limit(1);
  if (!row) throw notFound("File");
  return row;
}

/** The original bytes, streamed from R2 (never read into memory). */
export async function openFileContent(deps: Deps, actor: Principal, id: string) {
  const row = await findFile(deps, actor, id);
  const object = await deps.bucket.get(row.r2Key);
  if (!object) throw notFound("File content");
  return { row, object };
}
