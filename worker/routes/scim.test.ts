import { describe, expect, it } from "vitest";
import { type Call, call, newTenant } from "../test/client.ts";

/**
 * A SCIM conformance suite of our own, modelled on the request sequences Okta
 * and Microsoft Entra ID send when they provision, update and deprovision users.
 */

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

async function scimTenant(name = "Acme") {
  const t = await newTenant(name);
  const key = await call("POST", "/api/v1/api-keys", { headers: t.auth, json: { name: "okta", scopes: ["scim"] } });
  expect(key.status).toBe(201);
  const scimKey = key.body.key as string;
  const scim = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
    call(method, `/scim/v2${path}`, {
      headers: { authorization: `Bearer ${scimKey}`, "content-type": "application/scim+json", ...headers },
      ...(json !== undefined ? { json } : {}),
    });
  return { ...t, scimKey, scim };
}

const q = (filter: string, extra = "") => `/Users?filter=${encodeURIComponent(filter)}${extra}`;

function expectScimError(res: Call, status: number, scimType?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/scim+json");
  expect(res.body.schemas).toEqual([ERROR]);
  expect(res.body.status).toBe(String(status));
  if (scimType) expect(res.body.scimType).toBe(scimType);
  expect(typeof res.body.detail).toBe("string");
}

/** The body Okta's provisioning sends on create (attributes it maps by default). */
const oktaUser = (email: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER],
  userName: email,
  name: { givenName: "Zoë", familyName: "Müller" },
  emails: [{ primary: true, value: email, type: "work" }],
  displayName: "Zoë Müller",
  locale: "en-US",
  externalId: `00u${email.length}okta`,
  groups: [],
  password: "ignored-Pa55word",
  active: true,
  ...extra,
});

