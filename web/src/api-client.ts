/**
 * The Worker's API through Hono's typed client: request and response types come
 * from the app's type alone (no Worker runtime code reaches the bundle).
 */
import type { ClientResponse } from "hono/client";
import { hc } from "hono/client";
import type { AppType } from "../../worker/app.ts";
import { ApiProblem, toProblem } from "./problem.ts";

let csrfToken = "";
let onSignedOut: () => void = () => {};

/** Every cookie-authenticated write must carry the session's CSRF token. */
export function setCsrfToken(token: string) {
  csrfToken = token;
}

/** Called when an authenticated request comes back 401 (the session expired or was revoked). */
export function setSignedOutHandler(handler: () => void) {
  onSignedOut = handler;
}

export const api = hc<AppType>("/", {
  headers: (): Record<string, string> => (csrfToken ? { "X-CSRF-Token": csrfToken } : {}),
}).api.v1;

type Success<R> = R extends ClientResponse<infer T, infer S, "json"> ? (S extends 200 | 201 ? T : never) : never;

/**
 * Resolves to the JSON body of a 200/201 response, or throws an `ApiProblem`.
 * `expect401` leaves 401s to the caller (sign-in, session probe) instead of
 * treating them as an expired session.
 */
export async function unwrap<R extends ClientResponse<unknown, number, "json">>(
  request: Promise<R>,
  options: { expect401?: boolean } = {},
): Promise<Success<R>> {
  let res: R;
  try {
    res = await request;
  } catch {
    throw new ApiProblem({
      status: 0,
      code: "network",
      title: "Network error",
      detail: "The server could not be reached. Check your connection and try again.",
    });
  }
  if (res.ok) return (await res.json()) as Success<R>;
  const problem = await toProblem(res as unknown as Response);
  if (problem.status === 401 && !options.expect401) onSignedOut();
  throw problem;
}

/** For 204 responses. */
export async function unwrapEmpty(request: Promise<ClientResponse<unknown, number, string>>): Promise<void> {
  let res: ClientResponse<unknown, number, string>;
  try {
    res = await request;
  } catch {
    throw new ApiProblem({
      status: 0,
      code: "network",
      title: "Network error",
      detail: "The server could not be reached. Check your connection and try again.",
    });
  }
  if (res.ok) return;
  const problem = await toProblem(res as unknown as Response);
  if (problem.status === 401) onSignedOut();
  throw problem;
}
