import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../../test/client.ts";
import { peopleOf, projectsOf, receive, runOf, runToEnd, type Setup, setup } from "../../test/imports.ts";
import { projectsKind } from "./kind-projects.ts";
import { usersKind } from "./kind-users.ts";
import type { ImportKind } from "./kinds.ts";

describe("staged row data", () => {
  it("has a slot for every column but the key, each once", () => {
    for (const kind of [usersKind, projectsKind]) {
      const columns = kind.table.columns.filter((c) => !c.key).map((c) => c.id);
      expect([...kind.staged.slots].sort()).toEqual([...columns].sort());
      expect(new Set(kind.staged.slots).size).toBe(kind.staged.slots.length);
    }
  });

  it("keeps a value, a cleared cell and a column not given apart, and leaves out trailing slots", () => {
    const { encode, slots } = usersKind.staged;
    const at = (id: string) => slots.indexOf(id);
    const data = encode({ firstName: "Zoë", department: null, active: false });
    expect(data[at("firstName")]).toBe("Zoë");
    expect(data[at("department")]).toBe("");
    expect(data[at("active")]).toBe(false);
    expect(data[at("lastName")]).toBeNull();
    expect(data).toHaveLength(at("active") + 1);
    expect(encode({})).toEqual([]);
  });
});

/** The statements of the migration that rewrote staged rows from objects keyed by column id to slots. */
function slotsMigration(): string[] {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0006_"));
  if (!migration) throw new Error("migration 0006 not found");
  return migration.queries;
}

/** Rewrites a run's staged rows as they were stored before slots: an object of the columns each row gives. */
async function stageAsObjects(kind: ImportKind, fileId: string) {
  const run = await runOf(fileId);
  const { results } = await env.DB.prepare("SELECT row_number, data FROM import_rows WHERE run_id = ?")
    .bind(run.id)
    .all<{ row_number: number; data: string }>();
  expect(results.length).toBeGreaterThan(0);
  const updates = results.map((r) => {
    const slots = JSON.parse(r.data) as unknown[];
    const values: Record<string, unknown> = {};
    slots.forEach((v, i) => {
      if (v !== null) values[kind.staged.slots[i] as string] = v === "" ? null : v;
    });
    return env.DB.prepare("UPDATE import_rows SET data = ? WHERE run_id = ? AND row_number = ?").bind(
      JSON.stringify(values),
      run.id,
      r.row_number,
    );
  });
  await env.DB.batch(updates);
}

/** A full sync held above its threshold in a fresh tenant: `first` imported, then `held` staged and held. */
async function held(kind: "user_sync" | "project_sync", first: string, second: string) {
  const s = await setup(kind, { syncMode: "full_sync" });
  await runToEnd(s, await receive(s, "all.csv", first));
  const fileId = await receive(s, "few.csv", second);
  await runToEnd(s, fileId);
  expect((await runOf(fileId)).status).toBe("held");
  return { s, fileId };
}

async function approve(s: Setup, fileId: string) {
  expect((await call("POST", `/api/v1/files/${fileId}/approve`, { headers: s.t.auth })).status).toBe(202);
  await runToEnd(s, fileId);
  expect((await runOf(fileId)).status).toBe("applied");
}

/**
 * The same held full sync in two tenants; in one, its staged rows are put back in the old form and
 * migration 0006 is run. Both are then approved and applied: the tenants to compare.
 */
async function approvedBothWays(kind: ImportKind, first: string, second: string) {
  const delivery = kind === usersKind ? "user_sync" : "project_sync";
  const control = await held(delivery, first, second);
  const migrated = await held(delivery, first, second);
  await stageAsObjects(kind, migrated.fileId);
  for (const sql of slotsMigration()) await env.DB.prepare(sql).run();
  await approve(control.s, control.fileId);
  await approve(migrated.s, migrated.fileId);
  return { control: control.s, migrated: migrated.s };
}

describe("migration 0006 (staged data as slots)", () => {
  it("rewrites the rows of a held User Sync so that approving it applies the same", async () => {
    const everyone = Array.from({ length: 10 }, (_, i) => `u${i}@example.com,U,${i},E${i},Sales,CC1,,Claimant,Yes,`);
    const first = `Email,First Name,Last Name,Employee Number,Department,Cost Centre,Approver Email,Role,Active,Leave Date\n${everyone.join("\n")}\n`;
    // u0: department cleared, inactive, an approver; u1: renamed, approved by u0, Role left as is;
    // new@ is created with a leave date and no Employee Number column value.
    const second =
      "Email,First Name,Last Name,Department,Approver Email,Role,Active,Leave Date\n" +
      "u0@example.com,,,,,Approver,No,\n" +
      "u1@example.com,Uma,,Sales,u0@example.com,,Yes,\n" +
      "new@example.com,New,Person,Ops,u1@example.com,Finance,Yes,2999-01-31\n";
    const { control, migrated } = await approvedBothWays(usersKind, first, second);

    const imported = async (s: Setup) =>
      (await peopleOf(s.t.accountId)).filter((p) => String(p.email).endsWith("@example.com"));
    const expected = await imported(control);
    expect(expected.find((p) => p.email === "u0@example.com")).toMatchObject({
      department: null,
      role: "approver",
      active: 0,
    });
    expect(expected.find((p) => p.email === "u1@example.com")).toMatchObject({
      first_name: "Uma",
      approver: "u0@example.com",
      role: "claimant",
    });
    expect(expected.find((p) => p.email === "new@example.com")).toMatchObject({
      first_name: "New",
      leave_date: "2999-01-31",
      approver: "u1@example.com",
    });
    expect(await imported(migrated)).toEqual(expected);
  });

  it("rewrites the rows of a held Project Sync the same way", async () => {
    const all = Array.from({ length: 10 }, (_, i) => `P${i},Project ${i},Client,Yes,2026-01-01,2026-12-31,Yes`);
    const first = `Project Code,Project Name,Client,Active,Start Date,End Date,Billable\n${all.join("\n")}\n`;
    const second = "Project Code,Client,End Date,Billable\nP0,,2027-06-30,No\nP1,Acme,,Yes\n";
    const { control, migrated } = await approvedBothWays(projectsKind, first, second);

    const expected = await projectsOf(control.t.accountId);
    expect(expected.find((p) => p.code === "P0")).toMatchObject({
      client: null,
      end_date: "2027-06-30",
      billable: 0,
      start_date: "2026-01-01",
    });
    expect(expected.find((p) => p.code === "P1")).toMatchObject({ client: "Acme", end_date: null, active: 1 });
    expect(await projectsOf(migrated.t.accountId)).toEqual(expected);
  });
});
