/**
 * The one error type of the Worker. Domain code throws `AppError` with a code
 * from this closed set; `http/problem.ts` turns it into problem+json and the
 * relay maps the same codes to SFTP statuses.
 */
export const errorCodes = {
  bad_request: 400,
  malformed_json: 400,
  validation_failed: 422,
  unauthorized: 401,
  csrf_failed: 403,
  forbidden: 403,
  login_refused: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  setup_closed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  config_error: 500,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface FieldError {
  /** Dotted path of the offending field, e.g. `allowedIps.2`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, errors?: FieldError[]) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.status = errorCodes[code];
    this.errors = errors;
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);

export function validationFailed(errors: FieldError[], message = "The request has invalid fields") {
  return new AppError("validation_failed", message, errors);
}
