import { type Config, loadConfig } from "./config.ts";
import { createDb } from "./db/client.ts";
import type { Deps } from "./domain/deps.ts";
import { cloudflareSender, type EmailSender, httpSender, outboxSender } from "./domain/email/sender.ts";
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
  const config = result.config;
  return {
    db: createDb(env.DB),
    config,
    email: emailSenderFor(env, config),
    bucket: env.FILES,
    queue: env.IMPORTS as Queue<QueueMessage>,
    now,
  };
}

function emailSenderFor(env: Env, config: Config): EmailSender {
  if (config.EMAIL_SENDER === "http" && config.EMAIL_HTTP_URL && config.EMAIL_HTTP_KEY) {
    return httpSender({ baseUrl: config.EMAIL_HTTP_URL, apiKey: config.EMAIL_HTTP_KEY });
  }
  if (config.EMAIL_SENDER === "cloudflare") {
    // The binding is optional in wrangler.toml (see README), so it is not in the generated Env.
    const binding = (env as unknown as { EMAIL?: SendEmail }).EMAIL;
    if (!binding) {
      console.error("Sluice is misconfigured: EMAIL_SENDER is cloudflare but no send_email binding named EMAIL");
      throw new AppError("config_error", "The server is misconfigured: its operator must check the Worker's log");
    }
    return cloudflareSender(binding);
  }
  return outboxSender;
}
