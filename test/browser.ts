import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium (installed by `npm test`), or another one through CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Debian's Chromium, headless, with a fresh profile, for the end-to-end tests.
 * The flags keep it off the network: this machine reaches no host but the registries.
 * The caller closes the context and removes `profile`.
 */
export async function launchBrowser(options: {
  viewport: { width: number; height: number };
  permissions?: string[];
}): Promise<{ context: BrowserContext; page: Page; profile: string }> {
  const profile = await mkdtemp(join(tmpdir(), "sluice-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: options.viewport,
    ...(options.permissions ? { permissions: options.permissions } : {}),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, profile };
}
