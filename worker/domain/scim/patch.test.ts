import { describe, expect, it } from "vitest";
import { ScimError } from "./errors.ts";
import { applyPatch } from "./patch.ts";
import type { UserDoc } from "./user-resource.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

function scimTypeOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScimError) return err.scimType;
    throw err;
  }
  return null;
}

describe("SCIM PATCH", () => {
  const current: UserDoc = {
    userName: "sam@acme.example",
    givenName: "Sam",
    familyName: "Lee",
    active: true,
    role: "Claimant",
    department: "Eng",
    manager: null,
  };
  const patch = (...Operations: unknown[]) =>
    applyPatch(current, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations });

  it("reads both dialects of the leaver signal", () => {
    expect(patch({ op: "Replace", path: "active", value: "False" }).active).toBe("False");
    expect(patch({ op: "replace", value: { active: false } }).active).toBe(false);
  });

  it("follows paths with schema URNs, sub-attributes and value filters, ignoring case", () => {
    const doc = patch(
      { op: "add", path: `${ENTERPRISE}:Department`, value: "Finance" },
      { op: "replace", path: "NAME.givenName", value: "Samuel" },
      { op: "replace", path: `${ENTERPRISE}:manager`, value: { value: "per_x" } },
      { op: "replace", path: 'roles[primary eq "True"].value', value: "Admin" },
      { op: "replace", value: { "name.familyName": "Li", [ENTERPRISE]: { employeeNumber: "E9" }, title: "ignored" } },
    );
    expect(doc).toMatchObject({
      department: "Finance",
      givenName: "Samuel",
      familyName: "Li",
      manager: "per_x",
      role: "Admin",
      employeeNumber: "E9",
    });
  });

  it("clears on remove and ignores attributes Sluice does not keep", () => {
    const doc = patch(
      { op: "remove", path: `${ENTERPRISE}:department` },
      { op: "add", path: 'phoneNumbers[type eq "work"].value', value: "+44 1" },
    );
    expect(doc.department).toBeNull();
    expect(doc.userName).toBe("sam@acme.example");
  });

  it("refuses malformed operations with the RFC's scimTypes", () => {
    expect(scimTypeOf(() => applyPatch(current, { Operations: [] }))).toBe("invalidSyntax");
    expect(scimTypeOf(() => applyPatch(current, { schemas: ["wrong"], Operations: [{ op: "add" }] }))).toBe(
      "invalidSyntax",
    );
    expect(scimTypeOf(() => patch({ op: "copy", path: "active" }))).toBe("invalidSyntax");
    expect(scimTypeOf(() => patch({ op: "remove" }))).toBe("noTarget");
    expect(scimTypeOf(() => patch({ op: "replace", path: "a b", value: 1 }))).toBe("invalidPath");
    expect(scimTypeOf(() => patch({ op: "replace", path: "emails[type eq]", value: 1 }))).toBe("invalidFilter");
    expect(scimTypeOf(() => patch({ op: "replace", value: "x" }))).toBe("invalidValue");
    expect(scimTypeOf(() => patch({ op: "add", path: "roles", value: [{ value: "A" }, { value: "B" }] }))).toBe(
      "invalidValue",
    );
  });
});
