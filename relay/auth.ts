/**
 * SSH authentication, decided by the Worker. Password and public-key logins both go to
 * `POST /relay/v1/logins`; for keys, the relay checks the signature itself (the Worker only knows
 * whether the key is registered), so a client must prove it holds the private key first.
 */
import type { AuthContext } from "ssh2";
import "./no-sha1-host-key.ts";
import ssh2 from "ssh2";
import type { LoginResponse } from "../contracts/relay.ts";
import type { WorkerClient } from "./worker-client.ts";

export type AuthDecision =
  | { kind: "granted"; login: LoginResponse }
  /** The client only asked whether a key would do; it will now sign and ask again. */
  | { kind: "key-query-ok" }
  | { kind: "refused"; counts: boolean };

export const AUTH_METHODS = ["publickey", "password"] as const;

export async function decideLogin(ctx: AuthContext, worker: WorkerClient, sourceIp: string): Promise<AuthDecision> {
  const username = ctx.username;
  if (username.length === 0 || username.length > 128) return { kind: "refused", counts: true };

  if (ctx.method === "password") {
    if (ctx.password.length > 1024) return { kind: "refused", counts: true };
    const login = await worker.login({ username, method: "password", password: ctx.password, sourceIp });
    return { kind: "granted", login };
  }

  if (ctx.method === "publickey") {
    const key = ssh2.utils.parseKey(ctx.key.data);
    if (key instanceof Error) return { kind: "refused", counts: false };
    // Answering "yes" to a key query before asking the Worker reveals nothing (every parseable key
    // gets the same answer) and saves a Worker round trip per key a client's agent offers.
    if (!ctx.signature || !ctx.blob) return { kind: "key-query-ok" };
    if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return { kind: "refused", counts: true };
    const login = await worker.login({
      username,
      method: "publickey",
      // The key type from the blob ("ssh-rsa"), not the signature algorithm ("rsa-sha2-256"),
      // so it matches the authorized_keys form admins register.
      publicKey: { algorithm: key.type, data: ctx.key.data.toString("base64") },
      sourceIp,
    });
    return { kind: "granted", login };
  }

  // "none" is how clients discover the methods; it must not count as a failed attempt.
  return { kind: "refused", counts: ctx.method !== "none" };
}
