import { OpenAPIHono } from "@hono/zod-openapi";
import type { SessionInfo } from "../domain/auth/sessions.ts";
import type { Deps, Principal } from "../domain/deps.ts";
import { validationFailed } from "../errors.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    deps: Deps;
    principal: Principal;
    session: SessionInfo | undefined;
  };
}

/**
 * Every router is built here so they share one validation hook: zod failures
 * become a 422 problem that lists each field.
 */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationFailed(
          result.error.issues.map((issue) => ({
            field: issue.path.map(String).join(".") || (result.target === "json" ? "body" : result.target),
            message:
              issue.code === "unrecognized_keys"
                ? `unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`
                : issue.message,
          })),
        );
      }
    },
  });
}
