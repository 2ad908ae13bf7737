/**
 * The relay as it is deployed is plain JavaScript on Node (the Dockerfile runs `node relay/main.ts`
 * on Node 22, which strips types natively, with no loader). Node 20 here needs tsx for `.ts`, and
 * tsx's loader alone costs ~30 MB of RSS, so the Node relays the benchmark measures are bundled
 * with esbuild (dependencies left external, resolved from node_modules) and run by plain `node`.
 */
import { join } from "node:path";
import { ROOT, run } from "../scripts/lib/stack.ts";

export const BUILD_DIR = join(ROOT, "bench-results/.build");

/** Builds `<BUILD_DIR>/relay/main.mjs` and `<BUILD_DIR>/bench/discard-relay.mjs`. */
export async function buildRelayBundles(): Promise<{ relayMain: string; discardRelay: string }> {
  await run(
    join(ROOT, "node_modules/.bin/esbuild"),
    [
      "relay/main.ts",
      "bench/discard-relay.ts",
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outdir=${BUILD_DIR}`,
      "--out-extension:.js=.mjs",
      "--log-level=warning",
    ],
    { quiet: true },
  );
  return { relayMain: join(BUILD_DIR, "relay/main.mjs"), discardRelay: join(BUILD_DIR, "bench/discard-relay.mjs") };
}
