import { selectIn } from "./d1-bulk.ts";
import type { Existing, ImportKind } from "./kinds.ts";
import type { RowValues } from "./row-validator.ts";
import { type RowError, stagedData } from "./staging.ts";
import { userColumns } from "./user-columns.ts";

interface PersonRow {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  employee_number: string | null;
  department: string | null;
  cost_centre: string | null;
  role: string;
  active: number;
  leave_date: string | null;
  approver_email: string | null;
}

/** Slots of a staged row's data (a stored format: append only, see `stagedData`). */
const staged = stagedData([
  "firstName",
  "lastName",
  "employeeNumber",
  "department",
  "costCentre",
  "approverEmail",
  "role",
  "active",
  "leaveDate",
]);
const { value, keepOr } = staged;

const ROWS = "FROM import_rows r WHERE r.run_id = ?2 AND r.row_number > ?4 AND r.row_number <= ?5";

/** User Sync: people by lower-cased Email; Employee Number unique; approvers resolved after all upserts. */
export const usersKind: ImportKind = {
  table: userColumns,
  idPrefix: "per",
  staged,
  resolvesAfterApply: true,
  uniqueColumn: "employeeNumber",
  tableName: "people",
  defaults: {
    firstName: null,
    lastName: null,
    employeeNumber: null,
    department: null,
    costCentre: null,
    approverEmail: null,
    role: "claimant",
    active: true,
    leaveDate: null,
  },

  async loadExisting(d1, accountId, keys) {
    const rows = await selectIn<PersonRow>(
      d1,
      `SELECT p.id, p.email, p.first_name, p.last_name, p.employee_number, p.department, p.cost_centre, p.role,
         p.active, p.leave_date, a.email AS approver_email
       FROM people p LEFT JOIN people a ON a.id = p.approver_id AND a.account_id = p.account_id
       WHERE p.account_id = ?1 AND p.email IN (?IN)`,
      [accountId],
      keys,
    );
    return new Map<string, Existing>(
      rows.map((p) => [
        p.email,
        {
          id: p.id,
          values: {
            email: p.email,
            firstName: p.first_name,
            lastName: p.last_name,
            employeeNumber: p.employee_number,
            department: p.department,
            costCentre: p.cost_centre,
            approverEmail: p.approver_email,
            role: p.role,
            active: p.active === 1,
            leaveDate: p.leave_date,
          },
        },
      ]),
    );
  },

  async prepareChecks(d1, accountId, rows) {
    const numbers = [...new Set(rows.map((r) => r.values.employeeNumber).filter((v) => typeof v === "string"))];
    const holders = await selectIn<{ employee_number: string; email: string }>(
      d1,
      "SELECT employee_number, email FROM people WHERE account_id = ?1 AND employee_number IN (?IN)",
      [accountId],
      numbers,
    );
    const holderOf = new Map(holders.map((h) => [h.employee_number, h.email]));
    return (row, merged) => {
      const errors: RowError[] = [];
      const err = (column: string, reason: string, value: string | null) =>
        errors.push({ rowNumber: row.rowNumber, column, reason, value });
      if (merged.firstName === null) err("First Name", "is required for a new user", null);
      if (merged.lastName === null) err("Last Name", "is required for a new user", null);
      const number = row.values.employeeNumber;
      const holder = typeof number === "string" ? holderOf.get(number) : undefined;
      if (typeof number === "string" && holder !== undefined && holder !== row.key) {
        err("Employee Number", "already belongs to another user", number);
      }
      // An approver who is not a user yet may be created by any row of the file: fileChecksSql decides.
      return errors;
    };
  },

  // An Employee Number given to an earlier row of the file; an approver who is neither a user
  // nor a row of the file that passed validation (action 'error' is set by the parse only).
  fileChecksSql: `
    SELECT row_number, action, 'Employee Number' AS "column", 'is also given to row ' || first AS reason,
      unique_value AS value
    FROM (SELECT r.row_number, r.action, r.unique_value,
        (SELECT min(o.row_number) FROM import_rows o INDEXED BY import_rows_unique_value
          WHERE o.run_id = ?2 AND o.unique_value = r.unique_value) AS first
      FROM import_rows r
      WHERE r.run_id = ?2 AND r.row_number > ?3 AND r.row_number <= ?4 AND r.action <> 'error'
        AND r.unique_value IS NOT NULL)
    WHERE first < row_number
    UNION ALL
    SELECT row_number, action, 'Approver Email', 'is not an existing user nor a user in this file', approver
    FROM (SELECT r.row_number, r.action, ${value("approverEmail")} AS approver
      FROM import_rows r
      WHERE r.run_id = ?2 AND r.row_number > ?3 AND r.row_number <= ?4 AND r.action <> 'error')
    WHERE approver IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM people p WHERE p.account_id = ?1 AND p.email = approver)
      AND NOT EXISTS (SELECT 1 FROM import_rows o INDEXED BY import_rows_key
        WHERE o.run_id = ?2 AND o.key = approver AND o.action <> 'error')
    ORDER BY 1`,

  effective(merged, today): RowValues {
    const leaveDate = merged.leaveDate;
    return typeof leaveDate === "string" && leaveDate < today ? { ...merged, active: false } : merged;
  },

  // Binds: ?1 account, ?2 run, ?3 now, ?4 from, ?5 to, ?6 today.
  applyStatements(d1, a) {
    const leave = keepOr("leaveDate", "people", "leave_date");
    const create = d1.prepare(
      `INSERT INTO people (id, account_id, email, first_name, last_name, employee_number, department, cost_centre,
         role, active, leave_date, source, created_at, updated_at)
       SELECT r.new_id, ?1, r.key, ${value("firstName")}, ${value("lastName")}, ${value("employeeNumber")},
         ${value("department")}, ${value("costCentre")}, coalesce(${value("role")}, 'claimant'),
         CASE WHEN ${value("leaveDate")} < ?6 THEN 0 ELSE coalesce(${value("active")}, 1) END,
         ${value("leaveDate")}, 'sync', ?3, ?3
       ${ROWS} AND r.action = 'create'
       ON CONFLICT DO NOTHING`,
    );
    const update = d1.prepare(
      `UPDATE people SET
         first_name = ${keepOr("firstName", "people", "first_name")},
         last_name = ${keepOr("lastName", "people", "last_name")},
         employee_number = ${keepOr("employeeNumber", "people", "employee_number")},
         department = ${keepOr("department", "people", "department")},
         cost_centre = ${keepOr("costCentre", "people", "cost_centre")},
         role = ${keepOr("role", "people", "role")},
         active = CASE WHEN ${leave} < ?6 THEN 0 ELSE ${keepOr("active", "people", "active")} END,
         leave_date = ${leave},
         updated_at = ?3
       ${ROWS} AND r.action = 'update' AND people.account_id = ?1 AND people.email = r.key`,
    );
    const args = [a.accountId, a.runId, a.now, a.from, a.to, a.today];
    return [create.bind(...args), update.bind(...args)];
  },

  resolveStatements(d1, a) {
    return [
      d1
        .prepare(
          `UPDATE people SET approver_id =
             (SELECT ap.id FROM people ap WHERE ap.account_id = ?1 AND ap.email = ${value("approverEmail")})
           ${ROWS} AND r.action IN ('create', 'update') AND ${staged.given("approverEmail")}
             AND people.account_id = ?1 AND people.email = r.key`,
        )
        .bind(a.accountId, a.runId, a.now, a.from, a.to),
    ];
  },

  // People who sign in to Sluice as admins are never deactivated by a file: it would lock them out.
  absentIdsSql: `SELECT p.id FROM people p WHERE p.account_id = ?1 AND p.active = 1
    AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.run_id = ?2 AND r.key = p.email)
    AND NOT EXISTS (SELECT 1 FROM admin_logins l WHERE l.person_id = p.id)`,
};
