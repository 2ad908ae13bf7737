import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../app.ts";
import { ADMIN_PASSWORD, call } from "../test/client.ts";
import { receive, runToEnd } from "../test/imports.ts";
import { ed25519Line, type Populated, populatedTenant, relayAuth, SCIM_USER, tracesOf } from "../test/tenants.ts";

/**
 * Tenant isolation, route by route. Every route the app serves is taken from the app itself (and
 * cross-checked against the OpenAPI document); each must have a plan below, so a new route fails
 * this file until someone decides how another account may call it. Account B then calls every
 * route with account A's ids, as each kind of caller B can be, and must get the planned refusal:
 * never a 2xx, never a 500, never a trace of A in the body.
 */

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Who B calls as: its admin's session (cookie + CSRF), its API keys, its SFTP session, or nobody. */
type As = "session" | "apiKey" | "scimKey" | "relaySession" | "relayToken" | "none";

interface Payload {
  query?: string;
  json?: unknown;
  raw?: { body: string; type: string };
}

interface Spec {
  /**
   * `foreign`: the request carries A's ids (in the path, or the query or body below) and must be
   * refused. `own`: B acting on its own data; it may succeed but must show nothing of A.
   * `public`: no account data at all.
   */
  kind: "foreign" | "own" | "public";
  /** The status each kind of caller must get. */
  as: Partial<Record<As, number>>;
  payloads?: (a: Populated, b: Populated) => Payload[];
  /** Concrete paths, for routes without parameters of their own (catch-alls). */
  paths?: (a: Populated) => string[];
  /** B's own things the first successful answer must list: proof the list works and is B's. */
  shows?: (b: Populated) => string[];
  /** Ends B's session: called after everything else. */
  last?: true;
}

const api = { session: 404, apiKey: 404, scimKey: 401, none: 401 };
const scim = { scimKey: 404, apiKey: 401, session: 401 };
const relay = { relaySession: 404, relayToken: 401, apiKey: 401 };
const ownApi = { session: 200, apiKey: 200, scimKey: 401, none: 401 };
const one = (p: Payload) => () => [p];
const newAccount = (tag: string) => ({
  json: {
    accountName: `${tag} Ltd`,
    timeZone: "UTC",
    admin: { email: `admin@${tag}.example`, firstName: "Mal", lastName: "Lory", password: "a long enough password" },
  },
});

