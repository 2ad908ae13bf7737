/**
 * A deliberately tiny logger: one line per event, `level msg key=value ...`. There is no generic
 * "log this object" entry point on purpose: callers pass the few fields they mean to log, which
 * keeps passwords, tokens and session values out of the output by construction.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

function format(level: string, msg: string, fields: LogFields | undefined): string {
  let line = `${new Date().toISOString()} ${level} ${msg}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    const text = String(value);
    line += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return line;
}

export const consoleLogger: Logger = {
  info: (msg, fields) => console.log(format("info", msg, fields)),
  warn: (msg, fields) => console.warn(format("warn", msg, fields)),
  error: (msg, fields) => console.error(format("error", msg, fields)),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Error text that is safe to log: the message only, never a stack or a request body. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
