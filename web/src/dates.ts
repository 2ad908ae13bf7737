const formats = new Map<string, Intl.DateTimeFormat>();

/** `23 Nov 2025, 14:05` in the account's time zone. */
export function formatDateTime(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone });
    } catch {
      format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
    formats.set(timeZone, format);
  }
  return format.format(ms);
}