const plan: Record<string, Spec> = {
  // The Worker itself and its documents.
  "GET /healthz": { kind: "public", as: { none: 200, apiKey: 200 } },
  "GET /api/docs": { kind: "public", as: { none: 200 } },
  "GET /api/v1/openapi.json": { kind: "public", as: { none: 200, apiKey: 200 } },
  "GET /api/v1/specifications/:kind": { kind: "public", as: { none: 200, apiKey: 200 } },
  "GET /api/v1/specifications/:kind/template.csv": { kind: "public", as: { none: 200, apiKey: 200 } },
  // Development only: replays the cron (sending the alerts due then); the operator's.
  "GET /__scheduled": { kind: "public", as: { none: 401, session: 401, apiKey: 401, scimKey: 401 } },
  // Development only: the import benchmark's raw-D1 floor writes people into the account it names.
  "POST /api/__bench/d1-upsert": {
    kind: "foreign",
    as: { none: 401, session: 401, apiKey: 401 },
    payloads: (a) => [{ query: `rows=3&account=${a.ids.account}&prefix=benchprobe` }],
  },

  // Setup, accounts and signing in.
  "GET /api/v1/setup": { kind: "public", as: { none: 200, apiKey: 200 } },
  "POST /api/v1/setup": {
    kind: "public",
    as: { none: 409, session: 409, apiKey: 409 },
    payloads: one(newAccount("x")),
  },
  "POST /api/v1/accounts": {
    kind: "public",
    as: { none: 401, session: 401, apiKey: 401 },
    payloads: one(newAccount("y")),
  },
  "POST /api/v1/sessions": {
    kind: "foreign",
    as: { none: 401 },
    payloads: (a, b) => [{ json: { email: b.t.email, password: ADMIN_PASSWORD, accountId: a.ids.account } }],
  },
  "GET /api/v1/sessions/current": { kind: "own", as: { session: 200, apiKey: 400 }, shows: (b) => [b.ids.account] },
  "DELETE /api/v1/sessions/current": { kind: "own", as: { apiKey: 204, session: 204 }, last: true },

  "POST /api/v1/api-keys": {
    kind: "own",
    as: { ...ownApi, session: 201, apiKey: 201 },
    payloads: one({ json: { name: "more" } }),
  },
  "GET /api/v1/api-keys": { kind: "own", as: ownApi, shows: (b) => b.ids.apiKeys },
  "DELETE /api/v1/api-keys/:id": { kind: "foreign", as: api },

  "GET /api/v1/deliveries": { kind: "own", as: ownApi, shows: (b) => b.ids.deliveries },
  "POST /api/v1/deliveries": {
    kind: "own",
    as: { ...ownApi, session: 201, apiKey: 201 },
    payloads: one({ json: { kind: "user_sync", name: "More" } }),
  },
  "GET /api/v1/deliveries/:id": { kind: "foreign", as: api },
  "PATCH /api/v1/deliveries/:id": {
    kind: "foreign",
    as: api,
    payloads: one({ json: { name: "Taken over", status: "disabled", allowedIps: ["100.64.99.1"] } }),
  },
  "DELETE /api/v1/deliveries/:id": { kind: "foreign", as: api },
  "GET /api/v1/deliveries/:id/credentials": { kind: "foreign", as: api },
  "POST /api/v1/deliveries/:id/credentials": { kind: "foreign", as: api },
  "GET /api/v1/deliveries/:id/public-keys": { kind: "foreign", as: api },
  "POST /api/v1/deliveries/:id/public-keys": {
    kind: "foreign",
    as: api,
    payloads: one({ json: { publicKey: ed25519Line(201, "intruder") } }),
  },
  "DELETE /api/v1/deliveries/:id/public-keys/:keyId": { kind: "foreign", as: api },
  "GET /api/v1/deliveries/:id/login-attempts": { kind: "foreign", as: api },
  "GET /api/v1/deliveries/:id/timeline": { kind: "foreign", as: api },
  "POST /api/v1/deliveries/:id/files": {
    kind: "foreign",
    as: api,
    payloads: one({ query: "name=planted.csv", raw: { body: "Email\nplanted@intruder.example\n", type: "text/csv" } }),
  },
  "GET /api/v1/deliveries/:id/files": { kind: "foreign", as: api },
  "GET /api/v1/login-bans": { kind: "own", as: ownApi, shows: (b) => b.ids.bans },
  "DELETE /api/v1/login-bans/:subject": { kind: "foreign", as: api },
  // The operator's: no account's credentials open it.
  "DELETE /api/v1/operator/login-bans/:subject": {
    kind: "foreign",
    as: { none: 401, session: 401, apiKey: 401, scimKey: 401 },
  },

  "GET /api/v1/files/:id": { kind: "foreign", as: api },
  "GET /api/v1/files/:id/content": { kind: "foreign", as: api },
  "GET /api/v1/files/:id/report": { kind: "foreign", as: api },
  "GET /api/v1/files/:id/errors": { kind: "foreign", as: api },
  "GET /api/v1/files/:id/errors.csv": { kind: "foreign", as: api },
  "POST /api/v1/files/:id/approve": { kind: "foreign", as: api },
  "POST /api/v1/files/:id/reprocess": { kind: "foreign", as: api },
  "POST /api/v1/files/:id/reject": { kind: "foreign", as: api },

  "GET /api/v1/outbox": { kind: "own", as: ownApi, shows: (b) => [`it@${b.tag}.example`] },
  "GET /api/v1/audit": { kind: "own", as: ownApi, shows: (b) => b.ids.deliveries },
  "GET /api/v1/people": {
    kind: "own",
    as: ownApi,
    payloads: () => [{}, { query: "q=ann" }, { query: "q=example&limit=200" }],
    shows: (b) => [`ann@${b.tag}.example`, `scim@${b.tag}.example`],
  },
  "GET /api/v1/projects": { kind: "own", as: ownApi, shows: (b) => [b.ids.project] },

  "POST /api/v1/webhooks": {
    kind: "own",
    as: { ...ownApi, session: 201, apiKey: 201 },
    payloads: one({ json: { url: "https://hooks.intruder.example/x", events: ["file.received"] } }),
  },
  "GET /api/v1/webhooks": { kind: "own", as: ownApi, shows: (b) => [b.ids.webhook] },
  "GET /api/v1/webhooks/:id": { kind: "foreign", as: api },
  "PATCH /api/v1/webhooks/:id": {
    kind: "foreign",
    as: api,
    payloads: one({ json: { url: "https://hooks.intruder.example/stolen", description: "taken over" } }),
  },
  "DELETE /api/v1/webhooks/:id": { kind: "foreign", as: api },
  "POST /api/v1/webhooks/:id/rotate-secret": { kind: "foreign", as: api },
  "GET /api/v1/webhooks/:id/deliveries": { kind: "foreign", as: api },
  "POST /api/v1/webhooks/:id/test": { kind: "foreign", as: api },

  // The relay's API: the relay token is global, an SFTP session is one delivery's.
  "POST /relay/v1/connections": {
    kind: "public",
    as: { relayToken: 200, apiKey: 401, session: 401 },
    payloads: (_a, b) => [{ json: { sourceIp: `${b.net}.200`, relayId: "isolation" } }],
  },
  "POST /relay/v1/logins": {
    kind: "foreign",
    as: { relayToken: 403, apiKey: 401, session: 401 },
    payloads: (a, b) => [
      {
        json: {
          username: a.users.username,
          method: "password",
          password: b.users.password,
          sourceIp: `${b.net}.201`,
          relayId: "isolation",
        },
      },
    ],
  },
  "POST /relay/v1/uploads": {
    kind: "own",
    as: { relaySession: 201, relayToken: 401, apiKey: 401 },
    payloads: one({ json: { name: "probe.csv" } }),
  },
  "PUT /relay/v1/uploads/:id/parts/:partNumber": {
    kind: "foreign",
    as: relay,
    payloads: one({ raw: { body: "Email\nplanted@intruder.example\n", type: "application/octet-stream" } }),
  },
  "POST /relay/v1/uploads/:id/complete": {
    kind: "foreign",
    as: relay,
    payloads: one({ json: { size: 16, sha256: "0".repeat(64), parts: [{ partNumber: 1, etag: "x" }] } }),
  },
  "DELETE /relay/v1/uploads/:id": { kind: "foreign", as: relay },
  "GET /relay/v1/files": {
    kind: "own",
    as: { relaySession: 200, relayToken: 401, apiKey: 401 },
    shows: (b) => [`${b.tag}-users.csv`],
  },
  "GET /relay/v1/results": {
    kind: "own",
    as: { relaySession: 200, relayToken: 401, apiKey: 401 },
    shows: (b) => [`${b.tag}-users.csv.report.json`, `${b.tag}-users.csv.errors.csv`],
  },
  "GET /relay/v1/results/:name": { kind: "foreign", as: relay },
  "DELETE /relay/v1/sessions/current": { kind: "own", as: { relaySession: 204, apiKey: 401 }, last: true },

  // SCIM: bearer keys with the `scim` scope, one account's people.
  "GET /scim/v2/ServiceProviderConfig": { kind: "public", as: { none: 200, scimKey: 200 } },
  "GET /scim/v2/ResourceTypes": { kind: "public", as: { none: 200, scimKey: 200 } },
  "GET /scim/v2/ResourceTypes/User": { kind: "public", as: { none: 200, scimKey: 200 } },
  "GET /scim/v2/Schemas": { kind: "public", as: { none: 200, scimKey: 200 } },
  "GET /scim/v2/Schemas/:id": { kind: "public", as: { none: 200, scimKey: 200 } },
  "GET /scim/v2/Users": {
    kind: "own",
    as: { scimKey: 200, apiKey: 401, session: 401, none: 401 },
    payloads: (a) => [
      {},
      { query: `filter=${encodeURIComponent(`userName eq "scim@${a.tag}.example"`)}` },
      { query: `filter=${encodeURIComponent(`id eq "${a.ids.scimUser}"`)}` },
    ],
    shows: (b) => [b.ids.scimUser],
  },
  // Naming A's person as the manager of a new user must not find them.
  "POST /scim/v2/Users": {
    kind: "foreign",
    as: { scimKey: 400, apiKey: 401, session: 401 },
    payloads: (a) => [
      {
        json: {
          schemas: [SCIM_USER, ENTERPRISE],
          userName: "new@intruder.example",
          name: { givenName: "New", familyName: "User" },
          [ENTERPRISE]: { manager: { value: a.ids.scimUser } },
        },
      },
    ],
  },
  "GET /scim/v2/Users/:id": { kind: "foreign", as: scim },
  "PUT /scim/v2/Users/:id": {
    kind: "foreign",
    as: scim,
    payloads: one({
      json: { schemas: [SCIM_USER], userName: "taken@intruder.example", name: { givenName: "T", familyName: "O" } },
    }),
  },
  "PATCH /scim/v2/Users/:id": {
    kind: "foreign",
    as: scim,
    payloads: one({ json: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } }),
  },
  "DELETE /scim/v2/Users/:id": { kind: "foreign", as: scim },
  // The catch-all: anything else under /scim/v2, including paths that embed A's ids.
  "ALL /scim/v2/*": {
    kind: "foreign",
    as: { scimKey: 404 },
    paths: (a) => [`/scim/v2/Groups/${a.ids.scimUser}`, `/scim/v2/Users/${a.ids.scimUser}/manager`],
  },
};

