import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../app.ts";
import { call, newTenant, OPERATOR_TOKEN } from "../test/client.ts";

const upsert = (accountId: string) => `/api/__bench/d1-upsert?rows=3&account=${accountId}&prefix=bench`;

async function emails(accountId: string) {
  const { results } = await env.DB.prepare("SELECT email FROM people WHERE account_id = ? ORDER BY email")
    .bind(accountId)
    .all<{ email: string }>();
  return results.map((r) => r.email);
}

describe("the import benchmark's raw-D1 floor", () => {
  it("writes into the account it names only for the operator", async () => {
    const t = await newTenant();
    const other = await newTenant("Other");
    for (const headers of [{}, other.auth, other.session, { authorization: "Bearer not-the-operator-token" }]) {
      expect((await call("POST", upsert(t.accountId), { headers })).status).toBe(401);
    }
    expect(await emails(t.accountId)).toEqual([t.email]);

    const res = await call("POST", upsert(t.accountId), { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 3, statements: 1, batches: 1 });
    expect(await emails(t.accountId)).toEqual([
      t.email,
      "user0@bench.example",
      "user1@bench.example",
      "user2@bench.example",
    ]);
  });

  it("does not exist in production, even for the operator", async () => {
    const prod = { ...env, SLUICE_ENV: "production", SETUP_TOKEN: "0123456789abcdefghijklmnopqrstuvwxyz" };
    const res = await app.request(
      upsert("acc_x"),
      { method: "POST", headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } },
      prod,
    );
    expect(res.status).toBe(404);
  });
});
