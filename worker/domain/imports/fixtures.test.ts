/// <reference types="vite/client" />
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeImport, type ImportMessage } from "../../jobs/queue.ts";
import { call, newTenant } from "../../test/client.ts";
import {
  errorsOf,
  fileStatus,
  peopleOf,
  projectsOf,
  receive,
  runOf,
  type Setup,
  setup,
  type Tenant,
} from "../../test/imports.ts";
import type { ErrorSpec, Expectation, RecordSpec } from "./fixtures/expectation.ts";
import { generated, hostile } from "./fixtures/hostile/manifest.ts";
import { manifest } from "./fixtures/manifest.ts";

/** Every committed fixture's exact bytes, by path under fixtures/ (the `?bytes` loader is in vitest.config.ts). */
const files: Record<string, Uint8Array> = Object.fromEntries(
  Object.entries(
    import.meta.glob<Uint8Array>("./fixtures/**/*.csv", { query: "?bytes", import: "default", eager: true }),
  ).map(([path, bytes]) => [path.replace("./fixtures/", ""), bytes]),
);

/** Row errors kept per run, as the report API documents. */
const STORED_ERRORS_LIMIT = 1000;
/** A message longer than this is not one a person reads. */
const READABLE_MESSAGE = 1000;
const SLICES = { batchRows: 2000, sliceRows: 50_000 };

const kindOf = (path: string) => (path.startsWith("projects/") ? "project_sync" : "user_sync");
const nameOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/**
 * Delivers the file's import message to the real queue consumer, then each
 * continuation it enqueues, until none is left. A retry means an error escaped
 * the engine: that fails the test with the error.
 */
async function importThroughQueue(s: Setup, fileId: string, slices = SLICES) {
  const body: ImportMessage = { type: "import", accountId: s.t.accountId, fileId };
  for (let delivery = 1; delivery <= 10_000; delivery++) {
    const sentBefore = s.sent.length;
    let retried = false;
    const message = {
      id: crypto.randomUUID(),
      timestamp: new Date(),
      body,
      attempts: 1,
      ack: () => {},
      retry: () => {
        retried = true;
      },
    } as unknown as Message<ImportMessage>;
    await consumeImport(s.deps, message, false, slices);
    expect(retried, `the import of ${fileId} threw (see the consumer's log above)`).toBe(false);
    const more = s.sent.slice(sentBefore).some((m) => m.type === "import" && m.fileId === fileId);
    if (!more) return;
  }
  throw new Error("the import never finished");
}

/** Everything a file could have changed in its account, times included. */
async function snapshot(accountId: string) {
  const [people, projects] = await env.DB.batch([
    env.DB.prepare("SELECT * FROM people WHERE account_id = ? ORDER BY id").bind(accountId),
    env.DB.prepare("SELECT * FROM projects WHERE account_id = ? ORDER BY id").bind(accountId),
  ]);
  return { people: people?.results, projects: projects?.results };
}

function matches(actual: string, expected: string | RegExp | undefined) {
  return expected === undefined || (typeof expected === "string" ? actual === expected : expected.test(actual));
}

function findError(stored: { row_number: number; column: string; reason: string }[], spec: ErrorSpec) {
  const [row, column, reason] = spec;
  return stored.findIndex((e) => e.row_number === row && matches(e.column, column) && matches(e.reason, reason));
}

function expectRecords(
  label: string,
  actual: Record<string, unknown>[],
  key: string,
  spec: Record<string, RecordSpec | null>,
) {
  for (const [id, fields] of Object.entries(spec)) {
    const found = actual.find((r) => r[key] === id);
    if (fields === null) expect(found, `${label} ${id} must not exist`).toBeUndefined();
    else expect(found, `${label} ${id}`).toMatchObject(fields);
  }
}

async function importFixture(t: Tenant, path: string, bytes: Uint8Array, slices = SLICES, delivery = {}) {
  const s = await setup(kindOf(path), delivery, t);
  const fileId = await receive(s, nameOf(path), bytes);
  await importThroughQueue(s, fileId, slices);
  return { s, fileId, run: await runOf(fileId) };
}

function bytesOf(path: string) {
  const bytes = files[path];
  if (!bytes) throw new Error(`no fixture file ${path}`);
  return bytes;
}

