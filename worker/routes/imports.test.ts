import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { purgeStaging } from "../domain/imports/reprocess.ts";
import { call } from "../test/client.ts";
import { errorsOf, peopleOf, receive, runOf, runToEnd, setup } from "../test/imports.ts";

/** A full sync above its threshold, held for approval. */
async function heldFile() {
  const s = await setup("user_sync", { syncMode: "full_sync" });
  const all = Array.from({ length: 10 }, (_, i) => `u${i}@example.com,U,${i}`);
  await runToEnd(s, await receive(s, "all.csv", `Email,First Name,Last Name\n${all.join("\n")}\n`));
  const fileId = await receive(s, "few.csv", "Email\nu0@example.com\nu1@example.com\n");
  await runToEnd(s, fileId);
  return { s, fileId };
}

describe("import reports API", () => {
  it("reports status, dialect, counts and progress, and pages row errors", async () => {
    const s = await setup();
    const rows = Array.from({ length: 7 }, (_, i) => `bad${i},X,Y`);
    const fileId = await receive(
      s,
      "users.csv",
      `Email,First Name,Last Name\nzoe@example.com,Zoë,Müller\n${rows.join("\n")}\n`,
    );
    const before = await call("GET", `/api/v1/files/${fileId}/report`, { headers: s.t.auth });
    expect(before.body).toMatchObject({ status: "queued", progress: { phase: "queued", rowsTotal: null } });
    await runToEnd(s, fileId);
    const report = await call("GET", `/api/v1/files/${fileId}/report`, { headers: s.t.auth });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      status: "applied",
      held: false,
      dialect: {
        encoding: "utf-8",
        delimiter: "comma",
        lineEnding: "LF",
        header: ["Email", "First Name", "Last Name"],
      },
      counts: { rows: 8, created: 1, skipped: 7, errors: 7, errorsDropped: 0 },
      progress: { phase: "done", rowsDone: 8, rowsTotal: 8 },
    });
    const page1 = await call("GET", `/api/v1/files/${fileId}/errors?limit=5`, { headers: s.t.auth });
    expect(page1.body.errors).toHaveLength(5);
    expect(page1.body.errors[0]).toEqual({ row: 3, column: "Email", reason: "is not an email address", value: "bad0" });
    const page2 = await call("GET", `/api/v1/files/${fileId}/errors?limit=5&cursor=${page1.body.nextCursor}`, {
      headers: s.t.auth,
    });
    expect(page2.body).toMatchObject({ nextCursor: null });
    expect(page2.body.errors.map((e: { row: number }) => e.row)).toEqual([8, 9]);
    const byColumn = await call("GET", `/api/v1/files/${fileId}/errors?column=Role`, { headers: s.t.auth });
    expect(byColumn.body.errors).toEqual([]);
  });

  it("escapes formula-like values in the errors CSV", async () => {
    const s = await setup();
    const fileId = await receive(s, "users.csv", "Email,Role\n\"=cmd|' /C calc'!A0\",Admin\nzoe@example.com,@boss\n");
    await runToEnd(s, fileId);
    const csv = await call("GET", `/api/v1/files/${fileId}/errors.csv`, { headers: s.t.auth });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(csv.body).toBe(
      "Row,Column,Reason,Value\r\n" +
        "2,Email,is not an email address,'=cmd|' /C calc'!A0\r\n" +
        '3,Role,"must be one of Claimant, Approver, Finance, Admin",\'@boss\r\n',
    );
  });

  it("keeps reports to their account", async () => {
    const s = await setup();
    const other = await setup();
    const fileId = await receive(s, "users.csv", "Email\nzoe@example.com\n");
    for (const path of ["report", "errors", "errors.csv"]) {
      expect((await call("GET", `/api/v1/files/${fileId}/${path}`, { headers: other.t.auth })).status).toBe(404);
    }
    expect((await call("GET", `/api/v1/files/${fileId}/report`)).status).toBe(401);
  });
});

describe("held full-sync files", () => {
  it("holds a full sync above the threshold until an admin approves it", async () => {
    const { s, fileId } = await heldFile();
    const report = await call("GET", `/api/v1/files/${fileId}/report`, { headers: s.t.auth });
    expect(report.body).toMatchObject({ status: "held", held: true, counts: { deactivated: 8 } });
    expect(report.body.message).toMatch(/8 of 11 active people .* above the 10% threshold/);
    expect((await peopleOf(s.t.accountId)).filter((p) => p.active === 0)).toEqual([]);

    const approved = await call("POST", `/api/v1/files/${fileId}/approve`, { headers: s.t.auth });
    expect(approved.status).toBe(202);
    expect(s.sent).toEqual([]); // the route used the real queue; the test drives the consumer itself
    await runToEnd(s, fileId);
    expect((await runOf(fileId)).status).toBe("applied");
    expect((await peopleOf(s.t.accountId)).filter((p) => p.active === 0)).toHaveLength(8);
    const audit = await env.DB.prepare("SELECT action FROM audit_events WHERE account_id = ? AND target_id = ?")
      .bind(s.t.accountId, fileId)
      .all<{ action: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["import.approved"]);
    expect((await call("POST", `/api/v1/files/${fileId}/approve`, { headers: s.t.auth })).status).toBe(409);
  });

  it("applies nothing when an admin rejects a held file", async () => {
    const { s, fileId } = await heldFile();
    const rejected = await call("POST", `/api/v1/files/${fileId}/reject`, { headers: s.t.auth });
    expect(rejected.status).toBe(200);
    await runToEnd(s, fileId);
    const report = await call("GET", `/api/v1/files/${fileId}/report`, { headers: s.t.auth });
    expect(report.body).toMatchObject({ status: "rejected", message: "Rejected by an admin: nothing was applied" });
    expect((await peopleOf(s.t.accountId)).filter((p) => p.active === 0)).toEqual([]);
  });
});

