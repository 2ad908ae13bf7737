import { selectIn } from "./d1-bulk.ts";
import type { Existing, ImportKind } from "./kinds.ts";
import { projectColumns } from "./project-columns.ts";
import { type RowError, stagedData } from "./staging.ts";

interface ProjectRow {
  id: string;
  code: string;
  name: string;
  client: string | null;
  active: number;
  start_date: string | null;
  end_date: string | null;
  billable: number | null;
  approver_email: string | null;
}

/** Slots of a staged row's data (a stored format: append only, see `stagedData`). */
const staged = stagedData(["name", "client", "active", "startDate", "endDate", "billable", "approverEmail"]);
const { value, keepOr } = staged;

const ROWS = "FROM import_rows r WHERE r.run_id = ?2 AND r.row_number > ?4 AND r.row_number <= ?5";
const approverId = `(SELECT ap.id FROM people ap WHERE ap.account_id = ?1 AND ap.email = ${value("approverEmail")})`;

/** Project Sync: projects by Project Code; Approver Email must already be a user. */
export const projectsKind: ImportKind = {
  table: projectColumns,
  idPrefix: "prj",
  staged,
  resolvesAfterApply: false,
  uniqueColumn: null,
  tableName: "projects",
  defaults: {
    name: null,
    client: null,
    active: true,
    startDate: null,
    endDate: null,
    billable: null,
    approverEmail: null,
  },

  async loadExisting(d1, accountId, keys) {
    const rows = await selectIn<ProjectRow>(
      d1,
      `SELECT p.id, p.code, p.name, p.client, p.active, p.start_date, p.end_date, p.billable, a.email AS approver_email
       FROM projects p LEFT JOIN people a ON a.id = p.approver_id AND a.account_id = p.account_id
       WHERE p.account_id = ?1 AND p.code IN (?IN)`,
      [accountId],
      keys,
    );
    return new Map<string, Existing>(
      rows.map((p) => [
        p.code,
        {
          id: p.id,
          values: {
            code: p.code,
            name: p.name,
            client: p.client,
            active: p.active === 1,
            startDate: p.start_date,
            endDate: p.end_date,
            billable: p.billable === null ? null : p.billable === 1,
            approverEmail: p.approver_email,
          },
        },
      ]),
    );
  },

  async prepareChecks(d1, accountId, rows) {
    const approvers = [...new Set(rows.map((r) => r.values.approverEmail).filter((v) => typeof v === "string"))];
    const known = await selectIn<{ email: string }>(
      d1,
      "SELECT email FROM people WHERE account_id = ?1 AND email IN (?IN)",
      [accountId],
      approvers,
    );
    const approverKnown = new Set(known.map((p) => p.email));
    return (row, merged) => {
      const errors: RowError[] = [];
      const err = (column: string, reason: string, value: string | null) =>
        errors.push({ rowNumber: row.rowNumber, column, reason, value });
      if (merged.name === null) err("Project Name", "is required for a new project", null);
      const { startDate, endDate } = merged;
      if (typeof startDate === "string" && typeof endDate === "string" && endDate < startDate) {
        err("End Date", `is before Start Date ${startDate}`, endDate);
      }
      const approver = row.values.approverEmail;
      if (typeof approver === "string" && !approverKnown.has(approver)) {
        err("Approver Email", "is not an existing user", approver);
      }
      return errors;
    };
  },

  fileChecksSql: null,

  effective: (merged) => merged,

  // Binds: ?1 account, ?2 run, ?3 now, ?4 from, ?5 to.
  applyStatements(d1, a) {
    const create = d1.prepare(
      `INSERT INTO projects (id, account_id, code, name, client, active, start_date, end_date, billable, approver_id,
         created_at, updated_at)
       SELECT r.new_id, ?1, r.key, ${value("name")}, ${value("client")}, coalesce(${value("active")}, 1),
         ${value("startDate")}, ${value("endDate")}, ${value("billable")}, ${approverId}, ?3, ?3
       ${ROWS} AND r.action = 'create'
       ON CONFLICT DO NOTHING`,
    );
    const update = d1.prepare(
      `UPDATE projects SET
         name = ${keepOr("name", "projects", "name")},
         client = ${keepOr("client", "projects", "client")},
         active = ${keepOr("active", "projects", "active")},
         start_date = ${keepOr("startDate", "projects", "start_date")},
         end_date = ${keepOr("endDate", "projects", "end_date")},
         billable = ${keepOr("billable", "projects", "billable")},
         approver_id = CASE WHEN ${staged.given("approverEmail")} THEN ${approverId} ELSE projects.approver_id END,
         updated_at = ?3
       ${ROWS} AND r.action = 'update' AND projects.account_id = ?1 AND projects.code = r.key`,
    );
    const args = [a.accountId, a.runId, a.now, a.from, a.to];
    return [create.bind(...args), update.bind(...args)];
  },

  resolveStatements: () => [],

  absentIdsSql: `SELECT p.id FROM projects p WHERE p.account_id = ?1 AND p.active = 1
    AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.run_id = ?2 AND r.key = p.code)`,
};