/** Imports one fixture after its seeds, in a new account, and checks it against its expectation. */
async function check(path: string, bytes: Uint8Array, exp: Expectation) {
  const t = await newTenant();
  for (const seed of exp.seed ?? []) {
    const { run } = await importFixture(t, seed, bytesOf(seed));
    expect(run.status, `seed ${seed}: ${run.message}`).toBe("applied");
  }
  const before = await snapshot(t.accountId);
  const { s, fileId, run } = await importFixture(t, path, bytes, exp.slices, exp.delivery);

  // Every file ends in its expected status with a message a person can read; the file row agrees.
  expect({ status: run.status, message: run.message }).toMatchObject({ status: exp.status });
  expect(await fileStatus(fileId)).toBe(run.status);
  expect(typeof run.message === "string" && run.message.length > 0, "the run has a message").toBe(true);
  if (typeof exp.message === "string") expect(run.message).toContain(exp.message);
  else if (exp.message) expect(run.message).toMatch(exp.message);
  expect(run.message.length, `message of ${run.message.length} characters`).toBeLessThanOrEqual(READABLE_MESSAGE);

  // Row errors: bounded, and the counts account for every one of them.
  const stored = await errorsOf(fileId);
  expect(stored.length).toBeLessThanOrEqual(STORED_ERRORS_LIMIT);
  expect(run.counts.errors, "errors counted = stored + dropped").toBe(stored.length + run.counts.errorsDropped);
  if (exp.storedErrors !== undefined) expect(stored.length).toBe(exp.storedErrors);
  if (exp.errors) {
    const unmatched = [...stored];
    for (const spec of exp.errors) {
      const i = findError(unmatched, spec);
      expect(i, `row error ${JSON.stringify(spec.map(String))} among ${JSON.stringify(unmatched)}`).not.toBe(-1);
      unmatched.splice(i, 1);
    }
    expect(unmatched, "no other row errors").toEqual([]);
  }
  for (const spec of exp.someErrors ?? []) {
    expect(
      findError(stored, spec),
      `row error ${JSON.stringify(spec.map(String))} among ${JSON.stringify(stored)}`,
    ).not.toBe(-1);
  }

  if (exp.counts) expect(run.counts).toMatchObject(exp.counts);
  if (exp.dialect) expect(run.dialect).toMatchObject(exp.dialect);

  const after = await snapshot(t.accountId);
  if (run.status === "rejected") expect(run.message).toMatch(/^Rejected: /);
  else {
    // Every data row read is accounted for once: created, updated, unchanged or skipped.
    const c = run.counts;
    expect(c.created + c.updated + c.unchanged + c.skipped, "rows accounted for").toBe(c.rows);
  }
  if (run.status !== "applied") expect(after, "nothing applied").toEqual(before);

  if (exp.people) expectRecords("person", await peopleOf(t.accountId), "email", exp.people);
  if (exp.projects) expectRecords("project", await projectsOf(t.accountId), "code", exp.projects);

  const report = await call("GET", `/api/v1/files/${fileId}/report`, { headers: s.t.auth });
  expect(report.status).toBe(200);
  expect(report.body).toMatchObject({ status: exp.status, message: run.message, counts: run.counts });
  if (exp.report) expect(report.body).toMatchObject(exp.report);
  if (exp.errorsCsv) {
    const csv = await call("GET", `/api/v1/files/${fileId}/errors.csv`, { headers: s.t.auth });
    expect(String(csv.body).split("\r\n").slice(0, -1)).toEqual(exp.errorsCsv);
  }
}

function fixtureTest(path: string, exp: Expectation, bytes: () => Uint8Array) {
  const test = exp.bug ? it.fails : it;
  test(`${path}: ${exp.does}`, { timeout: exp.timeout ?? 60_000 }, () => check(path, bytes(), exp));
}

describe("the fixture corpus", () => {
  it("has an expectation for every file and a file for every expectation", () => {
    const onDisk = Object.keys(files).filter((p) => !p.startsWith("hostile/"));
    expect(onDisk.sort()).toEqual(Object.keys(manifest).sort());
    for (const seed of Object.values(manifest).flatMap((e) => e.seed ?? [])) expect(manifest[seed]).toBeDefined();
  });

  for (const [path, exp] of Object.entries(manifest)) fixtureTest(path, exp, () => bytesOf(path));
});

describe("the hostile corpus", () => {
  it("has an expectation for every file and at least 40 files", () => {
    const onDisk = Object.keys(files).filter((p) => p.startsWith("hostile/"));
    expect(onDisk.sort()).toEqual(Object.keys(hostile).sort());
    expect(onDisk.length + Object.keys(generated).length).toBeGreaterThanOrEqual(40);
  });

  // A reject is imported into an account with staff, to show it leaves existing people untouched.
  const seeded = (exp: Expectation): Expectation =>
    exp.seed || exp.status === "applied" ? exp : { ...exp, seed: ["users/seed-staff.csv"] };
  for (const [path, exp] of Object.entries(hostile)) fixtureTest(path, seeded(exp), () => bytesOf(path));
  for (const [path, { make, ...exp }] of Object.entries(generated)) fixtureTest(path, seeded(exp), make);

  it("still imports a normal file correctly, in a delivery that just rejected hostile ones", async () => {
    const t = await newTenant();
    const s = await setup("user_sync", {}, t);
    for (const path of ["hostile/nul-after-first-4k.csv", "hostile/zip-archive.csv", "hostile/json-array.csv"]) {
      const fileId = await receive(s, nameOf(path), bytesOf(path));
      await importThroughQueue(s, fileId, { batchRows: 50, sliceRows: 120 });
      expect((await runOf(fileId)).status).toBe("rejected");
    }
    const fileId = await receive(s, "users.csv", bytesOf("users/seed-staff.csv"));
    await importThroughQueue(s, fileId);
    const run = await runOf(fileId);
    expect(run).toMatchObject({ status: "applied", counts: { rows: 9, created: 9, skipped: 0 } });
    const people = (await peopleOf(t.accountId)).filter((p) => !String(p.email).startsWith("admin-"));
    expect(people.map((p) => p.email)).toHaveLength(9);
    expectRecords("person", people, "email", manifest["users/seed-staff.csv"]?.people ?? {});
  });
});
