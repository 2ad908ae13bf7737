import { URN } from "./discovery.ts";
import { invalidValue, ScimError } from "./errors.ts";
import { assign, type UserDoc } from "./user-resource.ts";

const MAX_OPERATIONS = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A member of an object whose name matches ignoring case (SCIM names are case-insensitive). */
function member(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

/**
 * Applies a PatchOp (RFC 7644 §3.5.2) to a person's current `UserDoc`, in both
 * dialects seen in the wild: with a `path` (Entra: `{"op":"Replace","path":"active","value":"False"}`)
 * and without one (Okta: `{"op":"replace","value":{"active":false}}`). The result
 * then goes through the same validation as a full resource.
 */
export function applyPatch(current: UserDoc, body: unknown): UserDoc {
  if (!isObject(body)) throw new ScimError("invalidSyntax", "The request body must be a PatchOp object");
  const schemas = member(body, "schemas");
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(URN.patchOp))) {
    throw new ScimError("invalidSyntax", `schemas must be ["${URN.patchOp}"]`);
  }
  const operations = member(body, "Operations");
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError("invalidSyntax", "Operations must be a non-empty array");
  }
  if (operations.length > MAX_OPERATIONS) {
    throw new ScimError("invalidSyntax", `A PATCH may hold at most ${MAX_OPERATIONS} operations`);
  }
  const doc: UserDoc = { ...current };
  operations.forEach((operation, i) => {
    if (!isObject(operation)) throw new ScimError("invalidSyntax", `Operations[${i}] must be an object`);
    const op = member(operation, "op");
    const path = member(operation, "path");
    const value = member(operation, "value");
    const kind = typeof op === "string" ? op.toLowerCase() : null;
    if (kind !== "add" && kind !== "replace" && kind !== "remove") {
      throw new ScimError("invalidSyntax", `Operations[${i}].op must be add, replace or remove`);
    }
    if (path !== undefined && (typeof path !== "string" || path.trim() === "")) {
      throw new ScimError("invalidPath", `Operations[${i}].path must be a non-empty string`);
    }
    if (kind === "remove") {
      if (path === undefined) throw new ScimError("noTarget", `Operations[${i}]: remove needs a path`);
      assign(doc, path, null);
    } else if (path !== undefined) {
      if (value === undefined) throw invalidValue(`Operations[${i}]: ${kind} needs a value`);
      assign(doc, path, value);
    } else {
      if (!isObject(value)) throw invalidValue(`Operations[${i}]: ${kind} without a path needs an object value`);
      for (const [k, v] of Object.entries(value)) {
        if (k.toLowerCase() === "schemas" || k.toLowerCase() === "id" || k.toLowerCase() === "meta") continue;
        assign(doc, k, v);
      }
    }
  });
  return doc;
}
