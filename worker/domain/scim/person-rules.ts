import { and, eq, or } from "drizzle-orm";
import { schema } from "../../db/client.ts";
import type { Deps } from "../deps.ts";
import type { ColumnDef } from "../imports/columns.ts";
import { usersKind } from "../imports/kind-users.ts";
import { type RowValues, rowValidator } from "../imports/row-validator.ts";
import { userColumns } from "../imports/user-columns.ts";
import { URN } from "./discovery.ts";
import { invalidValue, ScimError } from "./errors.ts";
import type { PersonRow, UserDoc } from "./user-resource.ts";

/**
 * SCIM writes obey the User Sync person rules: each attribute is validated by
 * the User Import Specification's own column definitions (`rowValidator` over
 * `userColumns`), and the checks User Sync makes against the account (names
 * required when new, Employee Number unique, approver an existing user and not
 * the user themself) are made here for the one person a request touches.
 */

/** The SCIM attribute each User Sync column is written from. */
const attributeOf: Record<string, { doc: keyof UserDoc; scim: string }> = {
  email: { doc: "userName", scim: "userName" },
  firstName: { doc: "givenName", scim: "name.givenName" },
  lastName: { doc: "familyName", scim: "name.familyName" },
  employeeNumber: { doc: "employeeNumber", scim: `${URN.enterprise}:employeeNumber` },
  department: { doc: "department", scim: `${URN.enterprise}:department` },
  costCentre: { doc: "costCenter", scim: `${URN.enterprise}:costCenter` },
  approverEmail: { doc: "manager", scim: `${URN.enterprise}:manager.value` },
  role: { doc: "role", scim: "roles" },
  active: { doc: "active", scim: "active" },
};

const scimNameOfHeader = new Map(
  userColumns.columns.filter((c) => attributeOf[c.id]).map((c) => [c.header, attributeOf[c.id]?.scim as string]),
);

const MAX_EXTERNAL_ID = 255;

/** A SCIM value as a User Sync cell: strings as sent, numbers and booleans as text, null as a blank cell. */
function cell(value: unknown, attribute: string): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) return String(value);
  throw invalidValue(`${attribute} must be a string`);
}

/** The person a request would leave behind, in `people` columns. */
export interface PersonValues {
  email: string;
  firstName: string | null;
  lastName: string | null;
  employeeNumber: string | null;
  department: string | null;
  costCentre: string | null;
  approverId: string | null;
  role: PersonRow["role"];
  active: boolean;
  externalId: string | null;
}

/**
 * Validates what `doc` says about a person (`existing`, or a new one) and
 * returns the person it leaves behind; throws `invalidValue` or `uniqueness`.
 */
