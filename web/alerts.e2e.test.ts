/**
 * Expected File Frequency in the admin UI, end to end: the real Worker under
 * `wrangler dev` serving the built SPA, driven by Chromium through
 * playwright-core. The cron is replayed for an instant after the deadline
 * (`/__scheduled`, development only) and the alert is read in the Outbox page.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../test/browser.ts";
import { http, type Stack, startStack } from "../test/stack.ts";

const SCREENSHOTS = process.env.SLUICE_SCREENSHOTS ?? tmpdir();

const admin = { email: "grace@alerts.example", password: "alerts e2e admin password" };

let stack: Stack | undefined;
let profile = "";
let base = "";
let context: BrowserContext | undefined;
let page: Page;
const consoleProblems: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  base = stack.url;
  ({ context, page, profile } = await launchBrowser({ viewport: { width: 1280, height: 800 } }));
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

describe("Expected File Frequency in the admin UI", () => {
  it("sets a Daily schedule, shows the deadline, then Overdue and the alert in the Outbox", {
    timeout: 120_000,
  }, async () => {
    // An account in Europe/London with one delivery, made over the API; the browser signs in.
    const setup = await http(base, "POST", "/api/v1/setup", {
      json: {
        accountName: "Alerts Ltd",
        timeZone: "Europe/London",
        admin: { ...admin, firstName: "Grace", lastName: "Hopper" },
      },
    });
    expect(setup.status).toBe(201);
    const login = await http(base, "POST", "/api/v1/sessions", { json: admin });
    const session = {
      cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
      "x-csrf-token": login.body.csrfToken,
    };
    const created = await http(base, "POST", "/api/v1/deliveries", {
      headers: session,
      json: { kind: "user_sync", name: "Nightly HR export" },
    });
    expect(created.status).toBe(201);
    const deliveryId = created.body.delivery.id as string;

    await page.goto(base);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Integration", level: 1 }).waitFor();

    const row = page.getByRole("row", { name: /Nightly HR export/ });
    await row.getByText("Not monitored").waitFor();
    await row.getByText("No files yet").waitFor();

    // Configure › Notifications: Daily with the expected-by time cleared is refused beside that field.
    await row.getByRole("button", { name: "Actions for Nightly HR export" }).click();
    await page.getByRole("menuitem", { name: "Configure" }).click();
    const edit = page.getByRole("dialog", { name: "Edit Inbound File Delivery" });
    await edit.waitFor();
    const frequency = edit.getByLabel("Expected File Frequency");
    expect(await frequency.inputValue()).toBe("none");
    expect(await edit.getByLabel("Expected by").isDisabled()).toBe(true);
    await edit.getByText("Times are in the account's time zone, Europe/London.").waitFor();
    await edit.getByText(/counts as received, Test files too/).waitFor();

    await frequency.selectOption("daily");
    const expectedBy = edit.getByLabel("Expected by");
    await expectedBy.fill("");
    await edit.getByRole("button", { name: "Update" }).click();
    const expectedByField = edit.locator(".field").filter({ has: page.getByLabel("Expected by") });
    await expectedByField.getByText("Enter the time files are expected by").waitFor();
    expect(await expectedBy.getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => expectedBy.evaluate((el) => el === document.activeElement)).toBe(true);
    await edit.getByRole("tab", { name: /Notifications/ }).waitFor();

    // Weekly and monthly ask for their day; hourly only for the minute.
    await frequency.selectOption("weekly");
    expect(await edit.getByLabel("Day of the week").inputValue()).toBe("1");
    await frequency.selectOption("monthly");
    await edit.getByLabel("Day of the month").selectOption("31");
    await edit.getByText("The last day in shorter months").waitFor();
    await frequency.selectOption("hourly");
    await edit.getByLabel("Expected by").fill("15");
    await edit.getByText("at minute :15 of every hour").waitFor();

    // A valid Daily schedule: 06:00 with 30 minutes' grace.
    await frequency.selectOption("daily");
    await expectedBy.fill("06:00");
    await edit.getByLabel("Grace period", { exact: true }).fill("30");
    await edit
      .getByText("A file is expected every day by 06:00; an alert goes out if none has arrived 30 minutes later.")
      .waitFor();
    expect(await expectedBy.getAttribute("aria-invalid")).toBeNull();
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-notifications-schedule.png") });
    await edit.getByRole("button", { name: "Update" }).click();
    await edit.waitFor({ state: "detached" });
    await page.getByText(/Nightly HR export updated\. Next file expected by/).waitFor();

    const saved = (await http(base, "GET", `/api/v1/deliveries/${deliveryId}`, { headers: session })).body;
    expect(saved.schedule).toMatchObject({ frequency: "daily", expectedBy: "06:00", graceMinutes: 30, day: null });
    const deadline = saved.nextExpectedBy as number;
    expect(deadline).toBeGreaterThan(Date.now());
    // 06:30 London time, shown in the table in the account's time zone.
    const london = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(deadline);
    expect(london).toBe("06:30");
    await row.getByText(/06:30/).waitFor();
    expect(await row.getByText("Overdue").count()).toBe(0);

    // The cron runs for a minute after the deadline: no file arrived, so the delivery is overdue.
    const cron = await fetch(`${base}/__scheduled?time=${deadline + 60_000}`, {
      headers: { authorization: `Bearer ${stack?.secrets.OPERATOR_TOKEN}` },
    });
    expect(cron.ok).toBe(true);
    await page.reload();
    await row.getByText(/^Overdue since .*Europe\/London/).waitFor();
    expect(await row.locator(".badge-negative").getAttribute("title")).toMatch(/^Overdue since .*\(Europe\/London\)/);
    await row.getByText("No files yet").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-deliveries-overdue.png") });

    // The Files view's header says the same.
    await row.getByRole("link", { name: "Nightly HR export" }).click();
    await page.getByRole("heading", { name: "Nightly HR export", level: 1 }).waitFor();
    const meta = page.locator(".page-meta");
    await meta.getByText(/^Overdue since /).waitFor();
    await meta.getByText("Next expected").waitFor();
    await meta.getByText("No files yet").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-files-overdue.png") });

    // Configure shows since when it is overdue and the deadline now watched.
    await page.getByRole("button", { name: "Configure" }).click();
    await edit.waitFor();
    await edit.getByText(/^Overdue since /).waitFor();
    await edit.getByText("Next deadline (with grace):").waitFor();
    await edit.getByText("Next deadline (with grace):").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-notifications-overdue.png") });
    await page.keyboard.press("Escape");
    await edit.waitFor({ state: "detached" });

    // Outbox: the alert to the admin, sent through the queue (the page follows it until it settles).
    await page.getByRole("link", { name: "Outbox" }).click();
    await page.getByRole("heading", { name: "Outbox", level: 1 }).waitFor();
    const email = page.getByRole("listitem").filter({ hasText: "Sluice: no file received for Nightly HR export" });
    await email.waitFor({ timeout: 15_000 });
    await email.getByText(admin.email).waitFor();
    await email.getByText("Missed file").waitFor();
    await email.getByText("Sent", { exact: true }).waitFor({ timeout: 15_000 });
    const toggle = email.getByRole("button", { name: "Sluice: no file received for Nightly HR export" });
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    await toggle.press("Enter");
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    const body = email.locator("pre");
    await body.waitFor();
    expect(await body.textContent()).toContain("Nightly HR export");
    await page.screenshot({ path: join(SCREENSHOTS, "sluice-outbox.png"), fullPage: true });
    await toggle.click();
    await body.waitFor({ state: "detached" });

    expect(consoleProblems.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
