/**
 * What directory listings and STAT replies look like. Clients parse `longname` loosely (FileZilla
 * and WinSCP fall back to it when attrs are partial), so it follows `ls -l` like OpenSSH's sftp-server.
 */
import type { Attributes, FileEntry } from "ssh2";

/** A file the delivery received, as the SFTP side shows it. `mtime` is in seconds. */
export interface ListedFile {
  name: string;
  size: number;
  mtime: number;
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function fileAttrs(size: number, mtime: number): Attributes {
  return { mode: S_IFREG | 0o644, uid: 0, gid: 0, size, atime: mtime, mtime };
}

export function dirAttrs(mtime = Math.floor(Date.now() / 1000)): Attributes {
  return { mode: S_IFDIR | 0o755, uid: 0, gid: 0, size: 0, atime: mtime, mtime };
}

/** `-rw-r--r--    1 sftp     sftp         1234 Nov 23 12:00 name`, year instead of time when old. */
export function longname(name: string, attrs: Attributes, nowSeconds = Date.now() / 1000): string {
  const isDir = (attrs.mode & S_IFDIR) === S_IFDIR;
  const perms = isDir ? "drwxr-xr-x" : "-rw-r--r--";
  const date = new Date(attrs.mtime * 1000);
  const month = MONTHS[date.getUTCMonth()] as string;
  const day = String(date.getUTCDate()).padStart(2, " ");
  const sixMonths = 182 * 24 * 3600;
  const recent = Math.abs(nowSeconds - attrs.mtime) < sixMonths;
  const tail = recent
    ? `${String(date.getUTCHours()).padStart(2, "0")}:${String(date.getUTCMinutes()).padStart(2, "0")}`
    : ` ${date.getUTCFullYear()}`;
  return `${perms}    1 sftp     sftp     ${String(attrs.size).padStart(8, " ")} ${month} ${day} ${tail} ${name}`;
}

export function entry(name: string, attrs: Attributes): FileEntry {
  return { filename: name, longname: longname(name, attrs), attrs };
}

/**
 * Listing entries for `/`: the `results` folder, then each received name once (the newest copy:
 * the Worker lists newest first), since duplicate names in one folder confuse GUI clients.
 */
export function rootEntries(files: ListedFile[]): FileEntry[] {
  const seen = new Set<string>();
  const entries = [entry("results", dirAttrs())];
  for (const file of files) {
    if (seen.has(file.name) || file.name.includes("/")) continue;
    seen.add(file.name);
    entries.push(entry(file.name, fileAttrs(file.size, file.mtime)));
  }
  return entries;
}

/**
 * The Worker's listing, cached briefly: clients STAT several paths in a row (put = STAT target,
 * WinSCP stats before and after each transfer), and each would otherwise be a Worker round trip.
 * A failed fetch is not cached.
 */
export class ListingCache {
  private cached: { at: number; files: Promise<ListedFile[]> } | undefined;
  private readonly fetchFiles: () => Promise<ListedFile[]>;
  private readonly ttlMs: number;

  constructor(fetchFiles: () => Promise<ListedFile[]>, ttlMs = 2000) {
    this.fetchFiles = fetchFiles;
    this.ttlMs = ttlMs;
  }

  get(): Promise<ListedFile[]> {
    if (!this.cached || Date.now() - this.cached.at > this.ttlMs) {
      const files = this.fetchFiles();
      const entry = { at: Date.now(), files };
      files.catch(() => {
        if (this.cached === entry) this.cached = undefined;
      });
      this.cached = entry;
    }
    return this.cached.files;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
