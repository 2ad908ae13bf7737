import { describe, expect, it } from "vitest";
import { errorsOf, fileStatus, peopleOf, receive, runOf, runToEnd, setup } from "../../test/imports.ts";

describe("user sync imports", () => {
  it("creates and updates users by email and reports counts and dialect", async () => {
    const s = await setup();
    const f1 = await receive(
      s,
      "users.csv",
      "Email,First Name,Last Name,Role,Active\nZoe@Example.com,Zoë,Müller,Admin,Yes\nsam@example.com,Sam,Lee,claimant,no\n",
    );
    expect((await runToEnd(s, f1)).outcome).toBe("finished");
    const run = await runOf(f1);
    expect(run.status).toBe("applied");
    expect(await fileStatus(f1)).toBe("applied");
    expect(run.counts).toMatchObject({ rows: 2, created: 2, updated: 0, unchanged: 0, errors: 0 });
    expect(run.dialect).toMatchObject({ encoding: "utf-8", delimiter: "comma", lineEnding: "LF" });
    const people = await peopleOf(s.t.accountId);
    expect(people.find((p) => p.email === "zoe@example.com")).toMatchObject({
      first_name: "Zoë",
      last_name: "Müller",
      role: "admin",
      active: 1,
    });
    expect(people.find((p) => p.email === "sam@example.com")).toMatchObject({ role: "claimant", active: 0 });

    const f2 = await receive(s, "users2.csv", "email;department\nzoe@example.com;Finance\nsam@example.com;\n");
    await runToEnd(s, f2);
    const run2 = await runOf(f2);
    expect(run2.counts).toMatchObject({ rows: 2, created: 0, updated: 1, unchanged: 1 });
    const zoe = (await peopleOf(s.t.accountId)).find((p) => p.email === "zoe@example.com");
    expect(zoe).toMatchObject({ first_name: "Zoë", department: "Finance", role: "admin" });
    expect(await errorsOf(f2)).toEqual([]);
  });
});

describe("user sync row rules", () => {
  it("skips invalid rows with their row, column and reason and applies the rest", async () => {
    const s = await setup();
    const f = await receive(
      s,
      "users.csv",
      [
        "Email,First Name,Last Name,Role,Active,Leave Date",
        "new@example.com,,Lee,,,",
        "ok@example.com,Ok,Person,Finance,Y,",
        "role@example.com,R,P,Boss,,",
        "act@example.com,A,P,,maybe,",
        "date@example.com,D,P,,,2031-02-30",
        "left@example.com,L,P,,Yes,2001-01-01",
      ].join("\n"),
    );
    await runToEnd(s, f);
    const run = await runOf(f);
    expect(run.counts).toMatchObject({ rows: 6, created: 2, skipped: 4, errors: 4 });
    expect((await errorsOf(f)).map((e) => [e.row_number, e.column])).toEqual([
      [2, "First Name"],
      [4, "Role"],
      [5, "Active"],
      [6, "Leave Date"],
    ]);
    const people = await peopleOf(s.t.accountId);
    expect(people.find((p) => p.email === "ok@example.com")).toMatchObject({ role: "finance", active: 1 });
    expect(people.find((p) => p.email === "left@example.com")).toMatchObject({ active: 0, leave_date: "2001-01-01" });
  });

  it("resolves approvers created later in the same file, and refuses unknown and self approvers", async () => {
    const s = await setup();
    const f = await receive(
      s,
      "users.csv",
      [
        "Email,First Name,Last Name,Approver Email",
        "report@example.com,Rep,Ort,boss@example.com",
        "boss@example.com,Bo,Ss,",
        "ghost@example.com,Gh,Ost,nobody@example.com",
        "self@example.com,Se,Lf,self@example.com",
      ].join("\n"),
    );
    await runToEnd(s, f, { batchRows: 1, sliceRows: 2 });
    const people = await peopleOf(s.t.accountId);
    expect(people.find((p) => p.email === "report@example.com")).toMatchObject({ approver: "boss@example.com" });
    expect((await errorsOf(f)).map((e) => [e.row_number, e.column, e.reason])).toEqual([
      [4, "Approver Email", "is not an existing user nor a user in this file"],
      [5, "Approver Email", "a user cannot be their own approver"],
    ]);
  });

  it("keeps Employee Number unique within the file and the account", async () => {
    const s = await setup();
    await runToEnd(
      s,
      await receive(s, "a.csv", "Email,First Name,Last Name,Employee Number\nold@example.com,O,L,E1\n"),
    );
    const f = await receive(
      s,
      "b.csv",
      "Email,First Name,Last Name,Employee Number\nnew@example.com,N,W,E1\nx@example.com,X,X,E2\ny@example.com,Y,Y,E2\n",
    );
    await runToEnd(s, f);
    expect((await errorsOf(f)).map((e) => [e.row_number, e.reason])).toEqual([
      [2, "already belongs to another user"],
      [4, "is also given to row 3"],
    ]);
    expect((await runOf(f)).counts).toMatchObject({ created: 1, skipped: 2 });
  });

  it("stores formula-like cells as text", async () => {
    const s = await setup();
    const f = await receive(
      s,
      "users.csv",
      "Email,First Name,Last Name,Department\nzoe@example.com,=HYPERLINK(1),@SUM,+1\n",
    );
    await runToEnd(s, f);
    expect((await peopleOf(s.t.accountId)).find((p) => p.email === "zoe@example.com")).toMatchObject({
      first_name: "=HYPERLINK(1)",
      last_name: "@SUM",
      department: "+1",
    });
  });
});

describe("test files and full sync", () => {
  it("validates a Test file, applies nothing and reports what would happen", async () => {
    const s = await setup();
    await runToEnd(s, await receive(s, "a.csv", "Email,First Name,Last Name\nold@example.com,O,L\n"));
    const before = await peopleOf(s.t.accountId);
    const f = await receive(
      s,
      "Users Test.csv",
      "Email,First Name,Last Name\nold@example.com,Changed,L\nnew@example.com,N,W\nbad,X,Y\n",
    );
    await runToEnd(s, f);
    const run = await runOf(f);
    expect(run.status).toBe("tested");
    expect(run.counts).toMatchObject({ created: 1, updated: 1, skipped: 1, errors: 1 });
    expect(run.message).toMatch(/Test file/);
    expect(await peopleOf(s.t.accountId)).toEqual(before);
  });

  it("deactivates users absent from a full-sync file under the threshold", async () => {
    const s = await setup("user_sync", { syncMode: "full_sync", fullSyncThresholdPercent: 50 });
    const list = Array.from({ length: 5 }, (_, i) => `u${i}@example.com,U,${i}`);
    await runToEnd(s, await receive(s, "a.csv", `Email,First Name,Last Name\n${list.join("\n")}\n`));
    const f = await receive(
      s,
      "b.csv",
      `Email\n${list
        .slice(0, 4)
        .map((l) => l.split(",")[0])
        .join("\n")}\n`,
    );
    await runToEnd(s, f, { batchRows: 2, sliceRows: 4 });
    const run = await runOf(f);
    expect(run.status).toBe("applied");
    expect(run.counts).toMatchObject({ unchanged: 4, deactivated: 1 });
    const people = await peopleOf(s.t.accountId);
    expect(people.find((p) => p.email === "u4@example.com")).toMatchObject({ active: 0 });
    // The account's admin signs in to Sluice: a file never deactivates them.
    expect(people.find((p) => String(p.email).startsWith("admin-"))).toMatchObject({ active: 1 });
  });
});