/**
 * Where each path parameter's values come from. `tenant` values belong to an account (A's are
 * what B must not reach); the others are the same for everyone. A parameter missing here fails
 * the sweep: give it A's ids before adding the route.
 */
const params: Record<string, { of: (p: Populated) => string[]; tenant: boolean }> = {
  "deliveries/:id": { of: (p) => p.ids.deliveries, tenant: true },
  "public-keys/:keyId": { of: (p) => [p.ids.publicKey], tenant: true },
  "api-keys/:id": { of: (p) => p.ids.apiKeys, tenant: true },
  "files/:id": { of: (p) => p.ids.files, tenant: true },
  "webhooks/:id": { of: (p) => [p.ids.webhook], tenant: true },
  "login-bans/:subject": { of: (p) => p.ids.bans, tenant: true },
  "Users/:id": { of: (p) => p.ids.people, tenant: true },
  "uploads/:id": { of: (p) => [p.ids.upload], tenant: true },
  "results/:name": { of: (p) => p.ids.resultNames, tenant: true },
  "parts/:partNumber": { of: () => ["1"], tenant: false },
  "specifications/:kind": { of: () => ["users", "projects"], tenant: false },
  "Schemas/:id": { of: () => [SCIM_USER, ENTERPRISE], tenant: false },
};

