import { and, desc, eq, inArray } from "drizzle-orm";
import type { ListFilesResponse } from "../../../contracts/relay.ts";
import { schema } from "../../db/client.ts";
import { notFound } from "../../errors.ts";
import type { Deps, Principal } from "../deps.ts";
import type { UploadOwner } from "../files/uploads.ts";
import { fileReport, rowErrorsCsv } from "../imports/reports.ts";

/** How many of the delivery's latest finished files have results in `results/`. */
const RESULT_FILES = 20;
const FINISHED = ["applied", "tested", "rejected", "held", "failed"] as const;

type Owner = Pick<UploadOwner, "accountId" | "deliveryId">;

const reader = (owner: Owner): Principal => ({ accountId: owner.accountId, actorType: "relay", actorId: "relay" });

/**
 * The delivery's most recent finished files, newest first, one per name: an IT
 * script that sends `users.csv` every night reads `results/users.csv.report.json`
 * for the file it just sent.
 */
async function latestFinished(deps: Deps, owner: Owner) {
  const rows = await deps.db
    .select({
      id: schema.receivedFiles.id,
      name: schema.receivedFiles.name,
      receivedAt: schema.receivedFiles.receivedAt,
    })
    .from(schema.receivedFiles)
    .where(
      and(
        eq(schema.receivedFiles.accountId, owner.accountId),
        eq(schema.receivedFiles.deliveryId, owner.deliveryId),
        inArray(schema.receivedFiles.status, [...FINISHED]),
      ),
    )
    .orderBy(desc(schema.receivedFiles.receivedAt))
    .limit(RESULT_FILES * 5);
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.name) && seen.add(r.name)).slice(0, RESULT_FILES);
}

async function render(deps: Deps, owner: Owner, fileId: string, kind: "report" | "errors") {
  if (kind === "report") {
    return `${JSON.stringify(await fileReport(deps, reader(owner), fileId), null, 2)}\n`;
  }
  return (await rowErrorsCsv(deps, reader(owner), fileId)).csv;
}

/** `results/` as the relay lists it: `<file>.report.json` and `<file>.errors.csv` for each finished file. */
export async function listResults(deps: Deps, owner: Owner): Promise<ListFilesResponse["files"]> {
  const out: ListFilesResponse["files"] = [];
  for (const f of await latestFinished(deps, owner)) {
    for (const kind of ["report", "errors"] as const) {
      const body = await render(deps, owner, f.id, kind);
      out.push({
        id: `${f.id}:${kind}`,
        name: `${f.name}.${kind === "report" ? "report.json" : "errors.csv"}`,
        size: new TextEncoder().encode(body).byteLength,
        receivedAt: f.receivedAt,
        status: "result",
      });
    }
  }
  return out;
}

/** One result file's bytes, by its name in `results/`. */
export async function readResult(deps: Deps, owner: Owner, name: string): Promise<string> {
  const m = /^(.*)\.(report\.json|errors\.csv)$/.exec(name);
  const file = m && (await latestFinished(deps, owner)).find((f) => f.name === m[1]);
  if (!m || !file) throw notFound("Result");
  return render(deps, owner, file.id, m[2] === "report.json" ? "report" : "errors");
}
