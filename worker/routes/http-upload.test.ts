import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RELAY_LIMITS } from "../domain/relay/logins.ts";
import { call, newTenant } from "../test/client.ts";

async function sha256(bytes: Uint8Array) {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function delivery() {
  const t = await newTenant();
  const { delivery } = (await call("POST", "/api/v1/deliveries", { headers: t.auth, json: { kind: "user_sync" } }))
    .body;
  return { t, id: delivery.id as string };
}

function upload(headers: Record<string, string>, id: string, body: BodyInit, query = "?name=users.csv") {
  return SELF.fetch(`https://sluice.test/api/v1/deliveries/${id}/files${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv", ...headers },
    body,
  });
}

describe("HTTP upload", () => {
  it("streams a multi-part body into R2 byte for byte and queues it like an SFTP file", {
    timeout: 60_000,
  }, async () => {
    const { t, id } = await delivery();
    const data = crypto.getRandomValues(new Uint8Array(65536));
    const big = new Uint8Array(RELAY_LIMITS.partBytes * 2 + 777);
    for (let i = 0; i < big.byteLength; i += data.byteLength)
      big.set(data.subarray(0, Math.min(data.byteLength, big.byteLength - i)), i);
    const res = await upload(t.auth, id, big);
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      file: { id: string; size: number; sha256: string; via: string; isTest: boolean; status: string };
      statusUrl: string;
    };
    expect(body.file).toMatchObject({
      size: big.byteLength,
      sha256: await sha256(big),
      via: "http",
      isTest: false,
      status: "queued",
    });
    expect(body.statusUrl).toBe(`/api/v1/files/${body.file.id}`);
    const row = await env.DB.prepare("select r2_key from received_files where id = ?")
      .bind(body.file.id)
      .first<{ r2_key: string }>();
    const object = await env.FILES.get(row!.r2_key);
    expect(await sha256(new Uint8Array(await object!.arrayBuffer()))).toBe(await sha256(big));
  });

  it("answers a retry with the same Idempotency-Key with the first file, storing nothing twice", async () => {
    const { t, id } = await delivery();
    const headers = { ...t.auth, "idempotency-key": "nightly-2026-11-23" };
    const first = await upload(headers, id, "Email\na@b.example\n");
    const second = await upload(headers, id, "Email\na@b.example\n");
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const a = (await first.json()) as { file: { id: string } };
    const b = (await second.json()) as { file: { id: string } };
    expect(b.file.id).toBe(a.file.id);
    const files = await call("GET", `/api/v1/deliveries/${id}/files`, { headers: t.auth });
    expect(files.body.files).toHaveLength(1);
    // A different key is a different upload.
    expect((await upload({ ...t.auth, "idempotency-key": "other" }, id, "Email\n")).status).toBe(202);
    expect((await call("GET", `/api/v1/deliveries/${id}/files`, { headers: t.auth })).body.files).toHaveLength(2);
  });

  it("marks Test files by ?test=true or by name", async () => {
    const { t, id } = await delivery();
    const byQuery = (await (await upload(t.auth, id, "Email\n", "?name=users.csv&test=true")).json()) as {
      file: { isTest: boolean };
    };
    const byName = (await (await upload(t.auth, id, "Email\n", "?name=Users%20Test.csv")).json()) as {
      file: { isTest: boolean };
    };
    expect(byQuery.file.isTest).toBe(true);
    expect(byName.file.isTest).toBe(true);
  });

  it("refuses empty bodies, non-CSV names, disabled deliveries and other accounts' deliveries", async () => {
    const { t, id } = await delivery();
    const empty = await upload(t.auth, id, "");
    expect(empty.status).toBe(400);
    const xlsx = await upload(t.auth, id, "x", "?name=payroll.xlsx");
    expect(xlsx.status).toBe(422);
    await call("PATCH", `/api/v1/deliveries/${id}`, { headers: t.auth, json: { status: "disabled" } });
    expect((await upload(t.auth, id, "Email\n")).status).toBe(409);
    const other = await newTenant("Other");
    expect((await upload(other.auth, id, "Email\n")).status).toBe(404);
    const count = await env.DB.prepare("select count(*) as n from received_files where delivery_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });
});
