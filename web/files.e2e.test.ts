/**
 * The Files view and the Connection tab's access controls, end to end: the real
 * Worker under `wrangler dev` serving the built SPA, Chromium through
 * playwright-core, and files sent through the relay API the way the relay does.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../test/browser.ts";
import { type Stack, startStack } from "../test/stack.ts";
import { formatBytes } from "./src/format.ts";

const SCREENSHOTS = process.env.SLUICE_SCREENSHOTS ?? tmpdir();

const admin = {
  accountName: "Globex",
  firstName: "Grace",
  lastName: "Hopper",
  email: "grace@globex.example",
  password: "a long and careful passphrase",
};
const setupToken = `setup-${randomBytes(12).toString("hex")}`;

let stack: Stack | undefined;
let profile = "";
let work = "";
let base = "";
let context: BrowserContext | undefined;
let page: Page;
const consoleProblems: string[] = [];

beforeAll(async () => {
  stack = await startStack({ vars: { SETUP_TOKEN: setupToken } });
  base = stack.url;
  ({ context, page, profile } = await launchBrowser({ viewport: { width: 1280, height: 860 } }));
  work = await mkdtemp(join(tmpdir(), "sluice-files-"));
  page.setDefaultTimeout(10_000);
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleProblems.push(msg.text());
  });
  page.on("pageerror", (err) => consoleProblems.push(String(err)));
});

afterAll(async () => {
  await context?.close().catch(() => {});
  await stack?.stop();
  for (const dir of [profile, work]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** The relay's side of the contract, from the test process. */
function relayCall(
  path: string,
  init: { method: string; json?: unknown; body?: Uint8Array<ArrayBuffer>; session?: string },
) {
  const headers: Record<string, string> = { authorization: `Bearer ${stack?.secrets.RELAY_TOKEN}` };
  if (init.session) headers["x-relay-session"] = init.session;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (init.body) headers["content-length"] = String(init.body.byteLength);
  return fetch(`${base}/relay/v1${path}`, {
    method: init.method,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
}

const login = (username: string, password: string, sourceIp: string) =>
  relayCall("/logins", {
    method: "POST",
    json: { username, method: "password", password, sourceIp, relayId: "e2e" },
  });

async function upload(session: string, name: string, data: Uint8Array<ArrayBuffer>) {
  const created = await relayCall("/uploads", { method: "POST", session, json: { name } });
  expect(created.status).toBe(201);
  const { uploadId } = (await created.json()) as { uploadId: string };
  const part = await relayCall(`/uploads/${uploadId}/parts/1`, { method: "PUT", session, body: data });
  expect(part.status).toBe(200);
  const etag = (await part.json()) as { partNumber: number; etag: string };
  const done = await relayCall(`/uploads/${uploadId}/complete`, {
    method: "POST",
    session,
    json: { size: data.byteLength, sha256: createHash("sha256").update(data).digest("hex"), parts: [etag] },
  });
  expect(done.status).toBe(200);
}

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, name) });

