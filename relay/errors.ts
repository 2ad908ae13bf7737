/**
 * The relay's one error type. Every failure that crosses a module boundary is a RelayError with a
 * code from a closed set (plus the Worker's own problem codes, passed through verbatim), so the
 * SFTP mapper (sftp-errors.ts) and the auth handler can decide what the client sees in one place.
 */
export type RelayErrorCode =
  // Worker answers
  | "login_refused"
  | "worker_unavailable"
  | "worker_rejected"
  | "invalid_worker_response"
  // Upload pipeline
  | "file_too_large"
  | "write_out_of_window"
  | "incomplete_file"
  | "upload_aborted"
  // SFTP requests
  | "bad_path"
  | "not_csv"
  | "resume_unsupported"
  | "read_unsupported"
  | "permission_denied"
  | "no_such_file"
  | "bad_handle"
  | "too_many_open_files"
  | "rename_unsupported"
  | "shutting_down"
  // Connections
  | "bad_proxy_header"
  // Startup
  | "invalid_config";

export class RelayError extends Error {
  override readonly name = "RelayError";
  readonly code: RelayErrorCode;
  /** HTTP status when the error came from the Worker. */
  readonly status: number | undefined;
  /** The Worker's problem+json `code` when it answered with one (e.g. `login_refused`). */
  readonly workerCode: string | undefined;

  constructor(
    code: RelayErrorCode,
    message: string,
    options: { status?: number; workerCode?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.workerCode = options.workerCode;
  }
}

export function isRelayError(err: unknown, code?: RelayErrorCode): err is RelayError {
  return err instanceof RelayError && (code === undefined || err.code === code);
}
