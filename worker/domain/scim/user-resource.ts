import type { schema } from "../../db/client.ts";
import { URN } from "./discovery.ts";
import { invalidValue, ScimError } from "./errors.ts";
import { parseFilter } from "./filter.ts";

export type PersonRow = typeof schema.people.$inferSelect;

/**
 * What a SCIM request says about a person, in SCIM terms and still unvalidated.
 * `undefined` means "not said" (left unchanged); `null` means cleared.
 */
export interface UserDoc {
  userName?: unknown;
  externalId?: unknown;
  givenName?: unknown;
  familyName?: unknown;
  active?: unknown;
  /** The one role value taken from `roles`. */
  role?: unknown;
  employeeNumber?: unknown;
  department?: unknown;
  costCenter?: unknown;
  /** The approver's SCIM id, or an email address. */
  manager?: unknown;
}

const ROLE_NAMES: Record<PersonRow["role"], string> = {
  claimant: "Claimant",
  approver: "Approver",
  finance: "Finance",
  admin: "Admin",
};

const iso = (ms: number) => new Date(ms).toISOString();

/** The SCIM User for a stored person; unassigned (null) attributes are left out, as RFC 7643 §2.5 asks. */
export function toScimUser(p: PersonRow, base: string) {
  const location = `${base}/Users/${p.id}`;
  const formatted = [p.firstName, p.lastName].filter(Boolean).join(" ");
  const enterprise: Record<string, unknown> = {};
  if (p.employeeNumber !== null) enterprise.employeeNumber = p.employeeNumber;
  if (p.department !== null) enterprise.department = p.department;
  if (p.costCentre !== null) enterprise.costCenter = p.costCentre;
  if (p.approverId !== null) enterprise.manager = { value: p.approverId, $ref: `${base}/Users/${p.approverId}` };
  const name: Record<string, string> = {};
  if (p.firstName !== null) name.givenName = p.firstName;
  if (p.lastName !== null) name.familyName = p.lastName;
  if (formatted) name.formatted = formatted;
  return {
    schemas: [URN.user, URN.enterprise],
    id: p.id,
    ...(p.externalId !== null ? { externalId: p.externalId } : {}),
    userName: p.email,
    name,
    ...(formatted ? { displayName: formatted } : {}),
    emails: [{ value: p.email, type: "work", primary: true }],
    active: p.active,
    roles: [{ value: ROLE_NAMES[p.role], display: ROLE_NAMES[p.role], primary: true }],
    [URN.enterprise]: enterprise,
    meta: {
      resourceType: "User",
      created: iso(p.createdAt),
      lastModified: iso(p.updatedAt),
      location,
      version: `W/"${p.updatedAt}"`,
    },
  };
}

/** A stored person as a complete `UserDoc`: the starting point a PATCH is applied to. */
export function docOf(p: PersonRow): UserDoc {
  return {
    userName: p.email,
    externalId: p.externalId,
    givenName: p.firstName,
    familyName: p.lastName,
    active: p.active,
    role: ROLE_NAMES[p.role],
    employeeNumber: p.employeeNumber,
    department: p.department,
    costCenter: p.costCentre,
    manager: p.approverId,
  };
}

const CORE_PREFIX = `${URN.user.toLowerCase()}:`;
const ENTERPRISE = URN.enterprise.toLowerCase();

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `true`, `"True"` (Entra sends string booleans), `"true"`. */
const isTrue = (v: unknown) => v === true || (typeof v === "string" && v.toLowerCase() === "true");

/** One role out of `roles`: the primary one, or the only one. */
function roleOf(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return null;
  const chosen = values.find((v) => isObject(v) && isTrue(v.primary)) ?? (values.length === 1 ? values[0] : undefined);
  if (chosen === undefined) throw invalidValue("roles: send one role, or mark one of them primary");
  return isObject(chosen) ? (chosen.value ?? null) : chosen;
}

/** `manager` as Okta and Entra send it: `{value: id}` or the bare id (or an email address). */
function managerOf(value: unknown): unknown {
  if (isObject(value)) return value.value === "" ? null : (value.value ?? null);
  return value === "" ? null : value;
}

