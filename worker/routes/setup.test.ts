import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, call, OPERATOR_TOKEN } from "../test/client.ts";

const setupBody = {
  accountName: "First Co",
  timeZone: "America/New_York",
  admin: { email: "Owner@First.example", firstName: "Olive", lastName: "Owner", password: ADMIN_PASSWORD },
};

describe("first-run setup", () => {
  it("applies every migration to an empty database", async () => {
    const tables = await env.DB.prepare("select name from sqlite_master where type = 'table'").all<{ name: string }>();
    const names = tables.results.map((t) => t.name);
    for (const t of [
      "accounts",
      "people",
      "projects",
      "admin_logins",
      "sessions",
      "api_keys",
      "deliveries",
      "received_files",
      "import_runs",
      "row_errors",
      "email_outbox",
      "login_attempts",
      "audit_events",
      "login_bans",
    ]) {
      expect(names).toContain(t);
    }
  });

  it("is open before any account exists, creates the account and admin once, then closes", async () => {
    expect((await call("GET", "/api/v1/setup")).body).toEqual({ needed: true, tokenRequired: false });

    const first = await call("POST", "/api/v1/setup", { json: setupBody });
    expect(first.status).toBe(201);
    expect(first.body.account).toMatchObject({ name: "First Co", timeZone: "America/New_York" });
    expect(first.body.admin.email).toBe("owner@first.example");

    const again = await call("POST", "/api/v1/setup", { json: setupBody });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("setup_closed");
    expect((await call("GET", "/api/v1/setup")).body.needed).toBe(false);

    const login = await call("POST", "/api/v1/sessions", {
      json: { email: "owner@first.example", password: ADMIN_PASSWORD },
    });
    expect(login.status).toBe(201);
    expect(login.body.account.name).toBe("First Co");
  });

  it("rejects weak passwords and bad time zones, naming each field", async () => {
    const res = await call("POST", "/api/v1/setup", {
      json: { ...setupBody, timeZone: "Mars/Olympus", admin: { ...setupBody.admin, password: "short" } },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: "timeZone", message: expect.stringMatching(/IANA/) }),
        expect.objectContaining({ field: "admin.password", message: expect.stringMatching(/at least 12/) }),
      ]),
    );
  });
});

describe("operator account creation", () => {
  it("requires the operator token", async () => {
    const res = await call("POST", "/api/v1/accounts", {
      headers: { authorization: "Bearer not-the-operator-token-at-all-no" },
      json: setupBody,
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("unauthorized");
  });

  it("creates further accounts, which also closes first-run setup", async () => {
    for (const name of ["Tenant A", "Tenant B"]) {
      const res = await call("POST", "/api/v1/accounts", {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        json: { ...setupBody, accountName: name },
      });
      expect(res.status).toBe(201);
    }
    expect((await call("GET", "/api/v1/setup")).body.needed).toBe(false);
    // The same admin email in two accounts: the accountId picks one.
    const accounts = await env.DB.prepare("select id, name from accounts order by name").all<{
      id: string;
      name: string;
    }>();
    const b = accounts.results.find((a) => a.name === "Tenant B");
    const login = await call("POST", "/api/v1/sessions", {
      json: { email: setupBody.admin.email, password: ADMIN_PASSWORD, accountId: b?.id },
    });
    expect(login.status).toBe(201);
    expect(login.body.account.name).toBe("Tenant B");
  });
});
