/**
 * Rules for the names of received files, shared by SFTP and HTTP uploads.
 */

/** In UTF-8 bytes, as file systems and the relay count it. */
const MAX_NAME_BYTES = 255;
const utf8 = new TextEncoder();

/**
 * `test` as a whole word of the name, case-insensitive: `Users Test.csv`,
 * `test_users.csv`, `users-TEST-2.csv` are Test files; `contest.csv` is not.
 */
export function isTestFileName(name: string): boolean {
  const base = name.replace(/\.[^.]*$/, "");
  return /(^|[^a-z0-9])test([^a-z0-9]|$)/i.test(base);
}

/** Why a name cannot be accepted, or null when it is fine. */
export function fileNameProblem(name: string): string | null {
  if (name.length === 0) return "the file name is empty";
  if (utf8.encode(name).length > MAX_NAME_BYTES) return `the file name is longer than ${MAX_NAME_BYTES} bytes`;
  // C0, DEL and C1: what a terminal or a log reader would act on.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "the file name contains control characters";
  if (name.includes("/") || name.includes("\\")) return "the file name must not contain a path";
  if (name === "." || name === "..") return "the file name is not a file";
  if (!/\.csv$/i.test(name)) return "only .csv files are accepted";
  if (name.length === 4) return "the file name has nothing before .csv";
  return null;
}
