/**
 * Entry point: `tsx relay/main.ts` on Node, `deno run ... relay/main.ts` on Deno 2, or
 * `node relay/main.ts` on Node ≥ 22.18 (native type stripping).
 */
// First: it must patch ssh2 before anything loads ssh2's server module.
import "./no-sha1-host-key.ts";
import process from "node:process";
import { loadConfig } from "./config.ts";
import { isRelayError } from "./errors.ts";
import { loadOrCreateHostKeys } from "./host-keys.ts";
import { consoleLogger, errorText } from "./log.ts";
import { RelayServer } from "./server.ts";
import { WorkerClient } from "./worker-client.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const hostKeys = loadOrCreateHostKeys(config.HOST_KEY_DIR);
  if (hostKeys.generated) consoleLogger.info("generated host keys", { dir: config.HOST_KEY_DIR });

  const worker = new WorkerClient({
    baseUrl: config.WORKER_URL,
    token: config.RELAY_TOKEN,
    relayId: config.RELAY_ID,
    timeoutMs: config.WORKER_TIMEOUT_MS,
  });
  const server = new RelayServer({ config, hostKeys: hostKeys.keys, worker });
  const address = await server.listen();
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  console.log(
    `relay listening on ${host}:${address.port} (relay id ${config.RELAY_ID}; host keys ${hostKeys.fingerprints.join(", ")})`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      consoleLogger.warn("second signal, exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    consoleLogger.info("shutting down", { signal, graceMs: config.SHUTDOWN_GRACE_MS });
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        consoleLogger.error("shutdown failed", { error: errorText(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  // Config errors already name the variable; anything else is unexpected, so show its stack.
  console.error(isRelayError(err) ? err.message : err);
  process.exit(1);
});