describe("reprocessing and staging retention", () => {
  it("imports a file again as its next attempt, once its approver exists", async () => {
    const s = await setup("user_sync", { notificationEmail: "it@example.com" });
    const fileId = await receive(
      s,
      "users.csv",
      "Email,First Name,Last Name,Approver Email\nann@example.com,Ann,A,boss@example.com\n",
    );
    await runToEnd(s, fileId);
    expect((await runOf(fileId)).counts).toMatchObject({ created: 0, skipped: 1, errors: 1 });

    // Reprocessing is refused while the file is being imported, and for another account.
    const other = await setup();
    expect((await call("POST", `/api/v1/files/${fileId}/reprocess`, { headers: other.t.auth })).status).toBe(404);

    const boss = await receive(s, "boss.csv", "Email,First Name,Last Name\nboss@example.com,Bo,Ss\n");
    await runToEnd(s, boss);
    const again = await call("POST", `/api/v1/files/${fileId}/reprocess`, { headers: s.t.auth });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ status: "queued", attempt: 2 });

    await runToEnd(s, fileId);
    const run = await runOf(fileId);
    expect(run).toMatchObject({ status: "applied", attempt: 2 });
    expect(run.counts).toMatchObject({ rows: 1, created: 1, skipped: 0, errors: 0 });
    expect(await errorsOf(fileId)).toEqual([]);
    expect((await peopleOf(s.t.accountId)).find((p) => p.email === "ann@example.com")).toMatchObject({
      approver: "boss@example.com",
    });
    // Each attempt's outcome is announced once: two summaries for this file, one for boss.csv.
    const summaries = await env.DB.prepare(
      "SELECT idempotency_key FROM email_outbox WHERE account_id = ? AND kind = 'import_summary' ORDER BY created_at",
    )
      .bind(s.t.accountId)
      .all<{ idempotency_key: string }>();
    expect(summaries.results).toHaveLength(3);
    const audit = await env.DB.prepare("SELECT action, detail FROM audit_events WHERE account_id = ? AND target_id = ?")
      .bind(s.t.accountId, fileId)
      .all<{ action: string; detail: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["import.reprocessed"]);
  });

  it("refuses to reprocess a held file or one never imported", async () => {
    const { s, fileId } = await heldFile();
    const held = await call("POST", `/api/v1/files/${fileId}/reprocess`, { headers: s.t.auth });
    expect(held.status).toBe(409);
    expect(held.body.detail).toMatch(/approve or reject/);
    const fresh = await receive(s, "later.csv", "Email\nx@example.com\n");
    const never = await call("POST", `/api/v1/files/${fresh}/reprocess`, { headers: s.t.auth });
    expect(never.status).toBe(409);
  });

  it("serves the row errors as CSV to a client that asks for text/csv", async () => {
    const s = await setup();
    const fileId = await receive(s, "users.csv", "Email,Role\nzoe@example.com,@boss\n");
    await runToEnd(s, fileId);
    const csv = await call("GET", `/api/v1/files/${fileId}/errors`, {
      headers: { ...s.t.auth, accept: "text/csv, application/json;q=0.5" },
    });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("vary")).toMatch(/Accept/);
    expect(csv.body).toBe(
      'Row,Column,Reason,Value\r\n2,Role,"must be one of Claimant, Approver, Finance, Admin",\'@boss\r\n',
    );
    const jsonReply = await call("GET", `/api/v1/files/${fileId}/errors`, {
      headers: { ...s.t.auth, accept: "application/json, text/csv;q=0.1" },
    });
    expect(jsonReply.body.errors).toHaveLength(1);
  });

  it("clears staged rows of finished runs from the cron, and keeps a held run's", async () => {
    const { s, fileId: heldId } = await heldFile();
    const upsert = await setup("user_sync", {}, s.t);
    const done = await receive(upsert, "more.csv", "Email,First Name,Last Name\nmore@example.com,Mo,Re\n");
    await runToEnd(upsert, done);
    expect((await runOf(done)).status).toBe("applied");
    const staged = async (fileId: string) =>
      (
        await env.DB.prepare(
          "SELECT count(*) AS n FROM import_rows r JOIN import_runs ir ON ir.id = r.run_id WHERE ir.file_id = ?",
        )
          .bind(fileId)
          .first<{ n: number }>()
      )?.n;
    expect(await staged(done)).toBe(1);
    let purged = 0;
    for (let n = await purgeStaging(s.deps); n > 0; n = await purgeStaging(s.deps)) purged += n;
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await staged(done)).toBe(0);
    expect(await staged(heldId)).toBeGreaterThan(0);
  });
});

