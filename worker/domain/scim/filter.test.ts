import { describe, expect, it } from "vitest";
import { ScimError } from "./errors.ts";
import { parseFilter } from "./filter.ts";

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

describe("SCIM filters", () => {
  it("parses comparisons, and/or precedence, not, pr and value filters", () => {
    expect(parseFilter('userName Eq "a@b.c"')).toMatchObject({
      kind: "compare",
      op: "eq",
      path: { attr: "username", sub: null, schema: null },
      value: "a@b.c",
    });
    expect(parseFilter('a eq "1" or b eq "2" and c eq "3"')).toMatchObject({
      kind: "or",
      left: { path: { attr: "a" } },
      right: { kind: "and" },
    });
    expect(parseFilter(`not (active eq false) and ${ENTERPRISE}:employeeNumber pr`)).toMatchObject({
      kind: "and",
      left: { kind: "not", filter: { value: false } },
      right: { kind: "present", path: { schema: ENTERPRISE.toLowerCase(), attr: "employeenumber" } },
    });
    expect(parseFilter('emails[type eq "work" and primary eq true].value eq "x@y.z"')).toMatchObject({
      kind: "compare",
      path: { attr: "emails", sub: "value", valueFilter: { kind: "and" } },
    });
    expect(parseFilter('name.givenName sw "Zo\\u00eb"')).toMatchObject({ path: { sub: "givenname" }, value: "Zoë" });
  });

  it("refuses what is not a filter with invalidFilter", () => {
    for (const bad of [
      "",
      "userName",
      'userName eq "open',
      'userName like "a"',
      'userName eq "a" extra',
      '(userName eq "a"',
      'emails[type eq "work"',
      "a.b.c eq 1",
      'x eq "1" and '.repeat(3),
      Array(17).fill('x eq "1"').join(" and "),
      `userName eq "${"x".repeat(1000)}"`,
    ]) {
      expect(
        scimTypeOf(() => parseFilter(bad)),
        bad,
      ).toBe("invalidFilter");
    }
  });
});
