import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, type ErrorCode } from "../errors.ts";

const titles: Record<ErrorCode, string> = {
  bad_request: "Bad request",
  malformed_json: "Malformed JSON",
  validation_failed: "Validation failed",
  unauthorized: "Authentication required",
  csrf_failed: "CSRF check failed",
  forbidden: "Forbidden",
  login_refused: "Login refused",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  setup_closed: "Setup already done",
  payload_too_large: "Payload too large",
  unsupported_media_type: "Unsupported media type",
  rate_limited: "Too many requests",
  config_error: "Server configuration error",
  internal: "Internal error",
  unavailable: "Service unavailable",
};

export function problemResponse(error: AppError): Response {
  const body: Record<string, unknown> = {
    type: `https://sluice.dev/problems/${error.code.replaceAll("_", "-")}`,
    title: titles[error.code],
    status: error.status,
    code: error.code,
    detail: error.message,
  };
  if (error.errors) body.errors = error.errors;
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (error.status === 401) headers["www-authenticate"] = 'Bearer realm="sluice"';
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** Hono's own exceptions (body limit, malformed JSON from validators) become problems too. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new AppError("payload_too_large", "The request body is too large");
    if (err.status === 400 && /json/i.test(err.message)) {
      return new AppError("malformed_json", "The request body is not valid JSON");
    }
    if (err.status === 401) return new AppError("unauthorized", err.message || "Authentication required");
    if (err.status === 404) return new AppError("not_found", "Not found");
    return new AppError("bad_request", err.message || "Bad request");
  }
  return new AppError("internal", "An unexpected error occurred");
}

export function onError(err: Error, c: Context): Response {
  const appError = toAppError(err);
  if (appError.status >= 500) {
    // The full error goes to the log (never to the client); messages never carry secrets.
    console.error(`${c.req.method} ${new URL(c.req.url).pathname} failed:`, err);
  }
  return problemResponse(appError);
}
