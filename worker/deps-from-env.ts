import { loadConfig } from "./config.ts";
import { createDb } from "./db/client.ts";
import type { Deps } from "./domain/deps.ts";
import { AppError } from "./errors.ts";
import type { QueueMessage } from "./jobs/messages.ts";

const logged = new WeakSet<object>();

/**
 * Builds the domain dependencies from the Worker's bindings, for HTTP, queue
 * and cron alike. A missing or weak secret stops everything with a clear error;
 * its name goes to the log once, never its value.
 */
export function depsFromEnv(env: Env, now: () => number = () => Date.now()): Deps {
  const result = loadConfig(env);
  if (!result.ok) {
    if (!logged.has(env)) {
      logged.add(env);
      console.error(`Sluice is misconfigured: ${result.problems.join("; ")}`);
    }
    throw new AppError("config_error", "The server is misconfigured: its operator must check the Worker's log");
  }
  return {
    db: createDb(env.DB),
    config: result.config,
    bucket: env.FILES,
    queue: env.IMPORTS as Queue<QueueMessage>,
    now,
  };
}
