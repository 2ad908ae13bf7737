import { createRoute, z } from "@hono/zod-openapi";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { getAccount } from "../domain/auth/accounts.ts";
import { SESSION_ABSOLUTE_MS, signIn, signOut } from "../domain/auth/sessions.ts";
import { AppError } from "../errors.ts";
import { requireAuth, SESSION_COOKIE } from "../http/auth.ts";
import { router } from "../http/types.ts";
import { json, jsonBody, problems } from "./schemas.ts";

const Login = z
  .strictObject({
    email: z.string().trim().min(1).max(254),
    password: z.string().min(1).max(256),
    accountId: z.string().max(64).optional(),
  })
  .openapi("Login");

const SessionView = z
  .object({
    csrfToken: z.string().openapi({ description: "Send as `X-CSRF-Token` on every cookie-authenticated write" }),
    expiresAt: z.number().int(),
    account: z.object({ id: z.string(), name: z.string(), timeZone: z.string() }),
    person: z.object({
      id: z.string(),
      email: z.string(),
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
    }),
  })
  .openapi("Session");

export const sessions = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions",
      tags: ["sessions"],
      summary: "Sign in with email and password",
      description: "Sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token for writes.",
      request: { body: jsonBody(Login) },
      responses: { 201: json(SessionView, "Signed in"), ...problems(400, 401, 422) },
    }),
    async (c) => {
      const deps = c.var.deps;
      const result = await signIn(deps, c.req.valid("json"));
      setCookie(c, SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: "Strict",
        secure: new URL(c.req.url).protocol === "https:",
        path: "/",
        maxAge: Math.floor(SESSION_ABSOLUTE_MS / 1000),
      });
      const account = await getAccount(deps, result.accountId);
      return c.json({ csrfToken: result.csrfToken, expiresAt: result.expiresAt, account, person: result.person }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/current",
      tags: ["sessions"],
      summary: "The signed-in admin and the CSRF token",
      middleware: [requireAuth()] as const,
      responses: { 200: json(SessionView.omit({ expiresAt: true }), "Current session"), ...problems(401) },
    }),
    async (c) => {
      const session = c.var.session;
      if (!session) throw new AppError("bad_request", "This endpoint is for cookie sessions, not API keys");
      const deps = c.var.deps;
      const account = await getAccount(deps, session.principal.accountId);
      const person = await deps.db.query.people.findFirst({
        where: (p, { and, eq }) => and(eq(p.id, session.personId), eq(p.accountId, account.id)),
        columns: { id: true, email: true, firstName: true, lastName: true },
      });
      if (!person) throw new AppError("unauthorized", "Session is no longer valid");
      return c.json({ csrfToken: session.csrfToken, account, person }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/current",
      tags: ["sessions"],
      summary: "Sign out",
      middleware: [requireAuth()] as const,
      responses: { 204: { description: "Signed out" }, ...problems(401, 403) },
    }),
    async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) await signOut(c.var.deps, token);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    },
  );
