/**
 * An inbound delivery's whole journey on the real local stack: `wrangler dev`
 * serving the built SPA to Chromium (playwright-core), and the SFTP relay fed
 * by Debian's OpenSSH `sftp` with the credentials the admin UI revealed. The
 * imports are followed, reported and approved in the browser; screenshots of
 * the key screens are kept as test artifacts.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/lib/stack.ts";
import { launchBrowser } from "../test/browser.ts";
import { sftp } from "../test/sftp-client.ts";
import { type Stack, startStack } from "../test/stack.ts";

/** Kept after the run (test-artifacts/ is git-ignored) unless SLUICE_SCREENSHOTS points elsewhere. */
const SCREENSHOTS = process.env.SLUICE_SCREENSHOTS ?? join(ROOT, "test-artifacts", "screenshots");
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const admin = {
  accountName: "Initech",
  firstName: "Joan",
  lastName: "Clarke",
  email: "joan@initech.example",
  password: "a journey of many files",
};
const setupToken = `setup-${randomBytes(12).toString("hex")}`;
const delivery = "HR nightly";
const people = Array.from({ length: 40 }, (_, i) => `person${i}@initech.example`);
/** A Role cell a spreadsheet would run as a formula: it must come back escaped in the errors CSV. */
const formula = "=cmd|' /C calc'!A0";

let stack: Stack | undefined;
let profile = "";
let work = "";
let base = "";
let context: BrowserContext | undefined;
let page: Page;
const consoleProblems: string[] = [];
const screenshots: string[] = [];
/** What the Connection tab revealed and copied: the only credentials `sftp` is given. */
let login = { port: 0, username: "", password: "" };