describe("files and access", () => {
  it("lists received files, downloads originals, and manages keys, refused logins and bans", {
    timeout: 180_000,
  }, async () => {
    // Set up, sign in and add a delivery.
    await page.goto(base);
    await page.getByRole("heading", { name: "Set up Sluice" }).waitFor();
    await page.getByLabel("Account name").fill(admin.accountName);
    await page.getByLabel("First name").fill(admin.firstName);
    await page.getByLabel("Last name").fill(admin.lastName);
    await page.getByLabel("Work email").fill(admin.email);
    await page.getByLabel("Password", { exact: true }).fill(admin.password);
    await page.getByLabel("Confirm password").fill(admin.password);
    await page.getByLabel("Setup token").fill(setupToken);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Integration", level: 1 }).waitFor();
    await page.getByText("No address or username is banned.").waitFor();

    await page.getByRole("button", { name: "New Inbound" }).click();
    const create = page.getByRole("dialog", { name: "New inbound file delivery" });
    await create.getByLabel("Name (optional)").fill("HR feed");
    await create.getByRole("button", { name: "+ Add to my account" }).click();
    const ready = page.getByRole("dialog", { name: "HR feed is ready" });
    await ready.waitFor();
    const username = await ready.getByLabel("Username", { exact: true }).inputValue();
    const password = await ready.getByLabel("Password", { exact: true }).inputValue();
    await ready.getByRole("button", { name: "Done" }).click();

    // View files before anything arrived: the empty state tells IT how to upload.
    const row = page.getByRole("row", { name: /HR feed/ });
    await row.getByRole("button", { name: "Actions for HR feed" }).click();
    await page.getByRole("menuitem", { name: "View files" }).click();
    await page.getByRole("heading", { name: "HR feed", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/integration\/file-delivery\/[^/]+\/files$/);
    await page.getByText("No files received yet").waitFor();
    await page.getByText(new RegExp(`sftp -P \\d+ ${username}@127\\.0\\.0\\.1`)).waitFor();
    await page.getByText("put users.csv").waitFor();
    await shot("sluice-files-empty.png");

    // IT sends a file through the relay; it shows up with its size, and downloads byte for byte.
    const rows = ["Email,First Name,Last Name,Department"];
    rows.push("not-an-email,Broken,Row,Engineering");
    for (let i = 0; i < 60; i++) rows.push(`person${i}@globex.example,Person,Number ${i},Engineering`);
    const data = new TextEncoder().encode(`${rows.join("\r\n")}\r\n`);
    const granted = await login(username, password, "198.51.100.20");
    expect(granted.status).toBe(200);
    const { session } = (await granted.json()) as { session: string };
    await upload(session, "users.csv", data);
    await upload(session, "users test.csv", data.slice(0, 200));

    await page.getByRole("button", { name: "Refresh" }).click();
    const fileRow = page.getByRole("row", { name: /^users\.csv/ });
    await fileRow.waitFor();
    await fileRow.getByText(formatBytes(data.byteLength), { exact: true }).waitFor();
    await fileRow.getByText("198.51.100.20").waitFor();
    expect(await fileRow.locator(".badge").textContent(), "a file status badge is shown").toMatch(
      /Queued|Importing|Applied|Tested|Rejected|Held for approval|Failed/,
    );
    const testRow = page.getByRole("row", { name: /users test\.csv/ });
    await testRow.getByText("Test", { exact: true }).waitFor();
    await testRow.getByText("200 bytes", { exact: true }).waitFor();
    await page.getByText("All 2 files shown.").waitFor();
    // The timeline picture redraws with the new files: one tick per file.
    await expect.poll(() => page.locator("figure.timeline line.timeline-file").count()).toBe(2);
    expect(await page.locator("figure.timeline svg").getAttribute("aria-label")).toMatch(
      /^2 files in the last 14 days/,
    );
    await shot("sluice-files.png");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      fileRow.getByRole("link", { name: "Download users.csv" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("users.csv");
    const downloaded = await readFile((await download.path()) as string);
    expect(Buffer.compare(downloaded, Buffer.from(data))).toBe(0);

    // The import report: once applied, its counts and the row error, with the errors CSV to download.
    await fileRow.getByRole("button", { name: "Report for users.csv" }).click();
    const report = page.getByRole("dialog", { name: "Import report: users.csv" });
    await report.getByText("Applied", { exact: true }).waitFor({ timeout: 60_000 });
    const count = (label: string) =>
      report
        .locator(".report-count")
        .filter({ has: page.getByText(label, { exact: true }) })
        .locator("dd");
    expect(await count("Rows").textContent()).toBe("61");
    expect(await count("Created").textContent()).toBe("60");
    expect(await count("Errors").textContent()).toBe("1");
    await report.getByText("UTF-8", { exact: false }).first().waitFor();
    await report.getByText("Comma", { exact: true }).waitFor();
    const errorRow = report.getByRole("table", { name: "Row errors" }).getByRole("row", { name: /not-an-email/ });
    await errorRow.getByText("is not an email address").waitFor();
    await errorRow.getByRole("cell", { name: "Email", exact: true }).waitFor();
    await report.getByLabel("Column").selectOption("Email");
    await errorRow.waitFor();
    await report.getByLabel("Column").selectOption("All columns");
    await errorRow.waitFor();
    await shot("sluice-file-report.png");
    const [errorsCsv] = await Promise.all([
      page.waitForEvent("download"),
      report.getByRole("link", { name: "Download errors (CSV)" }).click(),
    ]);
    expect(await readFile((await errorsCsv.path()) as string, "utf8")).toMatch(/not-an-email/);
    expect(await report.getByRole("button", { name: "Approve" }).count(), "not held").toBe(0);
    await report.getByRole("button", { name: "Close" }).last().click();
    await report.waitFor({ state: "detached" });

    // A refused login: the client learns nothing, the admin sees the real reason.
    expect((await login(username, "not the password", "203.0.113.7")).status).toBe(403);

    // Configure › Connection: public keys, recent refused logins, and what a new allow list would block.
    await page.getByRole("button", { name: "Configure" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Inbound File Delivery" });
    await edit.getByRole("tab", { name: "Connection" }).click();

    const refused = edit.getByRole("table", { name: /Recent refused logins/ });
    const refusedRow = refused.getByRole("row", { name: /203\.0\.113\.7/ });
    await refusedRow.getByText("wrong password").waitFor();
    await refusedRow.getByText("Password", { exact: true }).waitFor();

    await edit.getByText("This list allows all 2 addresses that logged in or tried to recently.").waitFor();
    await edit.getByRole("button", { name: "+ Add address" }).click();
    await edit.getByLabel("Allowed IP address 1", { exact: true }).fill("::ffff:198.51.100.0/120");
    await edit.getByText("This list would block 1 of the 2 addresses that logged in or tried to recently.").waitFor();
    await edit.getByLabel("Allowed IP address 1", { exact: true }).fill("203.0.113.0/24");
    await edit
      .getByText(
        "This list would block 1 of the 2 addresses that logged in or tried to recently, including 1 that logged in successfully.",
      )
      .waitFor();
    await edit.getByRole("listitem").filter({ hasText: "198.51.100.20" }).getByText("Logged in successfully").waitFor();

    // Public keys: a bad line is refused beside the field; a real key shows its fingerprint.
    const keyField = edit.getByLabel("Add a public key");
    await keyField.fill("ssh-ed25519 not-base64!!");
    await edit.getByRole("button", { name: "Add key" }).click();
    await edit.getByText("the key data is not base64").waitFor();
    expect(await keyField.getAttribute("aria-invalid")).toBe("true");

    const keyPath = join(work, "id_ed25519");
    const keygen = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "it@globex.example", "-f", keyPath]);
    expect(keygen.status).toBe(0);
    const fingerprint = spawnSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${keyPath}.pub`], {
      encoding: "utf8",
    }).stdout.split(" ")[1] as string;
    expect(fingerprint).toMatch(/^SHA256:/);
    await keyField.fill((await readFile(`${keyPath}.pub`, "utf8")).trim());
    await edit.getByRole("button", { name: "Add key" }).click();
    const keys = edit.getByRole("table", { name: "Registered public keys" });
    const keyRow = keys.getByRole("row", { name: /it@globex\.example/ });
    await keyRow.getByText(fingerprint, { exact: true }).waitFor();
    await keyRow.getByText("ssh-ed25519", { exact: true }).waitFor();
    expect(await keyField.inputValue()).toBe("");

    // The same key again is a duplicate.
    await keyField.fill((await readFile(`${keyPath}.pub`, "utf8")).trim());
    await edit.getByRole("button", { name: "Add key" }).click();
    await edit.getByText("This key is already registered for this delivery").waitFor();
    await keyField.fill("");
    await edit.getByRole("tab", { name: "Connection" }).focus();
    await shot("sluice-connection-access.png");
    await edit.getByRole("heading", { name: "Public keys" }).scrollIntoViewIfNeeded();
    await shot("sluice-connection-keys.png");
    await edit.getByRole("heading", { name: "Recent refused logins" }).scrollIntoViewIfNeeded();
    await refused.scrollIntoViewIfNeeded();
    await shot("sluice-connection-logins.png");

    // Remove asks first; Escape closes only the confirmation, not the dialog behind it.
    await keyRow.getByRole("button", { name: "Remove key it@globex.example" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Remove this key?" });
    await confirm.waitFor();
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    expect(await edit.isVisible()).toBe(true);
    await keyRow.getByRole("button", { name: "Remove key it@globex.example" }).click();
    await confirm.getByRole("button", { name: "Remove key" }).click();
    await confirm.waitFor({ state: "detached" });
    await edit.getByText("No keys yet: the password is the only way in.").waitFor();
    expect(await edit.isVisible()).toBe(true);

    // Cancel: the allow list was never saved.
    await edit.getByRole("button", { name: "Cancel" }).click();
    await edit.waitFor({ state: "detached" });

    // Repeated failures ban the address; the ban shows on File Delivery and can be lifted.
    for (let i = 0; i < 10; i++) await login(username, `guess ${i}`, "192.0.2.66");
    await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "File Delivery" }).click();
    await page.getByRole("heading", { name: "Integration", level: 1 }).waitFor();
    const bans = page.getByRole("region", { name: "Login bans" });
    const ban = bans.getByRole("listitem").filter({ hasText: "192.0.2.66" });
    await ban.getByText(/Banned until/).waitFor();
    await shot("sluice-bans.png");
    await ban.getByRole("button", { name: "Lift ban on 192.0.2.66" }).click();
    await page.getByRole("alertdialog", { name: "Lift this ban?" }).getByRole("button", { name: "Lift ban" }).click();
    await page.getByText("Ban on 192.0.2.66 lifted.").waitFor();
    await ban.waitFor({ state: "detached" });

    // Clicking a delivery's name opens its files too.
    await page.getByRole("link", { name: "HR feed" }).click();
    await page.getByRole("heading", { name: "HR feed", level: 1 }).waitFor();
    await page.getByRole("row", { name: /^users\.csv/ }).waitFor();

    // People: the imported people, searchable.
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "People" }).click();
    await page.getByRole("heading", { name: "People", level: 1 }).waitFor();
    await page.getByRole("row", { name: /person0@globex\.example/ }).waitFor();
    await page.getByLabel("Search people").fill("person42@");
    await page
      .getByRole("row", { name: /person42@globex\.example/ })
      .getByText("Number 42")
      .waitFor();
    await page.getByRole("row", { name: /person0@globex\.example/ }).waitFor({ state: "detached" });
    await page.getByText("1 person shown.").waitFor();
    expect(await page.getByRole("row").count(), "the header and one person").toBe(2);
    await shot("sluice-people.png");

    // Downloads: the public specifications and templates.
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Downloads" }).click();
    const spec = page.getByRole("link", { name: "Open User Import Specification" });
    const specRes = await fetch(new URL((await spec.getAttribute("href")) as string, base));
    expect(specRes.status).toBe(200);
    expect(specRes.headers.get("content-type")).toMatch(/text\/html/);
    const template = page.getByRole("link", { name: "Download project template (CSV)" });
    expect((await fetch(new URL((await template.getAttribute("href")) as string, base))).status).toBe(200);

    expect(consoleProblems.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
