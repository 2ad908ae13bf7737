/**
 * The one place where failures become SFTP status replies. Clients show the message to people,
 * so it says what to do; internal details (Worker URLs, stack traces) never reach it.
 */
import "./no-sha1-host-key.ts";
import ssh2 from "ssh2";
import { isRelayError, type RelayErrorCode } from "./errors.ts";

export const STATUS = ssh2.utils.sftp.STATUS_CODE;

export interface SftpStatus {
  code: number;
  message: string;
}

const BY_CODE: Partial<Record<RelayErrorCode, number>> = {
  bad_path: STATUS.NO_SUCH_FILE,
  no_such_file: STATUS.NO_SUCH_FILE,
  not_csv: STATUS.PERMISSION_DENIED,
  permission_denied: STATUS.PERMISSION_DENIED,
  read_unsupported: STATUS.PERMISSION_DENIED,
  rename_unsupported: STATUS.PERMISSION_DENIED,
  resume_unsupported: STATUS.OP_UNSUPPORTED,
  bad_handle: STATUS.FAILURE,
};

/** Relay errors whose own message is written for the client; anything else gets a generic text. */
const CLIENT_FACING = new Set<RelayErrorCode>([
  "bad_path",
  "no_such_file",
  "not_csv",
  "permission_denied",
  "read_unsupported",
  "rename_unsupported",
  "resume_unsupported",
  "bad_handle",
  "file_too_large",
  "write_out_of_window",
  "incomplete_file",
  "too_many_open_files",
  "shutting_down",
  "upload_aborted",
]);

export function toSftpStatus(err: unknown): SftpStatus {
  if (isRelayError(err)) {
    const code = BY_CODE[err.code] ?? STATUS.FAILURE;
    if (CLIENT_FACING.has(err.code)) return { code, message: err.message };
    if (err.code === "worker_unavailable") {
      return { code, message: "the file service is unavailable, please retry later" };
    }
    if (err.code === "worker_rejected" && err.status === 413) {
      return { code, message: "the file is too large" };
    }
    return { code, message: "the file could not be stored" };
  }
  return { code: STATUS.FAILURE, message: "internal error" };
}
