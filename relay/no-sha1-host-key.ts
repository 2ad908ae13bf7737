/**
 * ssh2 offers `ssh-rsa` (RSA signatures over SHA-1) for an RSA host key whatever the configured
 * `serverHostKey` list says: it gives SHA-1 the lowest priority instead of leaving it out
 * (lib/server.js). This module removes it from what the server offers, so clients negotiate
 * rsa-sha2-512/256 or ed25519 only. It must be evaluated before ssh2's server module, which
 * captures `KexInit` when it loads: import it before "ssh2".
 */
import kex from "ssh2/lib/protocol/kex.js";

type KexLists = { serverHostKey?: string[] } & Record<string, unknown>;
type KexInitClass = new (obj: KexLists) => object;

const exportsObject = kex as unknown as { KexInit: KexInitClass; noSha1HostKey?: true };
if (!exportsObject.noSha1HostKey) {
  const Original = exportsObject.KexInit;
  exportsObject.KexInit = class extends Original {
    constructor(obj: KexLists) {
      const lists = Array.isArray(obj?.serverHostKey)
        ? { ...obj, serverHostKey: obj.serverHostKey.filter((name) => name !== "ssh-rsa") }
        : obj;
      super(lists);
    }
  };
  exportsObject.noSha1HostKey = true;
}
