import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { type ApiKeyScope, resolveApiKey } from "../domain/auth/api-keys.ts";
import { resolveSession } from "../domain/auth/sessions.ts";
import { safeEqual } from "../domain/crypto/secrets.ts";
import { AppError } from "../errors.ts";
import type { AppEnv } from "./types.ts";

export const SESSION_COOKIE = "sluice_session";
export const CSRF_HEADER = "x-csrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function bearer(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

/**
 * Resolves who is calling: an API key (`Authorization: Bearer slk_…`) or an
 * admin's session cookie. Cookie-authenticated writes must also carry the
 * session's CSRF token in `X-CSRF-Token` and, when the browser sends one, a
 * same-origin `Origin`.
 */
export const requireAuth = (scope: ApiKeyScope = "api") =>
  createMiddleware<AppEnv>(async (c, next) => {
    const deps = c.var.deps;
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const token = bearer(authorization);
      const principal = token ? await resolveApiKey(deps, token, scope) : null;
      if (!principal) throw new AppError("unauthorized", "The API key is invalid, revoked or lacks the scope");
      c.set("principal", principal);
      c.set("session", undefined);
      return next();
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = cookie ? await resolveSession(deps, cookie) : null;
    if (!session) throw new AppError("unauthorized", "Sign in, or send an API key as a bearer token");
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      if (origin !== undefined && origin !== new URL(c.req.url).origin) {
        throw new AppError("csrf_failed", "Cross-origin request refused");
      }
      if (!safeEqual(c.req.header(CSRF_HEADER) ?? "", session.csrfToken)) {
        throw new AppError("csrf_failed", "Missing or wrong X-CSRF-Token header");
      }
    }
    c.set("principal", session.principal);
    c.set("session", session);
    return next();
  });

/** The operator (`OPERATOR_TOKEN`) may create accounts; compared in constant time. */
export const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token || !safeEqual(token, c.var.deps.config.OPERATOR_TOKEN)) {
    throw new AppError("unauthorized", "The operator token is required");
  }
  return next();
});

/** The relay (`RELAY_TOKEN`); compared in constant time. */
export const requireRelay = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token || !safeEqual(token, c.var.deps.config.RELAY_TOKEN)) {
    throw new AppError("unauthorized", "The relay token is required");
  }
  return next();
});
