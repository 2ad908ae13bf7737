/**
 * The admin UI end to end: the real Worker under `wrangler dev` (workerd, local
 * D1) serving the built SPA, driven by a real Chromium through playwright-core.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../test/browser.ts";
import { type Stack, startStack } from "../test/stack.ts";

const SCREENSHOTS = process.env.SLUICE_SCREENSHOTS ?? tmpdir();

const admin = {
  accountName: "Acme Ltd",
  firstName: "Ada",
  lastName: "Lovelace",
  email: "ada@acme.example",
  password: "correct horse battery staple",
};
const setupToken = `setup-${randomBytes(12).toString("hex")}`;

let stack: Stack | undefined;
let profile = "";
let base = "";
let context: BrowserContext | undefined;
let page: Page;
const consoleProblems: string[] = [];

beforeAll(async () => {
  // The shared stack builds web/dist when it is missing, applies migrations to a fresh D1 and runs `wrangler dev`.
  stack = await startStack({ vars: { SETUP_TOKEN: setupToken } });
  base = stack.url;
  ({ context, page, profile } = await launchBrowser({
    viewport: { width: 1280, height: 800 },
    permissions: ["clipboard-read", "clipboard-write"],
  }));
  page.setDefaultTimeout(10_000);
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleProblems.push(msg.text());
  });
  page.on("pageerror", (err) => consoleProblems.push(String(err)));
});

afterAll(async () => {
  await context?.close().catch(() => {});
  await stack?.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const inputValue = (label: string | RegExp) => page.getByRole("dialog").getByLabel(label, { exact: true }).inputValue();

describe("admin web UI", () => {
  it("serves the SPA with a strict CSP and no inline scripts", async () => {
    const res = await fetch(`${base}/admin/integration/file-delivery`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toContain("<style");
  });

  it("runs first-run setup, manages a delivery's connection and creates an API key", { timeout: 120_000 }, async () => {
    // First-run setup, then sign in.
    await page.goto(base);
    await expect.poll(() => page.getByRole("heading", { name: "Set up Sluice" }).isVisible()).toBe(true);
    await page.getByLabel("Account name").fill(admin.accountName);
    await page.getByLabel("First name").fill(admin.firstName);
    await page.getByLabel("Last name").fill(admin.lastName);
    await page.getByLabel("Work email").fill(admin.email);
    await page.getByLabel("Password", { exact: true }).fill(admin.password);
    await page.getByLabel("Confirm password").fill(admin.password);
    await page.getByLabel("Setup token").fill(setupToken);
    await page.getByRole("button", { name: "Create account" }).click();

    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.getByLabel("Email").inputValue()).toBe(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    const header = page.getByRole("banner");
    await header.getByText("Ada Lovelace").waitFor();
    await header.getByText(admin.accountName).waitFor();
    await page.getByRole("heading", { name: "Integration", level: 1 }).waitFor();
    await page.getByText("No inbound deliveries yet").waitFor();

    // Escape closes a dialog and gives focus back to the button that opened it.
    const newInbound = page.getByRole("button", { name: "New Inbound" });
    await newInbound.click();
    await page.getByRole("dialog", { name: "New inbound file delivery" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    expect(await newInbound.evaluate((el) => el === document.activeElement)).toBe(true);

    // New Inbound: a User Sync delivery, with its connection details shown at once.
    await newInbound.click();
    const create = page.getByRole("dialog", { name: "New inbound file delivery" });
    expect(await create.getByRole("radio", { name: /User Sync/ }).isChecked()).toBe(true);
    await create.getByLabel("Name (optional)").fill("Nightly HR export");
    await create.getByRole("button", { name: "+ Add to my account" }).click();
    await page.getByRole("dialog", { name: "Nightly HR export is ready" }).waitFor();
    const sftpUrl = await inputValue("SFTP URL");
    const username = await inputValue("Username");
    const password = await inputValue("Password");
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-created.png") });
    expect(sftpUrl).toMatch(/^sftp:\/\//);
    expect(username.length).toBeGreaterThan(3);
    expect(password.length).toBeGreaterThanOrEqual(16);
    await page.getByRole("button", { name: "Done" }).click();

    const row = page.getByRole("row", { name: /Nightly HR export/ });
    await row.getByText(username, { exact: true }).waitFor();
    await row.getByText("User Sync").waitFor();
    await row.getByText("Enabled").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-deliveries.png") });

    // The Actions menu works from the keyboard and hands focus back to its button.
    const actions = row.getByRole("button", { name: "Actions for Nightly HR export" });
    await actions.focus();
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Configure");
    await page.keyboard.press("End");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Delete");
    await page.keyboard.press("Escape");
    await page.getByRole("menu").waitFor({ state: "detached" });
    expect(await actions.evaluate((el) => el === document.activeElement)).toBe(true);

    // Configure › Connection: reveal the password.
    await row.getByRole("button", { name: "Actions for Nightly HR export" }).click();
    await page.getByRole("menuitem", { name: "Configure" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Inbound File Delivery" });
    await edit.waitFor();
    expect(await edit.getByRole("radio", { name: /Upsert/ }).isChecked()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-notifications.png") });
    await edit.getByRole("tab", { name: "Connection" }).click();
    expect(await edit.getByLabel("Username", { exact: true }).inputValue()).toBe(username);
    await edit.getByRole("button", { name: "Reveal" }).click();
    await expect.poll(() => edit.getByLabel("Password", { exact: true }).inputValue()).toBe(password);

    // Allowed IP Addresses: a good range and a bad entry; the Worker's error shows beside the bad one.
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
    expect(await edit.getByLabel("Allowed IP address 1", { exact: true }).getAttribute("aria-invalid")).toBeNull();
    await edit.getByText("Allowed IP Addresses has 1 invalid entry").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-connection-error.png") });

    // Fix it and Update: the dialog closes and the list is saved in canonical form.
    await second.fill("2001:db8::/32");
    await secondRow.getByText("IPv6 block (/32)").waitFor();
    await edit.getByRole("button", { name: "Update" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText("Nightly HR export updated.").waitFor();

    await row.getByRole("button", { name: "Actions for Nightly HR export" }).click();
    await page.getByRole("menuitem", { name: "Configure" }).click();
    await edit.getByRole("tab", { name: "Connection" }).click();
    expect(await edit.getByLabel("Allowed IP address 1", { exact: true }).inputValue()).toBe("10.0.0.1-10.0.0.50");
    expect(await edit.getByLabel("Allowed IP address 2", { exact: true }).inputValue()).toBe("2001:db8::/32");
    await edit.getByRole("button", { name: "Reveal" }).click();
    await expect.poll(() => edit.getByLabel("Password", { exact: true }).inputValue()).toBe(password);
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-connection.png") });
    await page.keyboard.press("Escape");
    await edit.waitFor({ state: "detached" });

    // Regenerate credentials: confirm, then a different password.
    await row.getByRole("button", { name: "Actions for Nightly HR export" }).click();
    await page.getByRole("menuitem", { name: "Regenerate credentials" }).click();
    await page
      .getByRole("alertdialog", { name: "Regenerate credentials?" })
      .getByRole("button", { name: "Regenerate" })
      .click();
    await page.getByRole("dialog", { name: "New credentials" }).waitFor();
    const newPassword = await inputValue("Password");
    expect(newPassword.length).toBeGreaterThanOrEqual(16);
    expect(newPassword).not.toBe(password);
    expect(await inputValue("Username")).toBe(username);
    await page.getByRole("button", { name: "Done" }).click();

    // API keys: create one and see it once.
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("heading", { name: "API keys", level: 1 }).waitFor();
    await page.getByText("No API keys yet").waitFor();
    await page.getByRole("button", { name: "Create API key" }).click();
    const keyDialog = page.getByRole("dialog", { name: "Create API key" });
    await keyDialog.getByLabel("Name").fill("HR system nightly export");
    await keyDialog.getByRole("checkbox", { name: /SCIM/ }).check();
    await keyDialog.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("dialog", { name: "API key created" });
    await shown.waitFor();
    const key = await shown.getByRole("textbox", { name: /API key/ }).inputValue();
    expect(key.length).toBeGreaterThan(20);
    await shown.getByRole("button", { name: "I have copied the key" }).click();
    const keyRow = page.getByRole("row", { name: /HR system nightly export/ });
    await keyRow.getByText("Active").waitFor();
    await keyRow.getByText("SCIM").waitFor();
    expect(await page.content()).not.toContain(key);
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-api-keys.png") });

    // Sign out from the header: back to the sign-in page, and the session is gone.
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();

    expect(consoleProblems.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