/** The app's endpoints, and its `use`/`all` registrations, from the app's own route table. */
function routeTable() {
  const endpoints = new Set<string>();
  const alls = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL") alls.add(r.path);
    else endpoints.add(`${r.method} ${r.path}`);
  }
  const paths = [...endpoints].map((e) => e.split(" ")[1] as string);
  // An `ALL` entry that guards some endpoint is middleware; one that guards none serves requests itself.
  const guards = (pattern: string) =>
    pattern.endsWith("*") ? paths.some((p) => p.startsWith(pattern.slice(0, -1))) : paths.includes(pattern);
  const unguarded = [...alls].filter((p) => !guards(p)).map((p) => `ALL ${p}`);
  return { endpoints: [...endpoints].sort(), alls, unguarded };
}

/** Every way to fill a route's parameters where at least one tenant value is A's (B's own for the rest). */
function foreignPaths(path: string, a: Populated, b: Populated): string[] {
  const names = [...path.matchAll(/([^/]+)\/:(\w+)/g)].map((m) => `${m[1]}/:${m[2]}`);
  if (names.length === 0) return [path];
  const options = names.map((name) => {
    const rule = params[name];
    if (!rule) throw new Error(`${path}: no id of account A is known for ${name}; add it to \`params\``);
    const mine = rule.of(a).map((v) => ({ v, foreign: rule.tenant }));
    return rule.tenant && names.length > 1 ? [...mine, { v: rule.of(b)[0] as string, foreign: false }] : mine;
  });
  const combos = options.reduce<{ v: string; foreign: boolean }[][]>(
    (acc, opts) => acc.flatMap((c) => opts.map((o) => [...c, o])),
    [[]],
  );
  if (!names.some((n) => params[n]?.tenant)) throw new Error(`${path}: no parameter takes an account's id`);
  return combos
    .filter((c) => c.some((o) => o.foreign))
    .map((c) => names.reduce((p, n, i) => p.replace(`:${n.split(":")[1]}`, encodeURIComponent(c[i]?.v ?? "")), path));
}