const PATH = /^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

/**
 * Sets what one attribute path says on `doc`. Paths match ignoring case and may
 * carry their schema URN; attributes Sluice does not keep (title, phone numbers,
 * addresses, …) and read-only ones (id, meta, emails) are accepted and ignored,
 * because identity providers send them whatever the mapping.
 */
export function assign(doc: UserDoc, path: string, value: unknown): void {
  let rest = path.trim();
  const lower = rest.toLowerCase();
  let inEnterprise = false;
  if (lower === ENTERPRISE) {
    if (value === null) {
      for (const field of ["employeeNumber", "department", "costCenter", "manager"] as const) doc[field] = null;
      return;
    }
    if (!isObject(value)) throw invalidValue(`${URN.enterprise} must be an object`);
    for (const [k, v] of Object.entries(value)) assign(doc, `${URN.enterprise}:${k}`, v);
    return;
  }
  if (lower.startsWith(`${ENTERPRISE}:`)) {
    inEnterprise = true;
    rest = rest.slice(ENTERPRISE.length + 1);
  } else if (lower.startsWith(CORE_PREFIX)) {
    rest = rest.slice(CORE_PREFIX.length);
  } else if (lower.startsWith("urn:")) {
    return; // another extension's attribute: not kept
  }
  const m = PATH.exec(rest);
  if (!m) throw new ScimError("invalidPath", `${JSON.stringify(path)} is not an attribute path`);
  const attr = (m[1] as string).toLowerCase();
  const filter = m[2];
  const sub = m[3]?.toLowerCase() ?? null;
  if (filter !== undefined) parseFilter(filter);

  if (!inEnterprise) {
    switch (attr) {
      case "username":
        doc.userName = value;
        return;
      case "externalid":
        doc.externalId = value;
        return;
      case "active":
        doc.active = value;
        return;
      case "name":
        if (sub === "givenname") doc.givenName = value;
        else if (sub === "familyname") doc.familyName = value;
        else if (sub === null && value === null) {
          doc.givenName = null;
          doc.familyName = null;
        } else if (sub === null) {
          if (!isObject(value)) throw invalidValue("name must be an object");
          for (const [k, v] of Object.entries(value)) assign(doc, `name.${k}`, v);
        }
        return;
      case "roles":
        if (sub === null) doc.role = roleOf(value);
        else if (sub === "value") doc.role = value;
        return;
    }
  }
  switch (attr) {
    case "employeenumber":
      doc.employeeNumber = value;
      return;
    case "department":
      doc.department = value;
      return;
    case "costcenter":
      doc.costCenter = value;
      return;
    case "manager":
      if (sub === null || sub === "value") doc.manager = managerOf(value);
      return;
  }
}

const READ_ONLY_KEYS = new Set(["schemas", "id", "meta"]);

/**
 * The `UserDoc` of a full User resource (POST and PUT). For PUT, what the body
 * leaves out of the Enterprise extension is cleared; `externalId`, `active` and
 * `roles` left out stay as they are.
 */
export function docFromResource(body: unknown, mode: "create" | "replace"): UserDoc {
  if (!isObject(body)) throw invalidValue("The request body must be a SCIM User object");
  const doc: UserDoc = {};
  for (const [key, value] of Object.entries(body)) {
    if (READ_ONLY_KEYS.has(key.toLowerCase())) continue;
    try {
      assign(doc, key, value);
    } catch (err) {
      // An odd key in a resource body is ignored, like any attribute Sluice does not keep.
      if (err instanceof ScimError && err.scimType === "invalidPath") continue;
      throw err;
    }
  }
  if (doc.userName === undefined || doc.userName === null || doc.userName === "") {
    throw invalidValue("userName is required");
  }
  if (mode === "replace") {
    doc.employeeNumber ??= null;
    doc.department ??= null;
    doc.costCenter ??= null;
    doc.manager ??= null;
  }
  return doc;
}
