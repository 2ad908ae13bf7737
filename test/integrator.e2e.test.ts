/**
 * The integrator's view of the real stack: HTTP uploads with an API key, and
 * the interactive API docs rendered in Debian's Chromium.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/lib/stack.ts";
import { launchBrowser } from "./browser.ts";
import { http, type Stack, setUpAdmin, startStack } from "./stack.ts";

/** Screenshots land here (gitignored), as test artifacts. */
const ARTIFACTS = process.env.SLUICE_ARTIFACTS ?? join(ROOT, "test-artifacts");

let stack: Stack;
let auth: Record<string, string>;
let deliveryId: string;

beforeAll(async () => {
  stack = await startStack();
  ({ auth } = await setUpAdmin(stack.url, {
    accountName: "Integrator Co",
    email: "i@int.example",
    firstName: "I",
    lastName: "N",
    password: "integrator e2e password",
    keyName: "hr-system",
  }));
  deliveryId = (await http(stack.url, "POST", "/api/v1/deliveries", { headers: auth, json: { kind: "user_sync" } }))
    .body.delivery.id;
});
afterAll(async () => {
  await stack?.stop();
});

async function upload(body: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}/api/v1/deliveries/${deliveryId}/files${query}`, {
    method: "POST",
    headers: { ...auth, "content-type": "text/csv", ...headers },
    body,
  });
  return { status: res.status, replayed: res.headers.get("idempotent-replayed"), body: (await res.json()) as any };
}

async function finished(fileId: string) {
  for (let i = 0; i < 150; i++) {
    const file = await http(stack.url, "GET", `/api/v1/files/${fileId}`, { headers: auth });
    if (["applied", "tested", "rejected", "failed", "held"].includes(file.body.status))
      return file.body.status as string;
    await new Promise((r) => setTimeout(r, 200));
  }
  return "timeout";
}

describe("HTTP upload on the real stack", () => {
  it("imports a CSV sent over HTTPS, and a retry with the same Idempotency-Key stores nothing twice", async () => {
    const csv = "Email,First Name,Last Name\nada@int.example,Ada,Lovelace\ngrace@int.example,Grace,Hopper\n";
    const first = await upload(csv, "?name=users.csv", { "idempotency-key": "nightly-1" });
    expect(first.status).toBe(202);
    expect(first.body.file).toMatchObject({
      name: "users.csv",
      via: "http",
      size: csv.length,
      sha256: createHash("sha256").update(csv).digest("hex"),
    });
    const retry = await upload(csv, "?name=users.csv", { "idempotency-key": "nightly-1" });
    expect(retry.status).toBe(202);
    expect(retry.replayed).toBe("true");
    expect(retry.body.file.id).toBe(first.body.file.id);
    expect(await finished(first.body.file.id)).toBe("applied");
    const people = await http(stack.url, "GET", "/api/v1/people?q=int.example", { headers: auth });
    expect(JSON.stringify(people.body)).toContain("grace@int.example");
    const files = await http(stack.url, "GET", `/api/v1/deliveries/${deliveryId}/files`, { headers: auth });
    expect(files.body.files.filter((f: { name: string }) => f.name === "users.csv")).toHaveLength(1);
  });

  it("validates a Test upload and changes nothing", async () => {
    const csv = "Email,First Name,Last Name\nnew.person@int.example,New,Person\n";
    const res = await upload(csv, "?name=users.csv&test=true");
    expect(res.body.file.isTest).toBe(true);
    expect(await finished(res.body.file.id)).toBe("tested");
    const report = await http(stack.url, "GET", `/api/v1/files/${res.body.file.id}/report`, { headers: auth });
    expect(report.body.counts).toMatchObject({ created: 1 });
    const people = await http(stack.url, "GET", "/api/v1/people?q=new.person", { headers: auth });
    expect(JSON.stringify(people.body)).not.toContain("new.person@int.example");
  });
});

describe("API docs in a browser", () => {
  let context: BrowserContext;
  afterAll(async () => {
    await context?.close();
  });

  it("renders every route of the OpenAPI document, with no CSP violation", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const launched = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    context = launched.context;
    const page = launched.page;
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(`${stack.url}/api/docs`);
    const doc = (await http(stack.url, "GET", "/api/v1/openapi.json")).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, unknown>>).reduce(
      (n, methods) => n + Object.keys(methods).length,
      0,
    );
    await page.locator(".opblock").first().waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator(".opblock").count(), { timeout: 20_000 }).toBe(operations);
    for (const path of Object.keys(doc.paths)) {
      await expect.poll(() => page.locator(`.opblock-summary-path[data-path="${path}"]`).count()).toBeGreaterThan(0);
    }
    await page.screenshot({ path: join(ARTIFACTS, "api-docs.png"), fullPage: true });
    expect(problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([]);
  });
});
