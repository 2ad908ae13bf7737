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

/**
 * Characters a terminal acts on or that change how a line reads: C0/C1 controls and DEL (ESC
 * sequences, CR overwriting the line), format characters (bidi overrides, zero-width) and line
 * separators. Field values come from clients (user names, file names), so none is printed raw.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const NEEDS_QUOTES = /[\s"=\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function escapeUnits(char: string): string {
  let escaped = "";
  for (let i = 0; i < char.length; i++) escaped += `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return escaped;
}

/** A field value as printed: bare when plain, else a JSON string with every unsafe character escaped. */
export function logValue(text: string): string {
  if (!NEEDS_QUOTES.test(text)) return text;
  // JSON.stringify escapes C0 controls but leaves DEL, C1 and format characters raw.
  return JSON.stringify(text).replace(UNSAFE, escapeUnits);
}

function format(level: string, msg: string, fields: LogFields | undefined): string {
  let line = `${new Date().toISOString()} ${level} ${msg}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    line += ` ${key}=${logValue(String(value))}`;
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
