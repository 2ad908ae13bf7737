/**
 * Uploads to temp names (`x.csv.filepart`, `.part`, `.tmp`, `~`, rclone's `.XXXXXX.partial`, lftp's
 * `.in.x.csv.`) and the RENAME that follows them.
 *
 * The upload is created under the *final* name at OPEN and completed at CLOSE, so the file is
 * imported exactly once, under its final name, and CLOSE is acknowledged only once the file is
 * durable (the invariant the design rests on). The RENAME that follows is then bookkeeping; so is
 * the REMOVE of the old `x.csv` WinSCP sends first when overwriting. Deferring complete to RENAME
 * instead would make CLOSE's OK a lie and leave uploads dangling when a client never renames.
 *
 * Until renamed, the temp name still STATs as a file (clients check its size before renaming).
 */
import { RelayError } from "./errors.ts";
import type { ListedFile } from "./sftp-listing.ts";

export class TempRenames {
  /** Temp name → the file imported from it, until the client renames it. */
  private readonly received = new Map<string, ListedFile>();

  /** Records a temp-named upload that completed as `file`. */
  completed(tempName: string, file: ListedFile): void {
    this.received.set(tempName, file);
  }

  /** The file a not-yet-renamed temp name stands for. */
  get(tempName: string): ListedFile | undefined {
    return this.received.get(tempName);
  }

  /** A new upload reuses the temp name: the old entry is stale. */
  forget(tempName: string): void {
    this.received.delete(tempName);
  }

  /** RENAME: succeeds only as "temp name → the name it was already imported under". */
  rename(from: string, to: string): void {
    const file = this.received.get(from);
    if (file && file.name === to) {
      this.received.delete(from);
      return;
    }
    if (file) throw new RelayError("rename_unsupported", `the file was received as ${file.name} and cannot be renamed`);
    throw new RelayError("rename_unsupported", "received files cannot be renamed");
  }

  /**
   * REMOVE: allowed for the target of a pending rename (WinSCP deletes it before renaming onto
   * it; the new file is already stored under that name) and for the temp name itself (a client
   * cleaning up). Received files are otherwise never deleted over SFTP.
   */
  remove(name: string): void {
    if ([...this.received.values()].some((f) => f.name === name)) return;
    if (this.received.delete(name)) return;
    throw new RelayError("permission_denied", "received files cannot be deleted");
  }
}
