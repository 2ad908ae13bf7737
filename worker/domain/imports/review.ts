import { and, eq } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import { AppError } from "../../errors.ts";
import { type AuditAction, auditInsert } from "../audit.ts";
import type { Deps, Principal } from "../deps.ts";
import { importOutcomeEvent } from "../webhooks/cause-events.ts";
import { enqueueEvent, eventBatchItems } from "../webhooks/events.ts";
import { findFileRun } from "./reports.ts";
import { type Checkpoint, type Counts, emptyCounts, outcomeRun } from "./run-state.ts";

const notHeld = () => new AppError("conflict", "The file is not held for approval");

/**
 * An admin's decision on a held full-sync file. Approve resumes the run at its
 * apply phase (through the queue, like any import); reject ends it with nothing
 * applied. Both are audited. The run update is conditional on `held`, so two
 * admins deciding at once cannot both win.
 */
export async function decideHeldFile(deps: Deps, actor: Principal, fileId: string, decision: "approve" | "reject") {
  const { file, run } = await findFileRun(deps, actor, fileId);
  if (run?.status !== "held") throw notHeld();
  const d1 = deps.db.$client;
  const now = deps.now();
  const approve = decision === "approve";
  const saved = run.checkpoint as unknown as Checkpoint;
  const checkpoint: Checkpoint = approve ? { ...saved, phase: "apply", cursor: 0, approvedBy: actor.actorId } : saved;
  const status = approve ? "running" : "rejected";
  const fileStatus = approve ? "importing" : "rejected";
  const message = approve ? "Approved by an admin; applying" : "Rejected by an admin: nothing was applied";
  const [claimed] = await d1.batch([
    d1
      .prepare(
        `UPDATE import_runs SET status = ?, checkpoint = ?, message = ?, finished_at = ?, updated_at = ?
         WHERE id = ? AND account_id = ? AND status = 'held'`,
      )
      .bind(status, JSON.stringify(checkpoint), message, approve ? null : now, now, run.id, actor.accountId),
  ]);
  if (!claimed?.meta.changes) throw notHeld();
  const action: AuditAction = approve ? "import.approved" : "import.rejected";
  const rejected = approve
    ? null
    : await importOutcomeEvent(deps, outcomeRun({ run }), "rejected", {
        ...emptyCounts(),
        ...(run.counts as Partial<Counts> | null),
      });
  await deps.db.batch([
    deps.db
      .update(schema.receivedFiles)
      .set({ status: fileStatus })
      .where(and(eq(schema.receivedFiles.id, file.id), eq(schema.receivedFiles.accountId, actor.accountId))),
    auditInsert(deps, actor, action, { type: "file", id: file.id }, { deliveryId: file.deliveryId }),
    ...(rejected ? eventBatchItems(rejected) : []),
  ]);
  if (rejected) await enqueueEvent(deps, rejected);
  if (approve) await deps.queue.send({ type: "import", accountId: actor.accountId, fileId: file.id });
  return { status: fileStatus };
}
