import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, call } from "../test/client.ts";

// Its own file: each test file starts from an empty database, and this one needs setup still open.
const setupBody = {
  accountName: "First Co",
  timeZone: "UTC",
  admin: { email: "owner@first.example", firstName: "Olive", lastName: "Owner", password: ADMIN_PASSWORD },
};

describe("first-run setup under a race", () => {
  it("lets only one of two racing setups win", async () => {
    const results = await Promise.all([
      call("POST", "/api/v1/setup", { json: setupBody }),
      call("POST", "/api/v1/setup", { json: { ...setupBody, accountName: "Second Co" } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const count = await env.DB.prepare("select count(*) as n from accounts").first<{ n: number }>();
    expect(count?.n).toBe(1);
  });
});