describe("SCIM as Okta calls it", () => {
  it("filters before create, creates, reads, finds by userName, deactivates with a path-less PATCH and replaces with PUT", async () => {
    const t = await scimTenant();
    const email = "Zoe.Muller@Acme.example";

    const before = await t.scim("GET", q(`userName eq "${email}"`, "&startIndex=1&count=100"));
    expect(before.status).toBe(200);
    expect(before.headers.get("content-type")).toBe("application/scim+json");
    expect(before.body).toEqual({ schemas: [LIST], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });

    const created = await t.scim("POST", "/Users", oktaUser(email));
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/scim+json");
    const id = created.body.id as string;
    expect(created.headers.get("location")).toBe(`https://sluice.test/scim/v2/Users/${id}`);
    expect(created.body).toMatchObject({
      schemas: [USER, ENTERPRISE],
      userName: "zoe.muller@acme.example",
      name: { givenName: "Zoë", familyName: "Müller", formatted: "Zoë Müller" },
      emails: [{ value: "zoe.muller@acme.example", type: "work", primary: true }],
      active: true,
      externalId: oktaUser(email).externalId,
      roles: [{ value: "Claimant", primary: true }],
      meta: { resourceType: "User", location: `https://sluice.test/scim/v2/Users/${id}` },
    });
    expect(created.body.meta.version).toMatch(/^W\/"\d+"$/);
    expect(Date.parse(created.body.meta.created)).not.toBeNaN();

    const got = await t.scim("GET", `/Users/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const found = await t.scim("GET", q(`userName eq "ZOE.MULLER@acme.example"`, "&startIndex=1&count=100"));
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(id);

    const deactivated = await t.scim("PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await t.scim("GET", `/Users/${id}`)).body.active).toBe(false);

    const replaced = await t.scim("PUT", `/Users/${id}`, {
      ...oktaUser(email),
      id,
      name: { givenName: "Zoe", familyName: "Mueller" },
      [ENTERPRISE]: { department: "Finance", employeeNumber: "E1001" },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id,
      active: true,
      name: { givenName: "Zoe", familyName: "Mueller" },
      [ENTERPRISE]: { department: "Finance", employeeNumber: "E1001" },
    });

    // PUT replaces: what the Enterprise extension leaves out is cleared.
    const again = await t.scim("PUT", `/Users/${id}`, { ...oktaUser(email), [ENTERPRISE]: { department: "Sales" } });
    expect(again.body[ENTERPRISE]).toEqual({ department: "Sales" });

    // The person is one of the account's people, made by SCIM.
    const people = await call("GET", "/api/v1/people?q=zoe.muller", { headers: t.auth });
    expect(people.body.people).toMatchObject([{ id, source: "scim", department: "Sales", active: true }]);
  });

  it("answers a duplicate create with 409 uniqueness", async () => {
    const t = await scimTenant();
    expect((await t.scim("POST", "/Users", oktaUser("dup@acme.example"))).status).toBe(201);
    const dup = await t.scim("POST", "/Users", oktaUser("DUP@acme.example", { externalId: "other" }));
    expectScimError(dup, 409, "uniqueness");
    expect(dup.body.detail).toContain("dup@acme.example");

    const sameExternalId = await t.scim("POST", "/Users", oktaUser("dup2@acme.example", { externalId: "00u16okta" }));
    expectScimError(sameExternalId, 409, "uniqueness");
  });
});

describe("SCIM as Entra ID calls it", () => {
  it("filters by externalId, creates with the Enterprise extension, patches with paths and deactivates with a string boolean", async () => {
    const t = await scimTenant();
    const manager = await t.scim("POST", "/Users", oktaUser("boss@acme.example", { externalId: "boss-oid" }));
    const externalId = "2819c223-7f76-453a-919d-413861904646";

    const before = await t.scim("GET", q(`externalId eq "${externalId}"`));
    expect(before.body.totalResults).toBe(0);
    expect(before.body.Resources).toEqual([]);

    const created = await t.scim("POST", "/Users", {
      schemas: [USER, ENTERPRISE],
      externalId,
      userName: "Sam.Lee@acme.example",
      active: true,
      displayName: "Sam Lee",
      emails: [{ primary: true, type: "work", value: "Sam.Lee@acme.example" }],
      meta: { resourceType: "User" },
      name: { formatted: "Sam Lee", familyName: "Lee", givenName: "Sam" },
      roles: [],
      title: "Engineer",
      [ENTERPRISE]: { employeeNumber: "E2002", department: "Engineering", costCenter: "CC-200" },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body[ENTERPRISE]).toEqual({
      employeeNumber: "E2002",
      department: "Engineering",
      costCenter: "CC-200",
    });

    const byExternalId = await t.scim("GET", q(`externalId eq "${externalId}"`));
    expect(byExternalId.body.totalResults).toBe(1);
    expect(byExternalId.body.Resources[0].userName).toBe("sam.lee@acme.example");

    const patched = await t.scim("PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "Replace", path: "displayName", value: "Samuel Lee" },
        { op: "Add", path: "title", value: "Staff Engineer" },
        { op: "Replace", path: "name.givenName", value: "Samuel" },
        { op: "Replace", path: 'emails[type eq "work"].value', value: "sam.lee@acme.example" },
        { op: "Add", path: `${ENTERPRISE}:manager`, value: manager.body.id },
        { op: "Replace", path: `${ENTERPRISE}:department`, value: "Platform" },
        { op: "Remove", path: `${ENTERPRISE}:costCenter` },
        { op: "Add", path: "roles", value: [{ primary: "True", value: "Approver" }] },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: { givenName: "Samuel", familyName: "Lee" },
      roles: [{ value: "Approver" }],
      [ENTERPRISE]: { employeeNumber: "E2002", department: "Platform", manager: { value: manager.body.id } },
    });
    expect(patched.body[ENTERPRISE].costCenter).toBeUndefined();

    const leaver = await t.scim("PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: "active", value: "False" }],
    });
    expect(leaver.status).toBe(200);
    expect(leaver.body.active).toBe(false);

    const audit = await call("GET", "/api/v1/audit", { headers: t.auth });
    const scimEvents = audit.body.entries.filter((e: any) => e.actorType === "scim");
    expect(scimEvents.map((e: any) => e.action).sort()).toEqual([
      "person.created",
      "person.created",
      "person.deactivated",
      "person.updated",
    ]);
    expect(scimEvents.find((e: any) => e.action === "person.deactivated")).toMatchObject({
      targetType: "person",
      targetId: id,
      detail: { via: "scim", changed: ["active"] },
    });
    expect(scimEvents.find((e: any) => e.action === "person.updated").detail.changed.sort()).toEqual(
      ["approverId", "costCentre", "department", "firstName", "role"].sort(),
    );
    expect(scimEvents.every((e: any) => e.actorId?.startsWith("key_"))).toBe(true);
  });

  it("finds users with and, emails value filters and other operators", async () => {
    const t = await scimTenant();
    await t.scim("POST", "/Users", oktaUser("ann@acme.example", { externalId: "ext-ann" }));
    await t.scim("POST", "/Users", oktaUser("bob@acme.example", { externalId: "ext-bob" }));
    const count = async (filter: string) => {
      const res = await t.scim("GET", q(filter));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.totalResults as number;
    };
    expect(await count('userName eq "ann@acme.example" and externalId eq "ext-ann"')).toBe(1);
    expect(await count('userName eq "ann@acme.example" and externalId eq "ext-bob"')).toBe(0);
    expect(await count('externalId eq "EXT-ANN"')).toBe(0); // externalId is case-exact
    expect(await count('emails[type eq "work"].value eq "Bob@acme.example"')).toBe(1);
    expect(await count('emails.value eq "bob@acme.example"')).toBe(1);
    expect(await count('userName sw "ann@" or userName sw "bob@"')).toBe(2);
    expect(await count('(userName sw "ann" or userName sw "bob") and not (externalId eq "ext-ann")')).toBe(1);
    expect(await count("active eq true and externalId pr")).toBe(2);
    expect(await count(`${ENTERPRISE}:employeeNumber pr`)).toBe(0);
    expect(await count('meta.lastModified gt "2000-01-01T00:00:00Z"')).toBeGreaterThanOrEqual(2);
  });
});

describe("SCIM lists, deletes and errors", () => {
  it("pages through 25 users with startIndex and count", async () => {
    const t = await scimTenant();
    for (let i = 0; i < 25; i++) {
      const res = await t.scim(
        "POST",
        "/Users",
        oktaUser(`page${String(i).padStart(2, "0")}@acme.example`, { externalId: `p${i}` }),
      );
      expect(res.status).toBe(201);
    }
    const seen: string[] = [];
    for (let start = 1; start <= 26; start += 10) {
      const page = await t.scim("GET", `/Users?startIndex=${start}&count=10`);
      expect(page.body.totalResults).toBe(26); // the 25 and the account's admin
      expect(page.body.startIndex).toBe(start);
      expect(page.body.itemsPerPage).toBe(page.body.Resources.length);
      seen.push(...page.body.Resources.map((r: any) => r.id));
    }
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);

    const filtered = await t.scim("GET", q('userName sw "page"', "&startIndex=21&count=10"));
    expect(filtered.body).toMatchObject({ totalResults: 25, itemsPerPage: 5, startIndex: 21 });
    const countOnly = await t.scim("GET", "/Users?count=0");
    expect(countOnly.body).toMatchObject({ totalResults: 26, itemsPerPage: 0, Resources: [] });
    const past = await t.scim("GET", "/Users?startIndex=100");
    expect(past.body).toMatchObject({ totalResults: 26, itemsPerPage: 0, Resources: [] });
    expectScimError(await t.scim("GET", "/Users?count=ten"), 400, "invalidValue");
  });

  it("deactivates on DELETE, and a later GET still returns the user with active false", async () => {
    const t = await scimTenant();
    const created = await t.scim("POST", "/Users", oktaUser("gone@acme.example"));
    const del = await t.scim("DELETE", `/Users/${created.body.id}`);
    expect(del.status).toBe(204);
    const got = await t.scim("GET", `/Users/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.active).toBe(false);
    expect((await t.scim("DELETE", `/Users/${created.body.id}`)).status).toBe(204);
    const audit = await call("GET", "/api/v1/audit", { headers: t.auth });
    expect(audit.body.entries.filter((e: any) => e.action === "person.deactivated")).toHaveLength(1);
  });

  it("refuses a bad filter with 400 invalidFilter", async () => {
    const t = await scimTenant();
    for (const filter of [
      'userName xx "a"',
      "userName eq",
      'title eq "x"',
      '(userName eq "a"',
      'userName eq "a" and',
      "&&",
    ]) {
      expectScimError(await t.scim("GET", q(filter)), 400, "invalidFilter");
    }
  });

  it("refuses a bad key, no key and an api-scope key with a SCIM 401", async () => {
    const t = await scimTenant();
    const bad = await call("GET", "/scim/v2/Users", { headers: { authorization: "Bearer slk_nottherightkey" } });
    expectScimError(bad, 401);
    expect(bad.headers.get("www-authenticate")).toContain("Bearer");
    expectScimError(await call("GET", "/scim/v2/Users"), 401);
    expectScimError(await call("GET", "/scim/v2/Users", { headers: { cookie: t.cookie } }), 401);
    expectScimError(await call("GET", "/scim/v2/Users", { headers: t.auth }), 401);
  });

  it("never shows or changes another account's user", async () => {
    const a = await scimTenant("Acme");
    const b = await scimTenant("Globex");
    const theirs = await b.scim("POST", "/Users", oktaUser("theirs@globex.example"));
    const id = theirs.body.id as string;
    expectScimError(await a.scim("GET", `/Users/${id}`), 404);
    expectScimError(
      await a.scim("PATCH", `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: "replace", path: "active", value: false }],
      }),
      404,
    );
    expectScimError(await a.scim("PUT", `/Users/${id}`, oktaUser("theirs@globex.example")), 404);
    expectScimError(await a.scim("DELETE", `/Users/${id}`), 404);
    expect((await a.scim("GET", q('userName eq "theirs@globex.example"'))).body.totalResults).toBe(0);
    // The same userName is free in another account.
    expect((await a.scim("POST", "/Users", oktaUser("theirs@globex.example"))).status).toBe(201);
    expect((await b.scim("GET", `/Users/${id}`)).body.active).toBe(true);
  });

  it("applies the User Sync person rules", async () => {
    const t = await scimTenant();
    const ann = await t.scim(
      "POST",
      "/Users",
      oktaUser("ann@acme.example", { [ENTERPRISE]: { employeeNumber: "E1" } }),
    );
    expect(ann.status).toBe(201);

    const noName = await t.scim("POST", "/Users", { schemas: [USER], userName: "x@acme.example" });
    expectScimError(noName, 400, "invalidValue");
    expect(noName.body.detail).toContain("name.givenName is required for a new user");

    expectScimError(await t.scim("POST", "/Users", oktaUser("not-an-email")), 400, "invalidValue");
    expectScimError(
      await t.scim("POST", "/Users", { ...oktaUser("r@acme.example"), roles: ["Boss"] }),
      400,
      "invalidValue",
    );
    expectScimError(
      await t.scim("POST", "/Users", { ...oktaUser("r@acme.example"), userName: undefined }),
      400,
      "invalidValue",
    );
    const long = await t.scim("POST", "/Users", {
      ...oktaUser("r@acme.example"),
      name: { givenName: "x".repeat(101), familyName: "Y" },
    });
    expectScimError(long, 400, "invalidValue");
    expect(long.body.detail).toContain("name.givenName is longer than 100 characters");

    const sameNumber = await t.scim(
      "POST",
      "/Users",
      oktaUser("bo@acme.example", { [ENTERPRISE]: { employeeNumber: "E1" } }),
    );
    expectScimError(sameNumber, 409, "uniqueness");

    const unknownManager = await t.scim(
      "POST",
      "/Users",
      oktaUser("cy@acme.example", { [ENTERPRISE]: { manager: { value: "per_nobody" } } }),
    );
    expectScimError(unknownManager, 400, "invalidValue");

    const byEmail = await t.scim(
      "POST",
      "/Users",
      oktaUser("di@acme.example", { [ENTERPRISE]: { manager: { value: "ANN@acme.example" } } }),
    );
    expect(byEmail.status).toBe(201);
    expect(byEmail.body[ENTERPRISE].manager.value).toBe(ann.body.id);

    const self = await t.scim("PATCH", `/Users/${ann.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: `${ENTERPRISE}:manager`, value: { value: ann.body.id } }],
    });
    expectScimError(self, 400, "invalidValue");
    expect(self.body.detail).toContain("own approver");

    const admin = await t.scim("PATCH", `/Users/${byEmail.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", path: 'roles[primary eq "True"].value', value: "admin" }],
    });
    expect(admin.body.roles).toEqual([{ value: "Admin", display: "Admin", primary: true }]);
  });

  it("answers malformed requests with clear 400s, never a 500", async () => {
    const t = await scimTenant();
    const created = await t.scim("POST", "/Users", oktaUser("m@acme.example"));
    const id = created.body.id as string;
    const raw = (method: string, path: string, body: string, type = "application/scim+json") =>
      call(method, `/scim/v2${path}`, {
        headers: { authorization: `Bearer ${t.scimKey}`, "content-type": type },
        body,
      });

    expectScimError(await raw("POST", "/Users", "{not json"), 400, "invalidSyntax");
    expectScimError(await raw("POST", "/Users", "[]"), 400, "invalidValue");
    expect(
      (await raw("POST", "/Users", JSON.stringify(oktaUser("json@acme.example")), "application/json")).status,
    ).toBe(201);
    expectScimError(await raw("POST", "/Users", "userName=x", "application/x-www-form-urlencoded"), 415);
    expectScimError(
      await raw("POST", "/Users", JSON.stringify({ ...oktaUser("big@acme.example"), pad: "x".repeat(70_000) })),
      413,
    );

    const patch = (ops: unknown) => t.scim("PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations: ops });
    expectScimError(await patch([]), 400, "invalidSyntax");
    expectScimError(await patch([{ op: "move", path: "active", value: false }]), 400, "invalidSyntax");
    expectScimError(await patch([{ op: "remove" }]), 400, "noTarget");
    expectScimError(await patch([{ op: "replace", path: "name..givenName", value: "x" }]), 400, "invalidPath");
    expectScimError(await patch([{ op: "replace", path: "active", value: "maybe" }]), 400, "invalidValue");
    expectScimError(await patch([{ op: "replace", path: "userName", value: { nested: true } }]), 400, "invalidValue");
    expectScimError(await t.scim("PATCH", `/Users/${id}`, { Operations: "nope" }), 400, "invalidSyntax");
    const noUserName = await patch([{ op: "remove", path: "userName" }]);
    expectScimError(noUserName, 400, "invalidValue");
    expect(noUserName.body.detail).toContain("userName is required");
    expectScimError(await t.scim("GET", "/Groups"), 404);
    expectScimError(await t.scim("GET", "/Users/per_doesnotexist"), 404);
  });

  it("serves discovery documents that tell the truth", async () => {
    const t = await scimTenant();
    const config = await t.scim("GET", "/ServiceProviderConfig");
    expect(config.status).toBe(200);
    expect(config.headers.get("content-type")).toBe("application/scim+json");
    expect(config.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 200 },
      sort: { supported: false },
      etag: { supported: false },
      changePassword: { supported: false },
      authenticationSchemes: [{ type: "oauthbearertoken" }],
    });
    const types = await t.scim("GET", "/ResourceTypes");
    expect(types.body.Resources).toMatchObject([
      { id: "User", endpoint: "/Users", schema: USER, schemaExtensions: [{ schema: ENTERPRISE }] },
    ]);
    const schemas = await t.scim("GET", "/Schemas");
    expect(schemas.body.Resources.map((s: any) => s.id)).toEqual([USER, ENTERPRISE]);
    const one = await t.scim("GET", `/Schemas/${ENTERPRISE}`);
    expect(one.body.attributes.map((a: any) => a.name)).toEqual([
      "employeeNumber",
      "department",
      "costCenter",
      "manager",
    ]);
  });
});
