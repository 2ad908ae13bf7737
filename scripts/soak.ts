/**
 * `npm run soak`: the long variants of the relay's resilience tests (test/relay-resilience.e2e.test.ts)
 * — 20 SIGKILL trials, every Worker fault including the slow ones, 50 concurrent sessions × 10 MiB —
 * on the real stack. Extra arguments go to vitest (`npm run soak -- -t "SIGKILL"`); SLUICE_SEED
 * replays a run's kill trials. Takes about 5 minutes on a busy 2-core machine.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { quietEnv, ROOT } from "./lib/stack.ts";

const result = spawnSync(
  join(ROOT, "node_modules/.bin/vitest"),
  [
    "run",
    "--config",
    "vitest.node.config.ts",
    "--testTimeout=900000",
    "--hookTimeout=300000",
    "test/relay-resilience.e2e.test.ts",
    ...process.argv.slice(2),
  ],
  { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...quietEnv, SLUICE_SOAK: "1" } },
);
process.exit(result.status ?? 1);