describe("specifications", () => {
  it("serves the User Import Specification as JSON and as a readable page", async () => {
    const json = await call("GET", "/api/v1/specifications/users");
    expect(json.status).toBe(200);
    expect(json.body.columns.map((c: { header: string }) => c.header)).toEqual([
      "Email",
      "First Name",
      "Last Name",
      "Employee Number",
      "Department",
      "Cost Centre",
      "Approver Email",
      "Role",
      "Active",
      "Leave Date",
    ]);
    expect(json.body.columns[0]).toMatchObject({ key: true, required: true, type: "email" });
    const html = await call("GET", "/api/v1/specifications/users", { headers: { accept: "text/html" } });
    expect(html.headers.get("content-type")).toMatch(/text\/html/);
    expect(html.body).toContain("<h1>User Import Specification</h1>");
    expect((await call("GET", "/api/v1/specifications/projects?format=html")).body).toContain("Project Code");
  });

  it("serves template CSVs that import cleanly as Test files", async () => {
    for (const [kind, delivery] of [
      ["users", "user_sync"],
      ["projects", "project_sync"],
    ] as const) {
      const template = await call("GET", `/api/v1/specifications/${kind}/template.csv`);
      expect(template.status).toBe(200);
      expect(template.headers.get("content-type")).toMatch(/text\/csv/);
      const s = await setup(delivery);
      if (kind === "projects") {
        const users = await setup("user_sync", {}, s.t);
        await runToEnd(
          users,
          await receive(users, "u.csv", "Email,First Name,Last Name\nzoe.muller@example.com,Zoë,Müller\n"),
        );
      }
      const fileId = await receive(s, `${kind} test.csv`, template.body as string);
      await runToEnd(s, fileId);
      const run = await runOf(fileId);
      expect(run.status).toBe("tested");
      expect(await errorsOf(fileId)).toEqual([]);
      expect(run.counts).toMatchObject({ rows: 2, created: 2, errors: 0 });
    }
  });

  it("answers 404 for an unknown kind", async () => {
    expect((await call("GET", "/api/v1/specifications/widgets")).status).toBe(422);
  });
});

describe("people and projects", () => {
  it("lists and searches what the syncs produced, paged", async () => {
    const s = await setup();
    await runToEnd(
      s,
      await receive(
        s,
        "u.csv",
        "Email,First Name,Last Name,Employee Number\nzoe@example.com,Zoë,Müller,E1\nsam@example.com,Sam,Lee,E2\n",
      ),
    );
    const page = await call("GET", "/api/v1/people?limit=2", { headers: s.t.auth });
    expect(page.status).toBe(200);
    expect(page.body.people).toHaveLength(2);
    const next = await call("GET", `/api/v1/people?limit=2&cursor=${encodeURIComponent(page.body.nextCursor)}`, {
      headers: s.t.auth,
    });
    expect(next.body).toMatchObject({ nextCursor: null });
    const found = await call("GET", "/api/v1/people?q=m%C3%BCl", { headers: s.t.auth });
    expect(found.body.people.map((p: { email: string }) => p.email)).toEqual(["zoe@example.com"]);
    expect((await call("GET", "/api/v1/people?q=%25", { headers: s.t.auth })).body.people).toEqual([]);
    const other = await setup();
    expect((await call("GET", "/api/v1/people?q=zoe", { headers: other.t.auth })).body.people).toEqual([]);

    const p = await setup("project_sync", {}, s.t);
    const projectFile = await receive(
      p,
      "p.csv",
      "Project Code,Project Name,Client,Start Date,End Date,Billable,Approver Email\n" +
        "PRJ-1,Relaunch,Acme,2031-01-01,2031-06-30,yes,zoe@example.com\n" +
        "PRJ-2,Audit,,2031-05-01,2031-04-01,no,\n" +
        "PRJ-3,Ghost,,,,,nobody@example.com\n",
    );
    await runToEnd(p, projectFile);
    const projects = await call("GET", "/api/v1/projects?q=relaunch", { headers: s.t.auth });
    expect(projects.body.projects).toEqual([
      expect.objectContaining({ code: "PRJ-1", billable: true, approverEmail: "zoe@example.com", active: true }),
    ]);
    const errors = await call("GET", `/api/v1/files/${projectFile}/errors`, { headers: s.t.auth });
    expect(errors.body.errors.map((e: { row: number; column: string }) => [e.row, e.column])).toEqual([
      [3, "End Date"],
      [4, "Approver Email"],
    ]);
  });

  it("documents the import routes in the OpenAPI document", async () => {
    const doc = await call("GET", "/api/v1/openapi.json");
    for (const path of [
      "/files/{id}/report",
      "/files/{id}/errors",
      "/files/{id}/approve",
      "/people",
      "/projects",
      "/specifications/{kind}",
    ]) {
      expect(doc.body.paths[path]).toBeDefined();
    }
  });
});