function constantPaths(path: string): string[] {
  let out = [path];
  for (const m of path.matchAll(/([^/]+)\/:(\w+)/g)) {
    const rule = params[`${m[1]}/:${m[2]}`];
    if (!rule || rule.tenant) throw new Error(`${path}: a public or own route cannot take an account's id`);
    const values = rule.of({} as Populated);
    out = out.flatMap((p) => values.map((v) => p.replace(`:${m[2]}`, encodeURIComponent(v))));
  }
  return out;
}

interface Outcome {
  route: string;
  as: As;
  method: string;
  url: string;
  status: number;
  expected: number;
}

describe("tenant isolation", () => {
  let a: Populated;
  let b: Populated;
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    a = await populatedTenant("aardvark", "100.64.7", 11);
    b = await populatedTenant("bison", "100.64.9", 12);
  }, 180_000);

  it("has a plan for every route the app serves, and the OpenAPI document lists no other", async () => {
    const { endpoints, alls, unguarded } = routeTable();
    const planned = Object.keys(plan);
    expect(
      endpoints.filter((e) => !plan[e]),
      "routes without an isolation plan",
    ).toEqual([]);
    expect(
      unguarded.filter((e) => !plan[e]),
      "catch-alls without an isolation plan",
    ).toEqual([]);
    expect(
      planned.filter((k) => (k.startsWith("ALL ") ? !alls.has(k.slice(4)) : !endpoints.includes(k))),
      "plans for routes that no longer exist",
    ).toEqual([]);

    const doc = await call("GET", "/api/v1/openapi.json");
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} /api/v1${p.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    expect(documented.length).toBeGreaterThan(30);
    expect(
      documented.filter((d) => !endpoints.includes(d)),
      "documented but not served",
    ).toEqual([]);
    // Everything served under /api/v1 is documented, but the document itself.
    expect(
      endpoints.filter((e) => e.split(" ")[1]?.startsWith("/api/v1/") && !documented.includes(e)),
      "served under /api/v1 but not documented",
    ).toEqual(["GET /api/v1/openapi.json"]);
  });

  it("refuses B everything of A's on every route, as every caller B can be, and shows B only its own", async () => {
    const headersOf = (as: As): Record<string, string> =>
      ({
        session: b.t.session,
        apiKey: b.t.auth,
        scimKey: { authorization: `Bearer ${b.scimKey}` },
        relaySession: b.relaySession,
        relayToken: relayAuth,
        none: {},
      })[as];
    const traces = tracesOf(a);
    const failures: string[] = [];
    const order = ["GET", "ALL", "POST", "PUT", "PATCH", "DELETE"];
    const routes = Object.entries(plan).sort(
      ([k1, s1], [k2, s2]) =>
        Number(!!s1.last) - Number(!!s2.last) ||
        order.indexOf(k1.split(" ")[0] as string) - order.indexOf(k2.split(" ")[0] as string),
    );

    for (const [route, spec] of routes) {
      const [method, path] = route.split(" ") as [string, string];
      const urls = spec.paths
        ? spec.paths(a)
        : spec.kind === "foreign"
          ? foreignPaths(path, a, b)
          : constantPaths(path);
      const payloads = spec.payloads?.(a, b) ?? [{}];
      for (const [as, expected] of Object.entries(spec.as) as [As, number][]) {
        // Scope and authentication refusals are the same for every id: one call each is enough.
        const tried = expected === 401 ? urls.slice(0, 1) : urls;
        for (const url of tried) {
          for (const [i, payload] of payloads.entries()) {
            const full = payload.query ? `${url}?${payload.query}` : url;
            const headers: Record<string, string> = { ...headersOf(as) };
            let body: BodyInit | undefined;
            if (payload.raw) {
              body = payload.raw.body;
              headers["content-type"] = payload.raw.type;
              headers["content-length"] = String(new TextEncoder().encode(payload.raw.body).byteLength);
            }
            const res = await call(method === "ALL" ? "GET" : method, full, {
              headers,
              ...(payload.json !== undefined ? { json: payload.json } : {}),
              ...(body !== undefined ? { body } : {}),
            });
            outcomes.push({ route, as, method, url: full, status: res.status, expected });
            const where = `${route} as ${as}: ${method} ${full}`;
            if (res.status !== expected) {
              failures.push(
                `${where} → ${res.status}, expected ${expected}: ${JSON.stringify(res.body).slice(0, 300)}`,
              );
            }
            const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body);
            const request = `${full} ${JSON.stringify(payload)}`;
            const leaked = traces.filter((t) => text.includes(t) && !request.includes(t));
            if (leaked.length) failures.push(`${where} shows A's ${leaked.join(", ")}`);
            if (spec.shows && i === 0 && res.status < 300) {
              const missing = spec.shows(b).filter((s) => !text.includes(s));
              if (missing.length) failures.push(`${where} does not show B's own ${missing.join(", ")}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);

    expect(outcomes.every((o) => o.status < 500)).toBe(true);
    // Every planned route was called, and every foreign call was refused.
    expect(new Set(outcomes.map((o) => o.route)).size).toBe(Object.keys(plan).length);
    const foreign = outcomes.filter((o) => plan[o.route]?.kind === "foreign");
    expect(foreign.filter((o) => o.status < 300)).toEqual([]);
    console.log(
      `tenant isolation: ${Object.keys(plan).length} routes, ${outcomes.length} calls, ${foreign.length} with A's ids`,
    );
  }, 300_000);

  it("leaves everything of A's as it was", async () => {
    const as = (method: string, path: string, json?: unknown) =>
      call(method, `/api/v1${path}`, { headers: a.t.auth, ...(json !== undefined ? { json } : {}) });
    const deliveries = (await as("GET", "/deliveries")).body.deliveries as {
      id: string;
      name: string;
      status: string;
    }[];
    expect(deliveries.map((d) => [d.name, d.status]).sort()).toEqual([
      ["Aardvark full sync", "enabled"],
      ["Aardvark projects", "enabled"],
      ["Aardvark users", "enabled"],
    ]);
    const revealed = await as("GET", `/deliveries/${a.users.id}/credentials`);
    expect(revealed.body.password).toBe(a.users.password);
    expect((await as("GET", `/deliveries/${a.users.id}/public-keys`)).body.publicKeys).toEqual([
      expect.objectContaining({ id: a.ids.publicKey }),
    ]);
    expect((await as("GET", "/api-keys")).body.apiKeys.every((k: { revokedAt: unknown }) => k.revokedAt === null)).toBe(
      true,
    );
    expect((await as("GET", `/webhooks/${a.ids.webhook}`)).body).toMatchObject({
      url: "https://hooks.aardvark.example/sluice",
      description: "Aardvark hook",
      status: "enabled",
      previousSecretExpiresAt: null,
    });
    const bans = (await as("GET", "/login-bans")).body.bans.map((x: { subject: string }) => x.subject);
    expect(bans.sort()).toEqual([...a.ids.bans].sort());
    expect((await as("GET", `/files/${a.ids.heldFile}/report`)).body).toMatchObject({ status: "held", held: true });
    const people = (await as("GET", "/people?limit=200")).body.people as { email: string; active: boolean }[];
    expect(people.map((p) => p.email).sort()).toEqual([
      a.t.email,
      "ann@aardvark.example",
      "bob@aardvark.example",
      "scim@aardvark.example",
    ]);
    expect(people.every((p) => p.active)).toBe(true);

    // A's SFTP upload in flight is still open, and completes.
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", a.inflight.bytes));
    const done = await call("POST", `/relay/v1/uploads/${a.inflight.id}/complete`, {
      headers: a.relaySession,
      json: {
        size: a.inflight.bytes.byteLength,
        sha256: [...digest].map((x) => x.toString(16).padStart(2, "0")).join(""),
        parts: [a.inflight.part],
      },
    });
    expect(done.status).toBe(200);
    expect(done.body.name).toBe("aardvark-inflight.csv");
    // B's relay session for its own delivery never saw A's file; A's own listing does.
    const listed = await call("GET", "/relay/v1/files", { headers: a.relaySession });
    expect(listed.body.files.map((f: { name: string }) => f.name)).toContain("aardvark-inflight.csv");
  });

  it("looks up approvers named in B's files among B's people only", async () => {
    const users = await receive(
      b.users.setup,
      "cross-users.csv",
      "Email,First Name,Last Name,Approver Email\nbob@aardvark.example,Bob,Bison,ann@aardvark.example\n",
    );
    await runToEnd(b.users.setup, users);
    const projects = await receive(
      b.projects.setup,
      "cross-projects.csv",
      "Project Code,Project Name,Approver Email\nBISON-P2,Two,ann@aardvark.example\n",
    );
    await runToEnd(b.projects.setup, projects);
    for (const file of [users, projects]) {
      const errors = await call("GET", `/api/v1/files/${file}/errors`, { headers: b.t.auth });
      expect(errors.body.errors).toEqual([
        expect.objectContaining({ column: "Approver Email", value: "ann@aardvark.example" }),
      ]);
    }
    const bob = await call("GET", "/api/v1/people?q=bob@aardvark", { headers: a.t.auth });
    expect(bob.body.people).toEqual([expect.objectContaining({ firstName: "Bob", lastName: "Aardvark" })]);
  });

  it("refuses a relay session whose signed delivery was swapped for A's", async () => {
    const token = b.relaySession["x-relay-session"];
    const [payload, signature] = token.split(".") as [string, string];
    const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    const forged = btoa(JSON.stringify({ ...claims, deliveryId: a.users.id, accountId: a.ids.account }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    for (const path of ["/relay/v1/files", "/relay/v1/results"]) {
      const res = await call("GET", path, { headers: { ...relayAuth, "x-relay-session": `${forged}.${signature}` } });
      expect(res.status).toBe(401);
    }
  });
});
