import type { Deps } from "../domain/deps.ts";
import { advanceImport, DEFAULT_SLICES, failImport, type RunOptions } from "../domain/imports/run-import.ts";
import type { QueueMessage } from "./messages.ts";

export type ImportMessage = Extract<QueueMessage, { type: "import" }>;

/** Deliveries of one message before the run is marked failed (wrangler.toml: max_retries = 5). */
export const MAX_ATTEMPTS = 6;

/** Exponential backoff: 10 s, 20 s, 40 s … capped at 10 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(600, 10 * 2 ** Math.max(0, attempts - 1));

/**
 * Consumes one import message: advances the file's import by a slice and
 * enqueues a continuation when more remains. Failures are retried with backoff;
 * the last attempt (or the dead-letter queue) marks the run failed. Logs name
 * the file and the error, never row contents.
 */
export async function consumeImport(
  deps: Deps,
  message: Message<ImportMessage>,
  deadLetter: boolean,
  opts: RunOptions = DEFAULT_SLICES,
) {
  const { accountId, fileId } = message.body;
  if (deadLetter) {
    await failImport(deps, { accountId, fileId }, "the import kept failing and was given up");
    message.ack();
    return;
  }
  try {
    const outcome = await advanceImport(deps, { accountId, fileId }, opts);
    if (outcome === "continue") await deps.queue.send({ type: "import", accountId, fileId });
    message.ack();
  } catch (err) {
    const reason = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : "unknown error";
    console.error(`import of file ${fileId} failed on attempt ${message.attempts}: ${reason}`);
    if (message.attempts >= MAX_ATTEMPTS) {
      await failImport(deps, { accountId, fileId }, `the import failed ${message.attempts} times (last: ${reason})`);
      message.ack();
    } else {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
