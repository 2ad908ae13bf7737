/**
 * Path and file-name rules of the relay's tiny virtual file system: `/` holds this delivery's
 * files, `/results` is a (for now empty) read-only folder. Nothing here touches a disk.
 */
import { Buffer } from "node:buffer";
import { RelayError } from "./errors.ts";

export const ROOT = "/";
export const RESULTS_DIR = "/results";

/** C0/C1 controls, DEL and NUL make names ambiguous in logs, listings and shells. */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * Normalises a client path to an absolute one. Relative paths are taken from `/` (the relay has
 * no per-session working directory: clients track their own after REALPATH "."). With
 * `clamp` (REALPATH, like a chrooted sshd) `..` at the root stays at the root; otherwise a path
 * climbing above the root is refused.
 */
export function normalizePath(input: string, options: { clamp?: boolean } = {}): string {
  if (hasControlCharacters(input)) throw new RelayError("bad_path", "path contains control characters");
  const parts: string[] = [];
  for (const segment of input.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) {
        if (options.clamp) continue;
        throw new RelayError("bad_path", "path leaves the root folder");
      }
      parts.pop();
      continue;
    }
    parts.push(segment);
  }
  return `/${parts.join("/")}`;
}

/** Temp names clients upload to before renaming: WinSCP `.filepart`, `.part`, `.tmp`, `~`, rclone `.XXXXXX.partial`. */
const TEMP_SUFFIX = /^(.+\.csv)(\.filepart|\.part|\.tmp|~|\.[A-Za-z0-9]{1,12}\.partial|\.partial)$/i;
/** lftp's `xfer:use-temp-file` default name is `.in.NAME.` (prefix, trailing dot). */
const LFTP_TEMP = /^\.in\.(.+\.csv)\.?$/i;
const CSV = /^.+\.csv$/i;

export interface UploadName {
  /** The name the client opened (what STAT and RENAME will use). */
  openedName: string;
  /** The name the file is imported under: the temp suffix stripped. */
  finalName: string;
  isTemp: boolean;
}

/**
 * Decides whether `path` may be uploaded and under which name it is imported. Only `.csv` files
 * are accepted, directly or under one of the temp names real clients use.
 */
export function parseUploadPath(path: string): UploadName {
  const absolute = normalizePath(path);
  const name = absolute.slice(1);
  // A backslash is a Windows client's folder separator; the Worker refuses such names too, but
  // refusing here tells the client why instead of a generic "could not be stored".
  if (name === "" || name.includes("/") || name.includes("\\")) {
    throw new RelayError("permission_denied", "files can only be uploaded to the top folder");
  }
  if (Buffer.byteLength(name) > 255) throw new RelayError("bad_path", "file name is too long");
  const temp = TEMP_SUFFIX.exec(name) ?? LFTP_TEMP.exec(name);
  if (temp) return { openedName: name, finalName: temp[1] as string, isTemp: true };
  if (CSV.test(name)) return { openedName: name, finalName: name, isTemp: false };
  throw new RelayError("not_csv", "only .csv files are accepted");
}
