import { createContext, useContext } from "react";
import type { Session } from "./api-types.ts";

export const SessionContext = createContext<Session | null>(null);

/** The signed-in admin and account; only used under the signed-in shell. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside the signed-in shell");
  return session;
}