export async function applyPersonRules(
  deps: Pick<Deps, "db" | "now">,
  accountId: string,
  doc: UserDoc,
  existing: PersonRow | null,
): Promise<PersonValues> {
  const db = deps.db;
  const p = schema.people;

  // The manager may be given by SCIM id or by email; User Sync's rules speak of the approver's email.
  let approver: { id: string; email: string } | null = null;
  let managerCell = doc.manager;
  if (typeof doc.manager === "string" && doc.manager.trim() !== "") {
    const wanted = doc.manager.trim();
    [approver = null] = await db
      .select({ id: p.id, email: p.email })
      .from(p)
      .where(and(eq(p.accountId, accountId), or(eq(p.id, wanted), eq(p.email, wanted.toLowerCase()))))
      .limit(1);
    if (!approver)
      throw invalidValue(`${URN.enterprise}:manager.value ${JSON.stringify(wanted)} is not an existing user`);
    managerCell = approver.email;
  }

  const columns: (ColumnDef | null)[] = [];
  const fields: string[] = [];
  for (const col of userColumns.columns) {
    const attr = attributeOf[col.id];
    if (!attr) continue; // Leave Date is not a SCIM attribute: SCIM never changes it
    // A PATCH or DELETE that does not touch userName keeps the key it has.
    const value =
      attr.doc === "manager"
        ? managerCell
        : attr.doc === "userName" && doc.userName === undefined
          ? existing?.email
          : doc[attr.doc];
    if (value === undefined) continue; // not said: unchanged, like a column left out of a file
    columns.push(col);
    fields.push(cell(value, attr.scim));
  }
  const result = rowValidator(userColumns, columns)(fields);
  if (!result.ok) {
    throw invalidValue(
      result.errors
        .map(
          (e) => `${scimNameOfHeader.get(e.column) ?? e.column} ${e.reason}${e.value !== null ? ` (${e.value})` : ""}`,
        )
        .join("; "),
    );
  }
  const values: RowValues = result.values;

  const before: RowValues = existing
    ? {
        firstName: existing.firstName,
        lastName: existing.lastName,
        employeeNumber: existing.employeeNumber,
        department: existing.department,
        costCentre: existing.costCentre,
        role: existing.role,
        active: existing.active,
        leaveDate: existing.leaveDate,
      }
    : usersKind.defaults;
  const merged = usersKind.effective(
    { ...before, ...values, leaveDate: existing?.leaveDate ?? null },
    new Date(deps.now()).toISOString().slice(0, 10),
  );
  if (merged.firstName === null) throw invalidValue("name.givenName is required for a new user");
  if (merged.lastName === null) throw invalidValue("name.familyName is required for a new user");

  let approverId = existing?.approverId ?? null;
  if (values.approverEmail !== undefined) approverId = approver?.id ?? null;
  if (approverId !== null && existing && approverId === existing.id) {
    throw invalidValue(`${URN.enterprise}:manager.value: a user cannot be their own approver`);
  }

  let externalId = existing?.externalId ?? null;
  if (doc.externalId !== undefined) {
    const raw = cell(doc.externalId, "externalId").trim();
    if (raw.length > MAX_EXTERNAL_ID) throw invalidValue(`externalId is longer than ${MAX_EXTERNAL_ID} characters`);
    externalId = raw === "" ? null : raw;
  }

  const next: PersonValues = {
    email: result.key,
    firstName: merged.firstName as string,
    lastName: merged.lastName as string,
    employeeNumber: (merged.employeeNumber ?? null) as string | null,
    department: (merged.department ?? null) as string | null,
    costCentre: (merged.costCentre ?? null) as string | null,
    approverId,
    role: merged.role as PersonRow["role"],
    active: merged.active as boolean,
    externalId,
  };
  await checkUnique(deps, accountId, next, existing);
  return next;
}

/** userName, externalId and Employee Number are each unique within the account. */
async function checkUnique(deps: Pick<Deps, "db">, accountId: string, next: PersonValues, existing: PersonRow | null) {
  const p = schema.people;
  const tests = [
    next.email !== existing?.email ? eq(p.email, next.email) : undefined,
    next.employeeNumber !== null && next.employeeNumber !== existing?.employeeNumber
      ? eq(p.employeeNumber, next.employeeNumber)
      : undefined,
    next.externalId !== null && next.externalId !== existing?.externalId
      ? eq(p.externalId, next.externalId)
      : undefined,
  ].filter((t) => t !== undefined);
  if (tests.length === 0) return;
  const holders = await deps.db
    .select({ id: p.id, email: p.email, employeeNumber: p.employeeNumber, externalId: p.externalId })
    .from(p)
    .where(and(eq(p.accountId, accountId), or(...tests)))
    .limit(3);
  for (const h of holders) {
    if (h.id === existing?.id) continue;
    if (h.email === next.email) throw new ScimError("uniqueness", `A user with userName ${next.email} already exists`);
    if (next.employeeNumber !== null && h.employeeNumber === next.employeeNumber) {
      throw new ScimError("uniqueness", `employeeNumber ${next.employeeNumber} already belongs to another user`);
    }
    if (next.externalId !== null && h.externalId === next.externalId) {
      throw new ScimError("uniqueness", `externalId ${next.externalId} already belongs to another user`);
    }
  }
}