beforeAll(async () => {
  stack = await startStack({ vars: { SETUP_TOKEN: setupToken }, relay: true });
  base = stack.url;
  ({ context, page, profile } = await launchBrowser({
    viewport: { width: 1280, height: 860 },
    permissions: ["clipboard-read", "clipboard-write"],
  }));
  work = await mkdtemp(join(tmpdir(), "sluice-journey-"));
  await mkdir(SCREENSHOTS, { recursive: true });
  page.setDefaultTimeout(15_000);
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

async function shot(name: string) {
  const path = join(SCREENSHOTS, name);
  await page.screenshot({ path });
  screenshots.push(path);
}

const clipboard = () => page.evaluate(() => navigator.clipboard.readText());

/** Sends `name` from the work directory with OpenSSH `sftp`, as IT would. */
async function put(name: string, rows: string[]) {
  await writeFile(join(work, name), `${rows.join("\r\n")}\r\n`);
  const res = await sftp({ ...login, batch: [`put ${name}`], cwd: work });
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
}

/** The Files view's row for `name`, once Refresh shows it (the page then follows its import on its own). */
async function arrived(name: string) {
  await page.getByRole("button", { name: "Refresh" }).click();
  const row = page.getByRole("row", { name: new RegExp(`^${name.replace(".", "\\.")}`) });
  await row.waitFor();
  await row.getByText("127.0.0.1", { exact: true }).waitFor();
  return row;
}

/** One of the report dialog's counts, by its label. */
const count = (report: Locator, label: string) =>
  report
    .locator(".report-count")
    .filter({ has: page.getByText(label, { exact: true }) })
    .locator("dd")
    .textContent();

/** The arrivals timeline has redrawn with `n` files (it keeps the old picture while it reloads). */
async function timelineShows(n: number) {
  await expect.poll(() => page.locator("figure.timeline line.timeline-file").count()).toBe(n);
  await page.getByText(`${n} ${n === 1 ? "file" : "files"} in the last 14 days;`).waitFor();
}

describe("an inbound delivery from setup to an approved full sync over SFTP", () => {
  it("sets up the account and a User Sync delivery, with a schedule, an allow list and revealed credentials", {
    timeout: 180_000,
  }, async () => {
    await page.goto(base);
    await page.getByRole("heading", { name: "Set up Sluice" }).waitFor();
    await page.getByLabel("Account name").fill(admin.accountName);
    await page.getByLabel("First name").fill(admin.firstName);
    await page.getByLabel("Last name").fill(admin.lastName);
    await page.getByLabel("Work email").fill(admin.email);
    await page.getByLabel("Password", { exact: true }).fill(admin.password);
    await page.getByLabel("Confirm password").fill(admin.password);
    await page.getByLabel("Setup token").fill(setupToken);
    await shot("journey-01-setup.png");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Integration", level: 1 }).waitFor();

    await page.getByRole("button", { name: "New Inbound" }).click();
    const create = page.getByRole("dialog", { name: "New inbound file delivery" });
    expect(await create.getByRole("radio", { name: /User Sync/ }).isChecked()).toBe(true);
    await create.getByLabel("Name (optional)").fill(delivery);
    await create.getByRole("button", { name: "+ Add to my account" }).click();
    await page
      .getByRole("dialog", { name: `${delivery} is ready` })
      .getByRole("button", { name: "Done" })
      .click();
    const row = page.getByRole("row", { name: new RegExp(delivery) });
    await row.getByText("User Sync").waitFor();

    // Notifications: a file expected every day by 06:00, with half an hour's grace.
    await row.getByRole("button", { name: `Actions for ${delivery}` }).click();
    await page.getByRole("menuitem", { name: "Configure" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Inbound File Delivery" });
    await edit.getByLabel("Expected File Frequency").selectOption("daily");
    await edit.getByLabel("Expected by").fill("06:00");
    await edit.getByLabel("Grace period", { exact: true }).fill("30");
    await edit
      .getByText("A file is expected every day by 06:00; an alert goes out if none has arrived 30 minutes later.")
      .waitFor();

    // Connection: a range, and a bad entry the Worker refuses beside its row.
    await edit.getByRole("tab", { name: "Connection" }).click();
    await edit.getByRole("button", { name: "+ Add address" }).click();
    await edit.getByLabel("Allowed IP address 1", { exact: true }).fill("10.0.0.1-10.0.0.50");
    await edit.getByRole("button", { name: "+ Add address" }).click();
    const second = edit.getByLabel("Allowed IP address 2", { exact: true });
    await second.fill("10.0.0.300");
    await edit.getByRole("button", { name: "Update" }).click();
    const secondRow = edit
      .getByRole("listitem")
      .filter({ has: page.getByLabel("Allowed IP address 2", { exact: true }) });
    await secondRow.getByText('"10.0.0.300" is not an IP address').waitFor();
    expect(await second.getAttribute("aria-invalid")).toBe("true");
    await edit.getByText("Allowed IP Addresses has 1 invalid entry").waitFor();
    await shot("journey-02-allowed-ips-rejected.png");

    // The fix lets the relay's own address in: `sftp` connects from 127.0.0.1.
    await second.fill("127.0.0.0/8");
    await secondRow.getByText("IPv4 block (/8)").waitFor();
    await edit.getByRole("button", { name: "Update" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText(new RegExp(`^${delivery} updated\\. Next file expected by`)).waitFor();

    // Reveal the password and copy what IT needs: the URL, the username and the password.
    await row.getByRole("button", { name: `Actions for ${delivery}` }).click();
    await page.getByRole("menuitem", { name: "Configure" }).click();
    expect(await edit.getByLabel("Expected File Frequency").inputValue()).toBe("daily");
    await edit.getByRole("tab", { name: "Connection" }).click();
    expect(await edit.getByLabel("Allowed IP address 1", { exact: true }).inputValue()).toBe("10.0.0.1-10.0.0.50");
    expect(await edit.getByLabel("Allowed IP address 2", { exact: true }).inputValue()).toBe("127.0.0.0/8");
    const passwordField = edit.getByLabel("Password", { exact: true });
    expect(await passwordField.getAttribute("type")).toBe("password");
    await edit.getByRole("button", { name: "Reveal" }).click();
    await expect.poll(() => passwordField.getAttribute("type")).toBe("text");
    const revealed = await passwordField.inputValue();
    expect(revealed.length).toBeGreaterThanOrEqual(16);

    await edit.getByRole("button", { name: "Copy SFTP URL" }).click();
    await expect.poll(clipboard).toMatch(/^sftp:\/\//);
    const url = new URL(await clipboard());
    await edit.getByRole("button", { name: "Copy Username" }).click();
    await expect.poll(clipboard).toBe(await edit.getByLabel("Username", { exact: true }).inputValue());
    const username = await clipboard();
    await edit.getByRole("button", { name: "Copy Password" }).click();
    await expect.poll(clipboard).toBe(revealed);
    await edit.getByText("Password copied").waitFor();
    await shot("journey-03-connection-revealed.png");
    login = { port: Number(url.port), username, password: await clipboard() };
    expect(url.hostname).toBe("127.0.0.1");
    expect(login.port, "the Connection tab names the relay's port").toBe(stack?.relay?.port);
    await page.keyboard.press("Escape");
    await edit.waitFor({ state: "detached" });
    await shot("journey-04-deliveries.png");
  });

  it("applies a CSV sent with OpenSSH sftp and reports its bad rows, escaped, in the errors CSV", {
    timeout: 180_000,
  }, async () => {
    await page
      .getByRole("row", { name: new RegExp(delivery) })
      .getByRole("button", { name: `Actions for ${delivery}` })
      .click();
    await page.getByRole("menuitem", { name: "View files" }).click();
    await page.getByRole("heading", { name: delivery, level: 1 }).waitFor();
    await page.getByText("No files received yet").waitFor();
    await page.getByText(`sftp -P ${login.port} ${login.username}@127.0.0.1`).waitFor();

    // Row 1 is the header, as a spreadsheet numbers it: the bad rows are 22 and 43.
    const header = "Email,First Name,Last Name,Department,Role";
    const person = (email: string, i: number) => `${email},Person,Number ${i},Engineering,Claimant`;
    await put("users.csv", [
      header,
      ...people.slice(0, 20).map(person),
      "not-an-email,Broken,Row,Engineering,Claimant",
      ...people.slice(20).map((p, i) => person(p, i + 20)),
      `mallory@initech.example,Mallory,Formula,Finance,${formula}`,
    ]);

    const fileRow = await arrived("users.csv");
    await fileRow.getByText("Applied", { exact: true }).waitFor({ timeout: 90_000 });
    await timelineShows(1);
    await shot("journey-05-files-applied.png");

    await fileRow.getByRole("button", { name: "Report for users.csv" }).click();
    const report = page.getByRole("dialog", { name: "Import report: users.csv" });
    await report.getByText("Applied", { exact: true }).waitFor();
    expect(await count(report, "Rows")).toBe("42");
    expect(await count(report, "Created")).toBe("40");
    expect(await count(report, "Errors")).toBe("2");
    const errors = report.getByRole("table", { name: "Row errors" });
    await errors.getByRole("row", { name: /^22 Email .*not-an-email/ }).waitFor();
    await errors
      .getByRole("row", { name: /^43 Role / })
      .getByText(formula, { exact: true })
      .waitFor();
    await shot("journey-06-report.png");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      report.getByRole("link", { name: "Download errors (CSV)" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("users-errors.csv");
    const lines = (await readFile((await download.path()) as string, "utf8")).split("\r\n");
    expect(lines[0]).toBe("Row,Column,Reason,Value");
    expect(lines[1]).toBe("22,Email,is not an email address,not-an-email");
    // The formula comes back behind a quote, so a spreadsheet shows it as text instead of running it.
    expect(lines[2]).toBe(`43,Role,"must be one of Claimant, Approver, Finance, Admin",'${formula}`);
    expect(lines.slice(3)).toEqual([""]);
    await report.getByRole("button", { name: "Close" }).last().click();
    await report.waitFor({ state: "detached" });
  });

  it("holds a full sync that would deactivate most people until it is approved in the browser", {
    timeout: 180_000,
  }, async () => {
    // Full sync, held when it would deactivate more than a fifth of the active people.
    await page.getByRole("button", { name: "Configure" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Inbound File Delivery" });
    await edit.getByRole("radio", { name: /Full sync/ }).check();
    await edit.getByLabel("Full sync threshold (%)").fill("20");
    await edit.getByRole("button", { name: "Update" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText(`${delivery} updated.`, { exact: true }).waitFor();

    // The next file names only 5 of the 40 people: 35 of the 41 active (the admin is kept) would go.
    await put("full.csv", [
      "Email,First Name,Last Name",
      ...people.slice(0, 5).map((p, i) => `${p},Person,Number ${i}`),
    ]);
    const fileRow = await arrived("full.csv");
    await fileRow.getByText("Held for approval", { exact: true }).waitFor({ timeout: 90_000 });
    await timelineShows(2);
    await shot("journey-07-files-held.png");

    await fileRow.getByRole("button", { name: "Report for full.csv" }).click();
    const report = page.getByRole("dialog", { name: "Import report: full.csv" });
    await report.getByText("This full sync would deactivate 35 records, above the delivery's threshold.").waitFor();
    const approve = report.getByRole("button", { name: "Approve" });
    await approve.waitFor();
    await shot("journey-08-report-held.png");
    await approve.click();
    const confirm = page.getByRole("alertdialog", { name: "Approve this file?" });
    await confirm.getByText("35 deactivations").waitFor();
    await confirm.getByRole("button", { name: "Approve and apply" }).click();
    await confirm.waitFor({ state: "detached" });
    await page.getByText("full.csv approved: its import resumes.").waitFor();

    // The report and the file list both follow the resumed import until it is applied.
    await report.getByText("Applied", { exact: true }).waitFor({ timeout: 90_000 });
    expect(await approve.count(), "no longer held").toBe(0);
    expect(await count(report, "Unchanged")).toBe("5");
    expect(await count(report, "Deactivated")).toBe("35");
    await shot("journey-09-report-approved.png");
    await report.getByRole("button", { name: "Close" }).last().click();
    await report.waitFor({ state: "detached" });
    await fileRow.getByText("Applied", { exact: true }).waitFor({ timeout: 30_000 });

    // People: the 35 left out are inactive, the 5 named and the admin are not.
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "People" }).click();
    await page.getByRole("heading", { name: "People", level: 1 }).waitFor();
    await page.getByLabel("Search people").fill("person7@");
    await page
      .getByRole("row", { name: /person7@initech\.example/ })
      .getByText("Inactive")
      .waitFor();
    await page.getByLabel("Search people").fill("person3@");
    await page
      .getByRole("row", { name: /person3@initech\.example/ })
      .getByText("Active", { exact: true })
      .waitFor();
    await page.getByLabel("Search people").fill("");
    await page.getByRole("row", { name: /person39@initech\.example/ }).waitFor();
    await shot("journey-10-people.png");

    const listed = await page.request.get(`${base}/api/v1/people?limit=200`);
    expect(listed.status()).toBe(200);
    const all = ((await listed.json()) as { people: { email: string; active: boolean }[] }).people;
    const inactive = all.filter((p) => !p.active).map((p) => p.email);
    expect(inactive.sort()).toEqual(people.slice(5).sort());
    expect(all.find((p) => p.email === admin.email)?.active).toBe(true);

    expect(consoleProblems.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });

  it("keeps a PNG screenshot of each key screen", async () => {
    expect(screenshots).toHaveLength(10);
    for (const path of screenshots) {
      const bytes = await readFile(path);
      expect((await stat(path)).size, path).toBeGreaterThan(1000);
      expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `${path} is a PNG`).toBe(true);
    }
  });
});
