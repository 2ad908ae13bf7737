/**
 * `npm test`: everything, in order — typecheck, lint, generated files up to
 * date, Worker tests inside workerd, relay and end-to-end tests on Node
 * (real wrangler dev, real OpenSSH/lftp clients, real Chromium), and a
 * dry-run deploy. Ends with one line: `N passed, N failed`.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildWeb, quietEnv, ROOT } from "./lib/stack.ts";
import { ensureSystemPackages } from "./lib/system-deps.ts";

const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
const results: { step: string; ok: boolean; passed: number; failed: number; seconds: number }[] = [];

function step(name: string, fn: () => { ok: boolean; passed?: number; failed?: number }) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  let outcome: { ok: boolean; passed?: number; failed?: number };
  try {
    outcome = fn();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    outcome = { ok: false };
  }
  const seconds = (Date.now() - started) / 1000;
  results.push({
    step: name,
    ok: outcome.ok,
    passed: outcome.passed ?? (outcome.ok ? 1 : 0),
    failed: outcome.failed ?? (outcome.ok ? 0 : 1),
    seconds,
  });
  console.log(`${outcome.ok ? "✔" : "✘"} ${name} (${seconds.toFixed(1)} s)`);
}

function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...quietEnv, ...env } });
  return { ok: r.status === 0 };
}

/** Runs vitest with a JSON report so the closing line can count individual tests. */
function vitest(config: string, extra: string[] = []) {
  const report = join(mkdtempSync(join(tmpdir(), "sluice-vitest-")), "report.json");
  const r = spawnSync(
    bin("vitest"),
    ["run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...extra],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...quietEnv } },
  );
  let passed = 0;
  let failed = 0;
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number };
    passed = json.numPassedTests;
    failed = json.numFailedTests;
  }
  const ok = r.status === 0 && passed > 0;
  return { ok, passed, failed: ok ? failed : Math.max(failed, 1) };
}

step("system packages (OpenSSH, sshpass, lftp, Chromium)", () => {
  ensureSystemPackages();
  return { ok: true };
});
step("typecheck", () => ({ ok: sh("npm", ["run", "-s", "typecheck"]).ok }));
step("lint and format (biome)", () => sh(bin("biome"), ["check", "."]));
step("generated Env types are current (wrangler types --check)", () =>
  sh(bin("wrangler"), [
    "types",
    "worker/worker-configuration.d.ts",
    "--include-runtime=false",
    "--strict-vars=false",
    "--check",
  ]),
);
step("migrations match the drizzle schema", () => {
  // drizzle-kit reads `out` relative to the working directory (an absolute path breaks it), and it
  // exits 0 on such errors: generate into a copy inside the checkout and check its output too.
  mkdirSync(join(ROOT, ".wrangler"), { recursive: true });
  const out = mkdtempSync(join(ROOT, ".wrangler", "migrations-check-"));
  cpSync(join(ROOT, "migrations"), out, { recursive: true });
  const before = readdirSync(out).length;
  const r = spawnSync(bin("drizzle-kit"), ["generate", "--name", "pending"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...quietEnv, DRIZZLE_OUT: relative(ROOT, out) },
  });
  const output = `${r.stdout}${r.stderr}`;
  process.stdout.write(output);
  const after = readdirSync(out).length;
  rmSync(out, { recursive: true, force: true });
  if (after !== before) console.error("The schema has changes without a migration: run `npm run db:generate`.");
  const clean = r.status === 0 && !/^\s*Error\b/m.test(output) && /No schema changes/i.test(output);
  if (!clean && after === before) console.error("drizzle-kit could not compare the schema with the migrations.");
  return { ok: clean && after === before };
});
console.log("\n▶ build the admin UI");
const webStarted = Date.now();
const web = await buildWeb().then(
  () => true,
  (err: Error) => {
    console.error(err.message);
    return false;
  },
);
results.push({
  step: "build the admin UI",
  ok: web,
  passed: web ? 1 : 0,
  failed: web ? 0 : 1,
  seconds: (Date.now() - webStarted) / 1000,
});

step("Worker tests in workerd", () => vitest("vitest.config.ts"));
step("relay and end-to-end tests on Node", () => vitest("vitest.node.config.ts"));
step("dry-run deploy", () =>
  sh(bin("wrangler"), ["deploy", "--dry-run", "--outdir", join(tmpdir(), "sluice-dry-run")]),
);

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log("\nSummary");
for (const r of results)
  console.log(`  ${r.ok ? "✔" : "✘"} ${r.step.padEnd(58)} ${r.seconds.toFixed(1).padStart(6)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
